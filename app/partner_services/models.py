"""Partner services tables (``partner_services_…``), private to this package.

Amounts are integers in minor units with the rate card's currency; rates in basis points.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin
from app.partner_services.types import (
    Location,
    PartnerInvoiceStatus,
    PartnerLineKind,
    QuoteStatus,
    RequestChannel,
    RequestStatus,
    StepKind,
)

ORGANIZATION = "organizations.id"
ACCOUNT = "accounts.id"


class RateCard(Base):
    """A partner's rates (excl. VAT), where and when it works, and how it numbers invoices."""

    __tablename__ = "partner_services_rate_cards"

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey(ORGANIZATION, ondelete="CASCADE"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3))
    contract_hourly_minor: Mapped[int] = mapped_column(BigInteger)
    contract_remote_day_minor: Mapped[int] = mapped_column(BigInteger)
    contract_on_site_day_minor: Mapped[int] = mapped_column(BigInteger)
    hourly_minor: Mapped[int] = mapped_column(BigInteger)
    remote_day_minor: Mapped[int] = mapped_column(BigInteger)
    on_site_day_minor: Mapped[int] = mapped_column(BigInteger)
    per_km_minor: Mapped[int] = mapped_column(BigInteger)
    contract_threshold_minor: Mapped[int] = mapped_column(BigInteger)
    time_zone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    subdivision: Mapped[str | None] = mapped_column(String(10))
    invoice_prefix: Mapped[str] = mapped_column(String(12))
    iban: Mapped[str | None] = mapped_column(String(34))
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class Contract(IdMixin, Base):
    """A client's commitment to a partner: a monthly amount from a start to an end (included)."""

    __tablename__ = "partner_services_contracts"
    __table_args__ = (
        CheckConstraint("monthly_minor >= 0", name="monthly_not_negative"),
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        Index("ix_partner_services_contracts_client", "client_organization_id", "created_at", "id"),
    )

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    client_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    description: Mapped[str] = mapped_column(String(200))
    monthly_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    included_minutes: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(ACCOUNT))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SupportRequest(IdMixin, TimestampMixin, Base):
    __tablename__ = "partner_services_requests"
    __table_args__ = (
        Index("ix_partner_services_requests_client", "client_organization_id", "created_at", "id"),
    )

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    client_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(5000))
    channel: Mapped[RequestChannel] = mapped_column(String(10))
    status: Mapped[RequestStatus] = mapped_column(String(30))
    opened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(ACCOUNT))
    confirmed_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class RequestStep(IdMixin, Base):
    """One step of a request the client sees, with the time spent on it so far."""

    __tablename__ = "partner_services_request_steps"
    __table_args__ = (UniqueConstraint("request_id", "position"),)

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_services_requests.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    kind: Mapped[StepKind] = mapped_column(String(20))
    status: Mapped[RequestStatus] = mapped_column(String(30))
    message: Mapped[str | None] = mapped_column(String(5000))
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(ACCOUNT))
    time_spent_minutes: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Quote(IdMixin, TimestampMixin, Base):
    """An on-site job quoted first; the client's legal representative or administrator signs it."""

    __tablename__ = "partner_services_quotes"
    __table_args__ = (
        Index("ix_partner_services_quotes_client", "client_organization_id", "created_at", "id"),
    )

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    client_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_services_requests.id"))
    title: Mapped[str] = mapped_column(String(200))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[QuoteStatus] = mapped_column(String(20))
    sent_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(ACCOUNT))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner_services_invoices.id"))


class Intervention(IdMixin, Base):
    __tablename__ = "partner_services_interventions"
    __table_args__ = (
        CheckConstraint("ended_at > started_at", name="ends_after_start"),
        CheckConstraint("distance_km >= 0 AND travel_minutes >= 0", name="travel_not_negative"),
        Index("ix_partner_services_interventions_request", "request_id", "started_at"),
        Index(
            "ix_partner_services_interventions_uninvoiced",
            "client_organization_id",
            postgresql_where="invoice_id IS NULL",
        ),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_services_requests.id"))
    partner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    client_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    staff_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey(ACCOUNT))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    location: Mapped[Location] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(2000))
    quote_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner_services_quotes.id"))
    distance_km: Mapped[int] = mapped_column(default=0)
    travel_minutes: Mapped[int] = mapped_column(default=0)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner_services_invoices.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PartnerInvoice(IdMixin, Base):
    """An invoice in the partner's name to its client, numbered by the partner."""

    __tablename__ = "partner_services_invoices"
    __table_args__ = (
        UniqueConstraint("partner_organization_id", "number"),
        Index("ix_partner_services_invoices_client", "client_organization_id", "created_at", "id"),
        Index("ix_partner_services_invoices_open", "due_at", postgresql_where="status = 'issued'"),
    )

    partner_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    client_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey(ORGANIZATION))
    number: Mapped[str] = mapped_column(String(40))
    payment_reference: Mapped[str] = mapped_column(String(40), unique=True)
    partner_name: Mapped[str] = mapped_column(String(200))
    client_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int]
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PartnerInvoiceStatus] = mapped_column(String(10))
    issued_at: Mapped[datetime]
    due_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    assessed_at: Mapped[datetime | None]
    """When the late-payment job last looked at it (a paid invoice: once, for good)."""
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class InvoiceLine(IdMixin, Base):
    __tablename__ = "partner_services_invoice_lines"
    __table_args__ = (
        Index(
            "uq_partner_services_invoice_lines_contract_month",
            "contract_id",
            "period_start",
            unique=True,
            postgresql_where="kind = 'contract_month'",
        ),
        Index("ix_partner_services_invoice_lines_invoice", "invoice_id", "position"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_services_invoices.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    kind: Mapped[PartnerLineKind] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    worked_on: Mapped[date | None]
    minutes: Mapped[int] = mapped_column(default=0)
    included_minutes: Mapped[int] = mapped_column(default=0)
    rate_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    base_minor: Mapped[int] = mapped_column(BigInteger)
    surcharge_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    intervention_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_services_interventions.id")
    )
    contract_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_services_contracts.id")
    )
    period_start: Mapped[date | None]


class Reminder(IdMixin, Base):
    """A reminder of a late invoice, with the penalties owed at its date."""

    __tablename__ = "partner_services_reminders"
    __table_args__ = (Index("ix_partner_services_reminders_invoice", "invoice_id", "created_at"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("partner_services_invoices.id", ondelete="CASCADE")
    )
    days_late: Mapped[int]
    rate_bp: Mapped[int]
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    indemnity_minor: Mapped[int] = mapped_column(BigInteger)
    amount_due_minor: Mapped[int] = mapped_column(BigInteger)
    """What is still owed: the unpaid total (none once paid) plus the penalties."""
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Counter(Base):
    """Gapless counters: each partner's invoice numbers per year, the payment references."""

    __tablename__ = "partner_services_counters"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
