"""Emitting domain events. Call within the transaction that makes the change."""

import uuid
from typing import Any

from fastapi.encoders import jsonable_encoder
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
