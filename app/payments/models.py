"""The payments package's tables: private to it."""

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin


class PaymentAuthorization(IdMixin, Base):
    """One authorization, written in the transaction that asked for it: a row exists only when
    that transaction committed, so an ``authorized`` row is always due for capture."""

    __tablename__ = "payments_authorizations"
    __table_args__ = (
        CheckConstraint("status IN ('authorized', 'captured', 'voided')", name="status_known"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index(
            "ix_payments_authorizations_authorized",
            "created_at",
            postgresql_where="status = 'authorized'",
        ),
    )

    key: Mapped[str] = mapped_column(String(200), unique=True)
    """The idempotency key at the provider (``ticketing-order:<id>``, ``billing-invoice:…``)."""
    provider: Mapped[str] = mapped_column(String(40))
    provider_reference: Mapped[str] = mapped_column(String(100))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    captured_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
