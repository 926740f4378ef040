import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin


class DomainEvent(IdMixin, Base):
    """Something that happened, in the same representation the REST API returns for its object."""

    __tablename__ = "events_domain_events"
    __table_args__ = (
        Index("ix_events_domain_events_organization_feed", "organization_id", "created_at", "id"),
        # Delivery (webhooks' fan-out) reads organization events in creation order.
        Index(
            "ix_events_domain_events_webhook_fanout",
            "created_at",
            "id",
            postgresql_where=text("organization_id IS NOT NULL"),
        ),
    )

    type: Mapped[str] = mapped_column(String(100))
    organization_id: Mapped[uuid.UUID | None]
    account_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
