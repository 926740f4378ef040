"""The worker job that turns new domain events into deliveries for the subscriptions they match
(by type, and, for a subscription limited to a ticket office, by the office its payload names).

Each event is claimed once: the batch's event rows are locked with ``FOR UPDATE SKIP LOCKED`` and
a ``webhook_event_fanouts`` row marks each one done, in the transaction that creates its
deliveries. A worker killed half-way commits nothing, so the next run redoes the batch; a second
worker skips the locked events; and a delivery is unique per (subscription, event) anyway.

Only events created after the newest fanned-out one, less ``LATE_COMMIT_MARGIN``, are scanned, so
the cost does not grow with the outbox: an event whose transaction commits more than that margin
after it was emitted would be missed (request transactions last seconds).
"""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import bulk, clock
from app.events import service as events_service
from app.webhooks import patterns, visibility
from app.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEventFanout,
    WebhookSubscription,
)

BATCH_SIZE = 500
LATE_COMMIT_MARGIN = timedelta(minutes=10)
MARKERS_KEPT = timedelta(days=1)


async def fan_out(
    sessionmaker: async_sessionmaker[AsyncSession], *, batch_size: int = BATCH_SIZE
) -> int:
    """Fans out up to ``batch_size`` new events; returns how many events it handled."""
    async with sessionmaker.begin() as session:
        horizon = await _horizon(session)
        if horizon is not None:
            await session.execute(
                delete(WebhookEventFanout).where(
                    WebhookEventFanout.event_created_at < horizon - MARKERS_KEPT
                )
            )
        events = await events_service.claim_organization_events(
            session, unhandled=_not_fanned_out, since=horizon, limit=batch_size
        )
        if not events:
            return 0
        now = clock.now()
        subscriptions = await _active_subscriptions(
            session, {event.organization_id for event in events if event.organization_id}
        )
        deliveries = [
            {
                "id": uuid.uuid4(),
                "subscription_id": subscription.id,
                "event_id": event.id,
                "event_type": event.type,
                "status": DeliveryStatus.pending,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for event in events
            for subscription in subscriptions.get(event.organization_id, ())  # type: ignore[arg-type]
            if subscription.created_at <= event.created_at
            and patterns.matches(subscription.event_types, event.type)
            and (
                subscription.ticket_office_id is None
                or visibility.is_of_office(event.type, event.data, subscription.ticket_office_id)
            )
        ]
        # One statement whatever the number of rows (one array per column, core.bulk).
        await bulk.insert_rows(
            session, WebhookDelivery, deliveries, skip_conflicts_on=("subscription_id", "event_id")
        )
        await bulk.insert_rows(
            session,
            WebhookEventFanout,
            [
                {"event_id": event.id, "event_created_at": event.created_at, "fanned_out_at": now}
                for event in events
            ],
            skip_conflicts_on=("event_id",),
        )
    return len(events)


def _not_fanned_out(event_id: Any) -> ColumnElement[bool]:
    return ~exists().where(WebhookEventFanout.event_id == event_id)


async def _horizon(session: AsyncSession) -> datetime | None:
    """Where the scan starts: the newest fanned-out event (never past now), less the margin."""
    newest: datetime | None = await session.scalar(
        select(func.max(WebhookEventFanout.event_created_at))
    )
    if newest is None:
        return None
    return min(newest, clock.now()) - LATE_COMMIT_MARGIN


async def _active_subscriptions(
    session: AsyncSession, organization_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookSubscription]]:
    found: dict[uuid.UUID, list[WebhookSubscription]] = {}
    for subscription in await session.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.organization_id.in_(organization_ids),
            WebhookSubscription.active.is_(True),
        )
    ):
        found.setdefault(subscription.organization_id, []).append(subscription)
    return found
