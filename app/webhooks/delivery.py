"""Sending webhook deliveries, per Standard Webhooks: the ``webhooks`` kind of the outbox runner.

No transaction stays open during an HTTP call (``app.core.outbox``): due deliveries are leased in a
short claiming transaction, sent, and each result recorded in its own short transaction, only for
a delivery still holding the same lease. A request is bounded by ``TIMEOUT_SECONDS``, well inside
``LEASE``: two live workers never send the same attempt, and a worker killed mid-delivery leaves
a delivery that is retried (its attempt logged as interrupted) once its lease ends.

Each subscription is its own target: at most ``PER_SUBSCRIPTION`` requests to it at once, so a
slow or dead receiver only delays its own deliveries. New events are fanned out into deliveries
just before each claim (``fanout.fan_out``).
"""

import asyncio
import email.utils
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import certifi
import httpx
import structlog
from sqlalchemy import ColumnElement, select
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
POLICY = outbox.RetryPolicy(RETRY_DELAYS, jitter=JITTER)
MAX_ATTEMPTS = POLICY.max_attempts
PER_SUBSCRIPTION = 4
"""Requests in flight at once to one subscription."""
"""Up to this fraction of the delay is added at random, so retries of a burst spread out."""
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
                secrets=tuple(service.signing_secrets(subscription)),
            )
        )
    return claims


def _target(claim: Claim, settings: Settings) -> str:
    return str(claim.subscription_id)


@asynccontextmanager
async def _lane(target: str, settings: Settings) -> AsyncIterator[outbox.Sender[Claim]]:
    clients: dict[str, httpx.AsyncClient] = {}
    try:

        async def send_one(claim: outbox.Claim[Claim]) -> outbox.Outcome:
            return (await send(claim.payload, settings, clients)).outcome()

        yield send_one
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))


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
    delivery: WebhookDelivery,
    claim: outbox.Claim[Claim],
    outcome: outbox.Outcome,
    now: datetime,
) -> None:
    """The attempt log, the delivery's last result, and the subscription's health."""
    result: Result = outcome.detail
    session.add(_attempt(result))
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
    await session.flush()
    subscription_id = result.claim.subscription_id
    if result.status_code == 410:
        await disable(session, subscription_id, DisabledReason.gone, "410 Gone")
    elif result.succeeded:
        await mark_succeeding(session, subscription_id)
    else:
        await _note_failure(session, result, now)


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
        on_recorded=_recorded,
        feed=fan_out,
        wakes_on=("events_domain_events",),
        error_max_length=ERROR_MAX_LENGTH,
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


async def send(claim: Claim, settings: Settings, clients: dict[str, httpx.AsyncClient]) -> Result:
    """One attempt: resolve and check the target, POST the signed body, read the answer."""
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
            extensions = {"sni_hostname": target.sni_hostname} if target.sni_hostname else {}
            client = clients.get(target.host_header)
            if client is None:
                client = clients[target.host_header] = _client()
            async with client.stream(
                "POST",
                target.url,
                content=claim.body.encode(),
                headers=headers,
                extensions=extensions,
            ) as response:
                return result(
                    status_code=response.status_code,
                    excerpt=await _excerpt(response),
                    retry_after=retry_after(response.headers.get("retry-after")),
                )
    except TargetNotAllowed as error:
        return result(error=error.detail or "The target is not allowed.")
    except (TimeoutError, httpx.TimeoutException):
        return result(error=f"No response within {TIMEOUT_SECONDS:g} s.")
    except httpx.HTTPError as error:
        return result(error=f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH])


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(TIMEOUT_SECONDS),
        follow_redirects=False,
        verify=_SSL_CONTEXT,
        trust_env=False,  # a proxy from the environment would bypass the address check
    )


async def _excerpt(response: httpx.Response) -> str | None:
    received = b""
    async for chunk in response.aiter_bytes():
        received += chunk
        if len(received) >= EXCERPT_BYTES:
            break
    if not received:
        return None
    return received[:EXCERPT_BYTES].decode(response.encoding or "utf-8", errors="replace")


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


def _attempt(result: Result) -> WebhookAttempt:
    claim = result.claim
    return WebhookAttempt(
        delivery_id=claim.delivery_id,
        subscription_id=claim.subscription_id,
        event_id=claim.event_id,
        event_type=claim.event_type,
        target_url=claim.target_url,
        succeeded=result.succeeded,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        response_excerpt=result.excerpt,
        error=result.error,
        created_at=result.attempted_at,
    )


async def _note_failure(session: AsyncSession, result: Result, now: datetime) -> None:
    """Starts or extends the subscription's run of failures; five days of it disable it."""
    subscription_id = result.claim.subscription_id
    await mark_failing(session, subscription_id, since=result.attempted_at)
    since = await failing_since(session, subscription_id)
    if since is not None and now - since >= DISABLE_AFTER:
        last = result.error or f"HTTP {result.status_code}"
        await disable(
            session,
            subscription_id,
            DisabledReason.failing,
            f"no successful delivery since {since:%Y-%m-%d %H:%M} UTC (last: {last})",
        )
