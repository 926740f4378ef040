"""Emitting domain events. Call within the transaction that makes the change."""

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.pagination import PageParams, paginate
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


# --- used by webhooks (api) ---


@dataclass(frozen=True)
class EventRecord:
    """A stored event, as other domains read it."""

    id: uuid.UUID
    type: str
    organization_id: uuid.UUID | None
    account_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime


def _record_of(event: DomainEvent) -> EventRecord:
    return EventRecord(
        id=event.id,
        type=event.type,
        organization_id=event.organization_id,
        account_id=event.account_id,
        data=event.data,
        created_at=event.created_at,
    )


def organization_events(
    organization_id: uuid.UUID,
    *,
    types: Collection[str] | None = None,
    type_prefixes: Collection[str] = (),
) -> Select[DomainEvent]:
    """The organization's events; page through them with ``events_page``. Given ``types`` or
    ``type_prefixes``, only the events whose type is one of ``types`` or starts with a prefix."""
    statement = select(DomainEvent).where(DomainEvent.organization_id == organization_id)
    if types is None and not type_prefixes:
        return statement
    conditions: list[ColumnElement[bool]] = [
        DomainEvent.type.startswith(prefix, autoescape=True) for prefix in type_prefixes
    ]
    if types:
        conditions.append(DomainEvent.type.in_(list(types)))
    return statement.where(or_(false(), *conditions))


async def events_page(
    session: AsyncSession, statement: Select[DomainEvent], params: PageParams
) -> tuple[list[EventRecord], str | None]:
    """One page of an ``organization_events(...)`` statement, newest first."""
    rows, next_cursor = await paginate(
        session, statement, params, created_at=DomainEvent.created_at, id=DomainEvent.id
    )
    return [_record_of(event) for event in rows], next_cursor


async def find_event(session: AsyncSession, event_id: uuid.UUID) -> EventRecord | None:
    """The event ``event_id``, if there is one."""
    event = await session.get(DomainEvent, event_id)
    return _record_of(event) if event is not None else None
