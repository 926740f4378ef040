import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin


class DisabledReason(StrEnum):
    gone = "gone"
    """The receiver answered 410 Gone: it asked to be unsubscribed."""
    failing = "failing"
    """Every delivery failed for five days in a row."""


class WebhookSubscription(IdMixin, TimestampMixin, Base):
    """Where an organization wants its events sent, and which ones: all of the organization's
    (managed by its administrators and legal representatives), or one ticket office's only
    (managed by who holds the ``technical`` right on it)."""

    __tablename__ = "webhooks_subscriptions"
    __table_args__ = (
        Index("ix_webhooks_subscriptions_list", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    ticket_office_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="CASCADE"), index=True
    )
    """Set: only this ticket office's events are sent. None: the organization's."""
    target_url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(ARRAY(String(120)))
    description: Mapped[str | None] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(default=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    previous_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    previous_secret_expires_at: Mapped[datetime | None]
    failing_since: Mapped[datetime | None]
    """Start of the current run of failed attempts; cleared by a successful one."""
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[DisabledReason | None] = mapped_column(String(20))
    created_by_account_id: Mapped[uuid.UUID | None]


class WebhookEventFanout(Base):
    """Marks a domain event as fanned out to the subscriptions it matched (a per-event claim)."""

    __tablename__ = "webhooks_event_fanouts"

    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events_domain_events.id", ondelete="CASCADE"), primary_key=True
    )
    event_created_at: Mapped[datetime] = mapped_column(index=True)
    fanned_out_at: Mapped[datetime] = mapped_column(default=clock.now)


class DeliveryStatus(StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class WebhookDelivery(IdMixin, TimestampMixin, Base):
    """One event to send to one subscription, retried until it succeeds or runs out of attempts.

    A worker claims a due delivery by setting ``lease_token`` and pushing ``next_attempt_at`` to
    the lease's end: should the worker die, the delivery is due again once the lease ends.
    """

    __tablename__ = "webhooks_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhooks_deliveries_list", "subscription_id", "created_at", "id"),
        Index(
            "ix_webhooks_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("events_domain_events.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[DeliveryStatus] = mapped_column(String(20), default=DeliveryStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    """Attempts in the current retry schedule (a manual redelivery starts a new one)."""
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    lease_token: Mapped[uuid.UUID | None]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]


class WebhookAttempt(IdMixin, Base):
    """One HTTP request made to deliver an event: the delivery log."""

    __tablename__ = "webhooks_attempts"
    __table_args__ = (
        Index("ix_webhooks_attempts_list", "subscription_id", "created_at", "id"),
        Index("ix_webhooks_attempts_delivery", "delivery_id"),
    )

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks_deliveries.id", ondelete="CASCADE")
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhooks_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(100))
    target_url: Mapped[str] = mapped_column(String(2000))
    succeeded: Mapped[bool]
    status_code: Mapped[int | None]
    duration_ms: Mapped[int]
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
