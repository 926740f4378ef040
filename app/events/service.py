"""Emitting domain events. Call within the transaction that makes the change."""

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.events.catalog import EVENT_TYPES
from app.events.models import DomainEvent


async def emit(
    session: AsyncSession,
    type: str,
    data: Any,
    *,
    organization_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
) -> DomainEvent:
    """Records ``type`` (e.g. ``order.created``) with ``data``: a response schema or plain dict."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}: add it to app/events/catalog.py")
    event = DomainEvent(
        id=uuid.uuid4(),
        type=type,
        organization_id=organization_id,
        account_id=account_id,
        data=jsonable_encoder(data),
        created_at=clock.now(),
    )
    session.add(event)
    return event


# --- used by webhooks ---


@dataclass(frozen=True)
class EventRecord:
    """A domain event as read by another domain."""

    id: uuid.UUID
    type: str
    organization_id: uuid.UUID | None
    data: Any
    created_at: datetime


def _record_of(event: DomainEvent) -> EventRecord:
    return EventRecord(event.id, event.type, event.organization_id, event.data, event.created_at)


async def events_by_id(
    session: AsyncSession, event_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, EventRecord]:
    if not event_ids:
        return {}
    events = await session.scalars(select(DomainEvent).where(DomainEvent.id.in_(event_ids)))
    return {event.id: _record_of(event) for event in events}


async def lock_new_organization_events(
    session: AsyncSession,
    *,
    handled: Callable[[Any], ColumnElement[bool]],
    since: datetime | None,
    limit: int,
) -> list[EventRecord]:
    """Up to ``limit`` organization events, oldest first, created at ``since`` or later, for
    which ``handled(event id column)`` is false; locked ``FOR UPDATE SKIP LOCKED`` for the
    caller's transaction (so two workers take different events)."""
    query = (
        select(DomainEvent)
        .where(DomainEvent.organization_id.is_not(None), ~handled(DomainEvent.id))
        .order_by(DomainEvent.created_at, DomainEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if since is not None:
        query = query.where(DomainEvent.created_at >= since)
    return [_record_of(event) for event in await session.scalars(query)]
