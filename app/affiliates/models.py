"""The affiliate programme's tables (private to this package; prefix ``affiliates_``)."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column

from app.affiliates.types import (
    AffiliateStatus,
    CommissionKind,
    CommissionState,
    PayoutMethod,
    PayoutStatus,
)
from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin


class Affiliate(IdMixin, TimestampMixin, Base):
    """An organization in the programme: its tag, its account currency and how it is paid."""

    __tablename__ = "affiliates"
    __table_args__ = (
        CheckConstraint("currency IN ('CHF', 'EUR')", name="currency_supported"),
        CheckConstraint(
            "(payout_method = 'paypal') = (paypal_email IS NOT NULL)", name="paypal_address"
        ),
        CheckConstraint("(payout_method = 'bank_transfer') = (iban IS NOT NULL)", name="iban"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    tag: Mapped[str] = mapped_column(String(32), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    payout_method: Mapped[PayoutMethod] = mapped_column(String(20))
    paypal_email: Mapped[str | None] = mapped_column(String(320))
    iban: Mapped[str | None] = mapped_column(String(34))
    status: Mapped[AffiliateStatus] = mapped_column(String(20), default=AffiliateStatus.active)
    suspended_at: Mapped[datetime | None]
    suspension_reason: Mapped[str | None] = mapped_column(String(500))


class Visitor(IdMixin, Base):
    """Someone who followed affiliate links, known by the token the front-end keeps."""

    __tablename__ = "affiliates_visitors"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Visit(IdMixin, Base):
    """One landing with a tag: the last one within 30 days wins the sign-up."""

    __tablename__ = "affiliates_visits"
    __table_args__ = (Index("ix_affiliates_visits_visitor", "visitor_id", "visited_at"),)

    visitor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("affiliates_visitors.id", ondelete="CASCADE")
    )
    affiliate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("affiliates.id", ondelete="CASCADE"))
    ip: Mapped[str | None] = mapped_column(INET)
    visited_at: Mapped[datetime] = mapped_column(default=clock.now)


class Referral(IdMixin, Base):
    """A new organization attributed to an affiliate at sign-up; it earns until ``earns_until``."""

    __tablename__ = "affiliates_referrals"
    __table_args__ = (Index("ix_affiliates_referrals_affiliate", "affiliate_id", "created_at"),)

    affiliate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("affiliates.id", ondelete="CASCADE"))
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    account_id: Mapped[uuid.UUID]
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("affiliates_visits.id"))
    visited_at: Mapped[datetime]
    earns_until: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ExchangeRate(IdMixin, TimestampMixin, Base):
    """1 ``base`` = ``rate`` ``quote``, in force from ``valid_from`` (staff maintain it)."""

    __tablename__ = "affiliates_exchange_rates"
    __table_args__ = (
        UniqueConstraint("base", "quote", "valid_from"),
        CheckConstraint("rate > 0", name="rate_positive"),
        CheckConstraint("base <> quote", name="two_currencies"),
    )

    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date]
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))


class Payout(IdMixin, Base):
    """One month's payment of an affiliate's validated commissions (once per month)."""

    __tablename__ = "affiliates_payouts"
    __table_args__ = (
        UniqueConstraint("affiliate_id", "month"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_affiliates_payouts_affiliate", "affiliate_id", "created_at", "id"),
    )

    affiliate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("affiliates.id", ondelete="CASCADE"))
    month: Mapped[date]
    """The first day of the month it was paid in."""
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[PayoutMethod] = mapped_column(String(20))
    destination: Mapped[str | None] = mapped_column(String(320))
    """The PayPal address or IBAN at the time of the payout."""
    status: Mapped[PayoutStatus] = mapped_column(String(20))
    paid_out_at: Mapped[datetime | None]
    paid_out_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Commission(IdMixin, Base):
    """What one paid invoice (or one staff adjustment) earns an affiliate."""

    __tablename__ = "affiliates_commissions"
    __table_args__ = (
        Index("ix_affiliates_commissions_affiliate", "affiliate_id", "created_at", "id"),
        Index("ix_affiliates_commissions_due", "state", "hold_until"),
        CheckConstraint(
            "(kind = 'order') = (invoice_id IS NOT NULL AND referral_id IS NOT NULL)",
            name="order_has_invoice",
        ),
        CheckConstraint("kind = 'order' OR reason IS NOT NULL", name="adjustment_has_reason"),
    )

    affiliate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("affiliates.id", ondelete="CASCADE"))
    kind: Mapped[CommissionKind] = mapped_column(String(20), default=CommissionKind.order)
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("affiliates_referrals.id"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    """The billing invoice it was earned on (one commission per invoice)."""
    order_number: Mapped[str | None] = mapped_column(String(30))
    """What the affiliate sees of the order: its invoice number, never who the customer is."""
    ordered_at: Mapped[datetime]
    hold_until: Mapped[datetime]
    base_minor: Mapped[int] = mapped_column(BigInteger)
    """The order's amount excluding VAT (its earning lines), in ``currency``."""
    currency: Mapped[str] = mapped_column(String(3))
    rate_bp: Mapped[int]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    """The commission in ``currency``."""
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 8))
    """The rate it was converted at into the affiliate's currency, when validated (1 if same)."""
    converted_minor: Mapped[int | None] = mapped_column(BigInteger)
    """The commission in the affiliate's currency, once validated."""
    state: Mapped[CommissionState] = mapped_column(String(20), default=CommissionState.pending)
    reason: Mapped[str | None] = mapped_column(String(500))
    validated_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]
    payout_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("affiliates_payouts.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class HandledEvent(Base):
    """A billing event the programme has read (each is handled once, by one worker)."""

    __tablename__ = "affiliates_handled_events"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(default=clock.now)
