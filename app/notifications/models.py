import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin


class MailStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class MailMessage(IdMixin, Base):
    """One e-mail in the outbox: its template, language and context, rendered and sent by the
    worker (``delivery``). Mails queued before rendering moved to the worker hold their rendered
    subject and bodies instead, and are sent as they are."""

    __tablename__ = "notifications_mail_outbox"
    __table_args__ = (
        Index(
            "ix_notifications_mail_outbox_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    to_address: Mapped[str] = mapped_column(String(320))
    template: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(5))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """The template's variables as ``context.dump`` stores them."""
    subject: Mapped[str | None] = mapped_column(String(500))
    text_body: Mapped[str | None] = mapped_column(Text)
    html_body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(String(10), default=MailStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    lease_token: Mapped[uuid.UUID | None]
    """Set while a worker attempts it; ``next_attempt_at`` is then the lease's end."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
    account_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    unsubscribe_url: Mapped[str | None] = mapped_column(String(2000))
    """Newsletter-type mails: the recipient's one-click unsubscribe URL (RFC 8058), sent in
    the ``List-Unsubscribe`` header."""


class SmsMessage(IdMixin, Base):
    """One text message in the outbox (recovery-phone and password reset codes), sent by the
    worker."""

    __tablename__ = "notifications_sms_outbox"
    __table_args__ = (
        Index(
            "ix_notifications_sms_outbox_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    to_number: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(480))
    status: Mapped[MailStatus] = mapped_column(String(10), default=MailStatus.pending)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    lease_token: Mapped[uuid.UUID | None]
    """Set while a worker attempts it; ``next_attempt_at`` is then the lease's end."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
