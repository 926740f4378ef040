"""The worker job that sends due deliveries, per Standard Webhooks, with retries.

No transaction stays open during an HTTP call. A batch is claimed with ``FOR UPDATE SKIP LOCKED``
in a short transaction that gives each delivery a lease (a token, and ``next_attempt_at`` moved to
the lease's end) and commits; the requests are sent; the results are recorded in another short
transaction, only for deliveries still holding the same token. A request is bounded by
``TIMEOUT_SECONDS``, well inside ``LEASE``: two live workers never send the same attempt, and a
worker killed mid-delivery leaves a delivery that is due again once its lease ends (at least once).
"""

import asyncio
import email.utils
import random
import ssl
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import certifi
import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock
from app.core.settings import Settings, get_settings
from app.events.models import DomainEvent
from app.webhooks import signing
from app.webhooks.disabling import disable, failing_since, mark_failing, mark_succeeding
from app.webhooks.models import (
    DeliveryStatus,
    DisabledReason,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from app.webhooks.schemas import WebhookEvent
from app.webhooks.service import event_body, signing_secrets
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
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.1
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


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Sends up to ``batch_size`` due deliveries; returns how many were attempted."""
    settings = settings or get_settings()
    claims = await claim_due(sessionmaker, batch_size=batch_size)
    if not claims:
        return 0
    results = await send_all(claims, settings)
    await record(sessionmaker, results)
    return len(claims)


async def claim_due(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int = BATCH_SIZE
) -> list[Claim]:
    """Leases up to ``batch_size`` due deliveries of active subscriptions, and commits."""
    async with sessionmaker.begin() as session:
        now = clock.now()
        rows = (
            await session.execute(
                select(WebhookDelivery, WebhookSubscription, DomainEvent)
                .join(
                    WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id
                )
                .join(DomainEvent, DomainEvent.id == WebhookDelivery.event_id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.pending,
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.active.is_(True),
                )
                .order_by(WebhookDelivery.next_attempt_at)
                .limit(batch_size)
                .with_for_update(of=WebhookDelivery, skip_locked=True)
            )
        ).all()
        claims = []
        for delivery, subscription, event in rows:
            delivery.lease_token = uuid.uuid4()
            delivery.next_attempt_at = now + LEASE
            delivery.updated_at = now
            body = event_body(event, organization_id=subscription.organization_id)
            claims.append(
                Claim(
                    delivery_id=delivery.id,
                    lease_token=delivery.lease_token,
                    subscription_id=subscription.id,
                    event_id=event.id,
                    event_type=event.type,
                    target_url=subscription.target_url,
                    body=WebhookEvent.model_validate(body).model_dump_json(),
                    secrets=tuple(signing_secrets(subscription)),
                )
            )
    return claims


async def send_all(claims: Sequence[Claim], settings: Settings) -> list[Result]:
    """Sends the claims concurrently, one connection pool per target host."""
    clients: dict[str, httpx.AsyncClient] = {}
    try:
        return list(await asyncio.gather(*(send(claim, settings, clients) for claim in claims)))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients.values()))


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
    if result.status_code in RETRY_AFTER_STATUSES and result.retry_after is not None:
        return result.retry_after
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return delay * (1 + random.uniform(0, JITTER))  # noqa: S311 - jitter, not a secret


async def record(sessionmaker: async_sessionmaker[AsyncSession], results: Sequence[Result]) -> None:
    """Writes the attempts and moves each delivery on, in one transaction; a delivery whose lease
    was taken over meanwhile is left alone. Rows are locked in id order (no deadlocks)."""
    if not results:
        return
    by_delivery = {result.claim.delivery_id: result for result in results}
    async with sessionmaker.begin() as session:
        deliveries = (
            await session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.id.in_(by_delivery))
                .order_by(WebhookDelivery.id)
                .with_for_update()
            )
        ).all()
        held = [d for d in deliveries if d.lease_token == by_delivery[d.id].claim.lease_token]
        for lost in by_delivery.keys() - {delivery.id for delivery in held}:
            # The lease ended and another worker took the delivery over, or it was deleted.
            log.warning("webhook_lease_lost", delivery_id=str(lost))
        now = clock.now()
        succeeded: set[uuid.UUID] = set()
        failed: dict[uuid.UUID, Result] = {}
        gone: set[uuid.UUID] = set()
        for delivery in held:
            result = by_delivery[delivery.id]
            session.add(_attempt(result))
            _move_on(delivery, result, now)
            subscription_id = result.claim.subscription_id
            if result.succeeded:
                succeeded.add(subscription_id)
            elif result.status_code == 410:
                gone.add(subscription_id)
            elif (
                subscription_id not in failed
                or result.attempted_at < failed[subscription_id].attempted_at
            ):
                failed[subscription_id] = result
        await session.flush()
        for subscription_id in sorted(succeeded | failed.keys() | gone):
            if subscription_id in gone:
                await disable(session, subscription_id, DisabledReason.gone, "410 Gone")
            elif subscription_id in succeeded:
                await mark_succeeding(session, subscription_id)
            else:
                await _note_failure(session, failed[subscription_id], now)


def _attempt(result: Result) -> WebhookAttempt:
    claim = result.claim
    return WebhookAttempt(
        id=uuid.uuid4(),
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


def _move_on(delivery: WebhookDelivery, result: Result, now: datetime) -> None:
    """Succeeded, failed for good (410, or the last attempt), or due again later."""
    delivery.attempts += 1
    delivery.lease_token = None
    delivery.last_attempt_at = result.attempted_at
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.updated_at = now
    if result.succeeded:
        delivery.status = DeliveryStatus.succeeded
        delivery.delivered_at = now
    elif result.status_code == 410 or delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.failed
    else:
        delivery.next_attempt_at = now + next_delay(delivery.attempts, result)
    if not result.succeeded:
        log.info(
            "webhook_attempt_failed",
            delivery_id=str(delivery.id),
            attempts=delivery.attempts,
            status=delivery.status,
            status_code=result.status_code,
            error=result.error,
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
