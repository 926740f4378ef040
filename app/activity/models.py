import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.dialects.postgresql import INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin


class ActivityEntry(IdMixin, Base):
    """One action. ``account_id`` is whose log it appears in; ``actor_*`` who did it, as whom."""

    __tablename__ = "activity_log"
    __table_args__ = (
        Index("ix_activity_log_account", "account_id", "created_at", "id"),
        Index("ix_activity_log_organization", "organization_id", "created_at", "id"),
    )

    action: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[uuid.UUID | None]
    organization_id: Mapped[uuid.UUID | None]
    product_id: Mapped[uuid.UUID | None]
    actor_account_id: Mapped[uuid.UUID | None]
    actor_organization_id: Mapped[uuid.UUID | None]
    ip: Mapped[str | None] = mapped_column(INET)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
