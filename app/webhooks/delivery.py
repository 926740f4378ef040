"""Sending webhook deliveries, per Standard Webhooks: the ``webhooks`` kind of the outbox runner.

No transaction stays open during an HTTP call (``app.core.outbox``): due deliveries are leased in a
short claiming transaction, sent, and their results recorded in short transactions (a batch of
results each, every delivery getting its own outcome), only for a delivery still holding the same
lease. A request is bounded by ``TIMEOUT_SECONDS``, well inside ``LEASE``, and a delivery that
waited in its lane is sent only while its lease outlasts that bound: two live workers never send
the same attempt, and a worker killed mid-delivery leaves a delivery that is retried (its attempt
logged as interrupted) once its lease ends.

Each subscription is its own target: at most ``PER_SUBSCRIPTION`` requests to it at once, so a
slow or dead receiver only delays its own deliveries; a receiver that answers quickly gets up to
``QUEUE_AHEAD`` of work queued in its lanes, and an idle lane keeps its connection for
``LINGER``. New events are fanned out into deliveries (``fanout.fan_out``) as soon as their
transaction's notification arrives, and at each poll.
"""

import asyncio
import codecs
import email.utils
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import certifi
import structlog
from sqlalchemy import ColumnElement, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock, outbox
from app.core.settings import Settings, get_settings
from app.events import service as events_service
from app.events.types import Event
from app.webhooks import service, signing
from app.webhooks.disabling import disable, failing_since, mark_failing, mark_succeeding
from app.webhooks.fanout import fan_out
from app.webhooks.models import (
    DeliveryStatus,
    DisabledReason,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import WebhookEvent
from app.webhooks.targets import TargetNotAllowed, resolve

log = structlog.get_logger("app.webhooks")

BATCH_SIZE = 100
TIMEOUT_SECONDS = 15.0
LEASE = timedelta(seconds=60)
# The wait before the 2nd, 3rd… attempt (the first is immediate); then the delivery has failed.
RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
)
JITTER = 0.1
"""Up to this fraction of the delay is added at random, so retries of a burst spread out."""
POLICY = outbox.RetryPolicy(RETRY_DELAYS, jitter=JITTER)
MAX_ATTEMPTS = POLICY.max_attempts
PER_SUBSCRIPTION = 4
"""Requests in flight at once to one subscription."""
QUEUE_AHEAD = timedelta(seconds=1)
"""Work (at the subscription's recent pace) claimed ahead for its lanes."""
LINGER = timedelta(seconds=2)
"""How long an idle lane keeps its connection for the next delivery."""
RETRY_AFTER_STATUSES = frozenset({429, 503})
RETRY_AFTER_MAX = timedelta(hours=24)
DISABLE_AFTER = timedelta(days=5)
EXCERPT_BYTES = 1024
ERROR_MAX_LENGTH = 1000
USER_AGENT = "Manager-Webhooks/1.0"
_SSL_CONTEXT = ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Claim:
    """One leased delivery, with what its request needs."""

    delivery_id: uuid.UUID
    lease_token: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    target_url: str
    body: str
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Result:
    claim: Claim
    attempted_at: datetime
    duration_ms: int
    status_code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def outcome(self) -> outbox.Outcome:
        if self.succeeded:
            return outbox.Outcome(detail=self)
        return outbox.Outcome(
            error=self.error or f"HTTP {self.status_code}",
            retry_after=self.retry_after if self.status_code in RETRY_AFTER_STATUSES else None,
            final=self.status_code == 410,
            detail=self,
        )


def _body(event: Event, organization_id: uuid.UUID) -> str:
    """The same representation as the polling feed's."""
    return WebhookEvent.model_validate(
        service.event_body(event, organization_id=organization_id)
    ).model_dump_json()


def _active() -> Sequence[ColumnElement[bool]]:
    return (
        WebhookDelivery.subscription_id.in_(
            select(WebhookSubscription.id).where(WebhookSubscription.active.is_(True))
        ),
    )


def _claimed(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.updated_at = now


async def _prepare(
    session: AsyncSession, deliveries: Sequence[WebhookDelivery], settings: Settings
) -> list[Claim]:
    subscriptions = {
        subscription.id: subscription
        for subscription in await session.scalars(
            select(WebhookSubscription).where(
                WebhookSubscription.id.in_({d.subscription_id for d in deliveries})
            )
        )
    }
    events = await events_service.events_by_id(session, {d.event_id for d in deliveries})
    secrets = {key: tuple(service.signing_secrets(s)) for key, s in subscriptions.items()}
    claims = []
    for delivery in deliveries:
        subscription = subscriptions[delivery.subscription_id]
        event = events[delivery.event_id]
        assert delivery.lease_token is not None
        claims.append(
            Claim(
                delivery_id=delivery.id,
                lease_token=delivery.lease_token,
                subscription_id=subscription.id,
                event_id=event.id,
                event_type=event.type,
                target_url=subscription.target_url,
                body=_body(event, subscription.organization_id),
                secrets=secrets[subscription.id],
            )
        )
    return claims


def _target(claim: Claim, settings: Settings) -> str:
    return str(claim.subscription_id)


@asynccontextmanager
async def _lane(target: str, settings: Settings) -> AsyncIterator[outbox.Sender[Claim]]:
    clients: dict[str, aiohttp.ClientSession] = {}
    try:

        async def send_one(claim: outbox.Claim[Claim]) -> outbox.Outcome:
            return (await send(claim.payload, settings, clients)).outcome()

        yield send_one
    finally:
        await asyncio.gather(*(client.close() for client in clients.values()))


async def _interrupted(session: AsyncSession, delivery: WebhookDelivery, now: datetime) -> None:
    """Logs the interrupted attempt, as the receiver may have got it."""
    target_url = await session.scalar(
        select(WebhookSubscription.target_url).where(
            WebhookSubscription.id == delivery.subscription_id
        )
    )
    started = delivery.next_attempt_at - LEASE
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            subscription_id=delivery.subscription_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            target_url=target_url or "",
            succeeded=False,
            status_code=None,
            duration_ms=max(0, round((now - started).total_seconds() * 1000)),
            response_excerpt=None,
            error=outbox.INTERRUPTED,
            created_at=started,
        )
    )
    delivery.last_attempt_at = started
    delivery.last_status_code = None
    delivery.updated_at = now


async def _recorded(
    session: AsyncSession,
    recorded: Sequence[tuple[WebhookDelivery, outbox.Claim[Claim], outbox.Outcome]],
    now: datetime,
) -> None:
    """For a batch of attempts: the attempt log, each delivery's last result, and the health of
    the subscriptions concerned."""
    results: dict[uuid.UUID, list[Result]] = {}
    log_rows = []
    for delivery, claim, outcome in recorded:
        result = _result_of(claim, outcome, now)
        results.setdefault(result.claim.subscription_id, []).append(result)
        log_rows.append(_attempt(result))
        delivery.last_attempt_at = result.attempted_at
        delivery.last_status_code = result.status_code
        delivery.last_error = result.error
        delivery.updated_at = now
        if result.succeeded:
            delivery.delivered_at = now
        else:
            log.info(
                "webhook_attempt_failed",
                delivery_id=str(delivery.id),
                attempts=delivery.attempts,
                status=delivery.status,
                status_code=result.status_code,
                error=result.error,
            )
    await session.execute(insert(WebhookAttempt), log_rows)  # flushes the deliveries first
    succeeding: list[uuid.UUID] = []
    failing: list[list[Result]] = []
    for subscription_id, attempts in results.items():
        if any(result.status_code == 410 for result in attempts):
            await disable(session, subscription_id, DisabledReason.gone, "410 Gone")
            continue
        # In the order they were recorded: a success ends the run of failures before it.
        last_success = max((i for i, r in enumerate(attempts) if r.succeeded), default=None)
        if last_success is not None:
            succeeding.append(subscription_id)
        if failures := attempts[0 if last_success is None else last_success + 1 :]:
            failing.append(failures)
    await mark_succeeding(session, succeeding)
    for failures in failing:
        await _note_failure(session, failures, now)


def _result_of(claim: outbox.Claim[Claim], outcome: outbox.Outcome, now: datetime) -> Result:
    """The attempt's result (a failure the runner caught has no HTTP exchange)."""
    if isinstance(outcome.detail, Result):
        return outcome.detail
    return Result(claim.payload, attempted_at=now, duration_ms=0, error=outcome.error)


WEBHOOKS: outbox.Kind[Claim] = outbox.register(
    outbox.Kind(
        name="webhooks",
        model=WebhookDelivery,
        policy=POLICY,
        prepare=_prepare,
        target=_target,
        lane=_lane,
        done=DeliveryStatus.succeeded,
        lease=LEASE,
        per_target=PER_SUBSCRIPTION,
        batch_size=BATCH_SIZE,
        target_column=WebhookDelivery.subscription_id,
        claimable=_active,
        on_claimed=_claimed,
        on_interrupted=_interrupted,
        on_recorded_many=_recorded,
        feed=fan_out,
        wakes_on=("events_domain_events",),
        error_max_length=ERROR_MAX_LENGTH,
        send_timeout=timedelta(seconds=TIMEOUT_SECONDS),
        queue_ahead=QUEUE_AHEAD,
        linger=LINGER,
    )
)


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Sends up to ``batch_size`` due deliveries once (the worker runs the ``WEBHOOKS`` kind
    continuously); returns how many were attempted."""
    return await outbox.run_once(
        WEBHOOKS, sessionmaker, settings or get_settings(), batch_size=batch_size
    )


async def send(
    claim: Claim, settings: Settings, clients: dict[str, aiohttp.ClientSession]
) -> Result:
    """One attempt: resolve and check the target, POST the signed body, read the answer.

    ``clients`` keeps a connection pool per host (the lane's): a pooled connection is only ever
    reused for the name it was opened for."""
    attempted_at = clock.now()
    started = time.monotonic()

    def result(**outcome: object) -> Result:
        duration_ms = round((time.monotonic() - started) * 1000)
        return Result(claim, attempted_at, duration_ms, **outcome)  # type: ignore[arg-type]

    try:
        async with asyncio.timeout(TIMEOUT_SECONDS):
            target = await resolve(
                claim.target_url,
                require_https=settings.production,
                allow_private=settings.webhook_private_targets_allowed,
            )
            headers = {
                "content-type": "application/json",
                "user-agent": USER_AGENT,
                "host": target.host_header,
                **signing.headers(
                    message_id=str(claim.event_id),
                    timestamp=attempted_at,
                    body=claim.body,
                    secrets=claim.secrets,
                ),
            }
            client = clients.get(target.host_header)
            if client is None:
                client = clients[target.host_header] = _client()
            async with client.post(
                target.url,
                data=claim.body.encode(),
                headers=headers,
                allow_redirects=False,
                server_hostname=target.sni_hostname,
            ) as response:
                return result(
                    status_code=response.status,
                    excerpt=await _excerpt(response),
                    retry_after=retry_after(response.headers.get("retry-after")),
                )
    except TargetNotAllowed as error:
        return result(error=error.detail or "The target is not allowed.")
    except TimeoutError:
        return result(error=f"No response within {TIMEOUT_SECONDS:g} s.")
    except aiohttp.ClientError as error:
        return result(error=f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH])


def _client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=_SSL_CONTEXT),
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        trust_env=False,  # a proxy from the environment would bypass the address check
    )


async def _excerpt(response: aiohttp.ClientResponse) -> str | None:
    received = b""
    while len(received) < EXCERPT_BYTES:
        chunk = await response.content.read(EXCERPT_BYTES - len(received))
        if not chunk:
            break
        received += chunk
    if not received:
        return None
    try:
        encoding = codecs.lookup(response.charset or "utf-8").name
    except LookupError:
        encoding = "utf-8"
    return received.decode(encoding, errors="replace")


def retry_after(value: str | None) -> timedelta | None:
    """``Retry-After`` as seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        delay = timedelta(seconds=int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        delay = when - clock.now()
    return max(timedelta(0), min(delay, RETRY_AFTER_MAX))


def next_delay(attempts: int, result: Result) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: the receiver's ``Retry-After`` on 429
    and 503, otherwise the schedule plus jitter."""
    outcome = result.outcome()
    return POLICY.delay(attempts, retry_after=outcome.retry_after)


def _attempt(result: Result) -> dict[str, Any]:
    """The attempt log's row for ``result``."""
    claim = result.claim
    return {
        "id": uuid.uuid4(),
        "delivery_id": claim.delivery_id,
        "subscription_id": claim.subscription_id,
        "event_id": claim.event_id,
        "event_type": claim.event_type,
        "target_url": claim.target_url,
        "succeeded": result.succeeded,
        "status_code": result.status_code,
        "duration_ms": result.duration_ms,
        "response_excerpt": result.excerpt,
        "error": result.error,
        "created_at": result.attempted_at,
    }


async def _note_failure(session: AsyncSession, failures: Sequence[Result], now: datetime) -> None:
    """Starts or extends the subscription's run of failures (from the earliest of ``failures``);
    five days of it disable it."""
    subscription_id = failures[0].claim.subscription_id
    first = min(result.attempted_at for result in failures)
    await mark_failing(session, subscription_id, since=first)
    since = await failing_since(session, subscription_id)
    if since is not None and now - since >= DISABLE_AFTER:
        last = failures[-1].error or f"HTTP {failures[-1].status_code}"
        await disable(
            session,
            subscription_id,
            DisabledReason.failing,
            f"no successful delivery since {since:%Y-%m-%d %H:%M} UTC (last: {last})",
        )
