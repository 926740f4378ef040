"""Emitting domain events (within the transaction that makes the change), and reading them
back for the packages that deliver them (webhooks): as ``Event`` values, never the ORM rows."""

import json
import uuid
from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any

from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core import bulk, clock
from app.core.pagination import PageParams, paginate
from app.core.schemas import from_attributes
from app.events.catalog import EVENT_TYPES
from app.events.models import DomainEvent
from app.events.types import Event, Readable

IdFilter = Callable[[InstrumentedAttribute[uuid.UUID]], ColumnElement[bool]]
"""Given the event id column, a condition on it (e.g. ``~exists().where(X.event_id == column)``)."""


async def emit(
    session: AsyncSession,
    type: str,
    data: Any,
    *,
    organization_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
) -> DomainEvent:
    """Records ``type`` (e.g. ``order.created``) with ``data``: a response schema or plain dict.

    (Still returns the row: webhooks uses it until it moves to ``Event``; then this returns
    ``event_of(event)``.)"""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}: add it to app/events/catalog.py")
    event = DomainEvent(
        type=type,
        organization_id=organization_id,
        account_id=account_id,
        # A schema serializes itself (pydantic's encoder), far faster than walking it.
        data=data.model_dump(mode="json", by_alias=True)
        if isinstance(data, BaseModel)
        else jsonable_encoder(data),
    )
    session.add(event)
    return event


async def emit_many(
    session: AsyncSession,
    type: str,
    events: Iterable[tuple[Any, uuid.UUID | None]],
    *,
    now: datetime | None = None,
) -> int:
    """Records one ``type`` event per ``(data, organization_id)`` of ``events``, as ``emit``
    does each, in one INSERT (a batch job's events); returns how many."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}: add it to app/events/catalog.py")
    created_at = now or clock.now()
    rows = [
        {
            "id": uuid.uuid4(),
            "type": type,
            "organization_id": organization_id,
            "data": _json(data),
            "created_at": created_at,
        }
        for data, organization_id in events
    ]
    if rows:
        await bulk.insert_rows(session, DomainEvent, rows, json_text=("data",))
    return len(rows)


def _json(data: Any) -> str:
    """``data`` as the JSON text of what ``jsonable_encoder`` gives, written by pydantic for a
    schema (ten times cheaper than encoding, then dumping)."""
    if isinstance(data, BaseModel):
        return data.model_dump_json(by_alias=True)
    return json.dumps(jsonable_encoder(data))


def event_of(row: DomainEvent) -> Event:
    return from_attributes(Event, row)


async def find_event(
    session: AsyncSession,
    event_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None = None,
    type: str | None = None,
) -> Event | None:
    """The event ``event_id`` (of that organization, of that type, when given), or None."""
    statement = select(DomainEvent).where(DomainEvent.id == event_id)
    if organization_id is not None:
        statement = statement.where(DomainEvent.organization_id == organization_id)
    if type is not None:
        statement = statement.where(DomainEvent.type == type)
    row = await session.scalar(statement)
    return event_of(row) if row is not None else None


async def events_by_id(
    session: AsyncSession, event_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Event]:
    ids = list(set(event_ids))
    if not ids:
        return {}
    rows = await session.scalars(select(DomainEvent).where(DomainEvent.id.in_(ids)))
    return {row.id: event_of(row) for row in rows}


async def claim_organization_events(
    session: AsyncSession,
    *,
    unhandled: IdFilter,
    since: datetime | None,
    limit: int,
    types: Collection[str] | None = None,
) -> list[Event]:
    """Locks (skipping rows other workers hold) and returns up to ``limit`` organization events,
    oldest first, that pass ``unhandled``, created at ``since`` or later when given, of one of
    ``types`` when given."""
    statement = (
        select(DomainEvent)
        .where(DomainEvent.organization_id.is_not(None), unhandled(DomainEvent.id))
        .order_by(DomainEvent.created_at, DomainEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if since is not None:
        statement = statement.where(DomainEvent.created_at >= since)
    if types is not None:
        statement = statement.where(DomainEvent.type.in_(list(types)))
    return [event_of(row) for row in await session.scalars(statement)]


def _readable_by(readable: Readable) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [DomainEvent.type.in_(list(readable.types))]
    for type, (key, product_ids) in readable.by_product.items():
        if product_ids:
            conditions.append(
                and_(
                    DomainEvent.type == type,
                    DomainEvent.data[key].astext.in_([str(id) for id in product_ids]),
                )
            )
    return or_(false(), *conditions)


def organization_events(
    organization_id: uuid.UUID,
    *,
    readable: Readable,
    types: Collection[str] | None = None,
    type_prefixes: Collection[str] = (),
) -> Select[DomainEvent]:
    """The organization's events that ``readable`` lets the caller read; page through them
    with ``events_page``. Given ``types`` or ``type_prefixes``, only the events whose type is
    one of ``types`` or starts with a prefix."""
    statement = select(DomainEvent).where(
        DomainEvent.organization_id == organization_id, _readable_by(readable)
    )
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
) -> tuple[list[Event], str | None]:
    """One page of an ``organization_events(...)`` statement, newest first."""
    rows, next_cursor = await paginate(session, statement, params)
    return [event_of(event) for event in rows], next_cursor
