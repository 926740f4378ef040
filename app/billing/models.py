"""Billing tables: catalog, carts and orders, invoices, payments, the prepaid ledger, transfers and
subscriptions (the renewal state of each product an organization owns).

Amounts are integers in minor units (``*_minor``) with an ISO 4217 currency; rates and discounts
are integers in basis points (``*_bp``: 810 = 8.1 %).
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, IdMixin, TimestampMixin


class BillingPeriod(StrEnum):
    monthly = "monthly"
    quarterly = "quarterly"
    yearly = "yearly"


PERIOD_MONTHS = {BillingPeriod.monthly: 1, BillingPeriod.quarterly: 3, BillingPeriod.yearly: 12}
RESTORE_FEE = "restore"
"""The ``period`` of a domain plan's price row holding its one-time restore (redemption) fee."""


class PlanKind(StrEnum):
    product = "product"
    option = "option"


class Plan(IdMixin, TimestampMixin, Base):
    """A sellable offer: a product type at a size (a suite for 10 users, a .ch domain…)."""

    __tablename__ = "billing_plans"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    kind: Mapped[PlanKind] = mapped_column(String(20), default=PlanKind.product)
    product_type: Mapped[str | None] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    rank: Mapped[int] = mapped_column(default=0)
    """Order of the plans of one product type: a suite only moves to a higher rank."""
    users: Mapped[int | None]
    storage_gb: Mapped[int | None]
    redemption_days: Mapped[int | None]
    """Domains: how long an expired domain can still be restored before it is released."""
    active: Mapped[bool] = mapped_column(default=True)
    affiliate_excluded: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Orders of this plan earn affiliates nothing (domains, Renewal Warranty, housing…)."""
    refunds_unused_period: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Giving a product of this plan up ends it at once and refunds the unused days of its paid
    period; otherwise it runs to its term, unrefunded."""


class PlanPrice(IdMixin, Base):
    __tablename__ = "billing_plan_prices"
    __table_args__ = (
        UniqueConstraint("plan_id", "currency", "period"),
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_plans.id", ondelete="CASCADE"))
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[str] = mapped_column(String(20))
    """A billing period, or ``restore`` for a domain's restore fee."""
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class VolumeTier(IdMixin, Base):
    """From ``min_quantity`` products of the plan's type, every one costs ``discount_bp`` less."""

    __tablename__ = "billing_volume_tiers"
    __table_args__ = (
        UniqueConstraint("plan_id", "min_quantity"),
        CheckConstraint("discount_bp BETWEEN 0 AND 10000", name="discount_in_range"),
        CheckConstraint("min_quantity >= 1", name="min_quantity_positive"),
    )

    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_plans.id", ondelete="CASCADE"))
    min_quantity: Mapped[int]
    discount_bp: Mapped[int]


class VatRate(IdMixin, TimestampMixin, Base):
    __tablename__ = "billing_vat_rates"
    __table_args__ = (CheckConstraint("rate_bp BETWEEN 0 AND 10000", name="rate_in_range"),)

    country: Mapped[str] = mapped_column(String(2), unique=True)
    rate_bp: Mapped[int]


class PromoKind(StrEnum):
    percent = "percent"
    amount = "amount"


class PromoCode(IdMixin, TimestampMixin, Base):
    __tablename__ = "billing_promo_codes"
    __table_args__ = (
        CheckConstraint("uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)", name="uses"),
        CheckConstraint(
            "(kind = 'percent' AND percent_bp BETWEEN 1 AND 10000) OR "
            "(kind = 'amount' AND amount_minor > 0 AND currency IS NOT NULL)",
            name="value",
        ),
    )

    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[PromoKind] = mapped_column(String(10))
    percent_bp: Mapped[int | None]
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    product_types: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list)
    """Empty: every product; otherwise only lines of these product types."""
    valid_from: Mapped[datetime | None]
    valid_until: Mapped[datetime | None]
    max_uses: Mapped[int | None]
    uses: Mapped[int] = mapped_column(default=0)


class PromoRedemption(IdMixin, Base):
    __tablename__ = "billing_promo_redemptions"
    __table_args__ = (UniqueConstraint("promo_code_id", "organization_id"),)

    promo_code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_promo_codes.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_orders.id"))
    discount_minor: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class FreeGrant(IdMixin, Base):
    """A product granted for free by support: one unit of the plan, first period."""

    __tablename__ = "billing_free_grants"
    __table_args__ = (Index("ix_billing_free_grants_organization", "organization_id"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_plans.id"))
    reason: Mapped[str] = mapped_column(String(500))
    granted_by: Mapped[uuid.UUID | None]
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_orders.id"))
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class CartItem(IdMixin, Base):
    __tablename__ = "billing_cart_items"
    __table_args__ = (
        Index("ix_billing_cart_items_organization", "organization_id", "created_at", "id"),
        CheckConstraint("quantity BETWEEN 1 AND 100", name="quantity_in_range"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE")
    )
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_plans.id"))
    period: Mapped[BillingPeriod] = mapped_column(String(20))
    quantity: Mapped[int] = mapped_column(default=1)
    product_name: Mapped[str] = mapped_column(String(200))
    auto_renew: Mapped[bool] = mapped_column(default=True)
    renewal_warranty: Mapped[bool] = mapped_column(default=False)
    transfer_auth_code: Mapped[str | None] = mapped_column(String(500))
    """A domain transferred in from another registrar: its authorization code, encrypted."""
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OrderStatus(StrEnum):
    pending_payment = "pending_payment"
    paid = "paid"
    cancelled = "cancelled"


class Order(IdMixin, TimestampMixin, Base):
    __tablename__ = "billing_orders"
    __table_args__ = (
        Index("ix_billing_orders_organization", "organization_id", "created_at", "id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    """The organization the products are for."""
    payer_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    """Who is invoiced: the organization itself, or its partner paying with its own means."""
    status: Mapped[OrderStatus] = mapped_column(String(20), default=OrderStatus.pending_payment)
    currency: Mapped[str] = mapped_column(String(3))
    invoice_id: Mapped[uuid.UUID | None]
    placed_by: Mapped[uuid.UUID | None]
    placed_from_ip: Mapped[str | None] = mapped_column(INET)
    """The IP address the order was placed from (the affiliate programme excludes its own)."""
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class InvoiceKind(StrEnum):
    invoice = "invoice"
    credit_note = "credit_note"


class InvoiceStatus(StrEnum):
    draft = "draft"
    open = "open"
    partially_paid = "partially_paid"
    paid = "paid"
    refunded = "refunded"
    void = "void"


PAYABLE = (InvoiceStatus.open, InvoiceStatus.partially_paid)


class Invoice(IdMixin, TimestampMixin, Base):
    """Once issued, its number, reference, address, amounts and lines never change (a database
    trigger refuses it); only its payment state moves. A correction is a credit note plus a new
    invoice."""

    __tablename__ = "billing_invoices"
    __table_args__ = (
        Index("ix_billing_invoices_organization", "organization_id", "created_at", "id"),
        Index("ix_billing_invoices_ticket_office", "ticket_office_id", "created_at", "id"),
        Index(
            "ix_billing_invoices_reminders",
            "next_reminder_at",
            postgresql_where=text("status IN ('open', 'partially_paid')"),
        ),
        CheckConstraint("paid_minor >= 0 AND paid_minor <= total_minor", name="paid_in_range"),
        CheckConstraint("total_minor = subtotal_minor + vat_minor", name="total_adds_up"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    """The organization invoiced (the payer)."""
    beneficiary_organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    """The organization whose products the invoice is for (differs when a partner pays)."""
    partner_organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id")
    )
    """The partner to credit with cashback when the beneficiary pays it."""
    kind: Mapped[InvoiceKind] = mapped_column(String(20), default=InvoiceKind.invoice)
    status: Mapped[InvoiceStatus] = mapped_column(String(20), default=InvoiceStatus.draft)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    payment_reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    vat_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    cashback_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    """Public price minus partner price, credited to the partner once the client has paid."""
    vat_country: Mapped[str] = mapped_column(String(2))
    billing_address: Mapped[dict[str, Any]] = mapped_column(JSONB)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_orders.id"))
    corrects_invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_invoices.id"))
    issued_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    """When it was voided or refunded."""
    fulfilled_at: Mapped[datetime | None]
    reminder_count: Mapped[int] = mapped_column(default=0)
    next_reminder_at: Mapped[datetime | None]
    creditor: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """Who is paid, as printed when issued: name, address, account (IBAN or QR-IBAN), BIC, VAT
    number. Empty on invoices issued before it was recorded: the platform's settings apply."""
    supplied_at: Mapped[datetime | None]
    """The date of supply (MWSTG Art. 26): the issue date unless the lines say otherwise."""
    ticket_office_id: Mapped[uuid.UUID | None]
    """Set on the invoice of a ticket order: the office is the creditor, the order's customer the
    debtor; ``organization_id`` is the organizer's. None: the platform invoices an organization."""
    ticket_order_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)

    @property
    def is_ticket_invoice(self) -> bool:
        return self.ticket_office_id is not None

    @property
    def amount_due_minor(self) -> int:
        return self.total_minor - self.paid_minor


class LineKind(StrEnum):
    new_product = "new_product"
    renewal = "renewal"
    upgrade = "upgrade"
    restore = "restore"
    renewal_warranty = "renewal_warranty"
    domain_transfer = "domain_transfer"
    correction = "correction"
    ticket = "ticket"
    ticket_insurance = "ticket_insurance"


class InvoiceLine(IdMixin, Base):
    __tablename__ = "billing_invoice_lines"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        CheckConstraint(
            "net_minor = gross_minor - partner_discount_minor - volume_discount_minor"
            " - promo_discount_minor",
            name="net_adds_up",
        ),
        CheckConstraint("total_minor = net_minor + vat_minor", name="total_adds_up"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("billing_invoices.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    kind: Mapped[LineKind] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(300))
    plan_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_plans.id"))
    product_id: Mapped[uuid.UUID | None]
    period: Mapped[str | None] = mapped_column(String(20))
    period_start: Mapped[datetime | None]
    period_end: Mapped[datetime | None]
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    gross_minor: Mapped[int] = mapped_column(BigInteger)
    partner_discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    volume_discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    promo_discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    vat_rate_bp: Mapped[int]
    vat_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    cashback_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    fulfilment: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    """What paying the line does: the product to create (name, flags) or the plan to move to."""


class BillingPaymentMethod(StrEnum):
    card = "card"
    prepaid = "prepaid"
    bank_transfer = "bank_transfer"
    manual = "manual"
    """Recorded by the payee by hand (an organizer marking a ticket order paid)."""


# The OpenAPI document needs one schema name per model: ticketing has its own PaymentMethod.
PaymentMethod = BillingPaymentMethod


class PaymentStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"


class Payment(IdMixin, Base):
    __tablename__ = "billing_payments"
    __table_args__ = (
        Index("ix_billing_payments_organization", "organization_id", "created_at", "id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_invoices.id"))
    method: Mapped[PaymentMethod] = mapped_column(String(20))
    status: Mapped[PaymentStatus] = mapped_column(String(20))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    payment_profile_id: Mapped[uuid.UUID | None]
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    failure_code: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class ProfileKind(StrEnum):
    card = "card"
    prepaid = "prepaid"


class PaymentProfile(IdMixin, Base):
    """A saved means of payment; the default one pays automatic renewals."""

    __tablename__ = "billing_payment_profiles"
    __table_args__ = (
        Index("ix_billing_payment_profiles_organization", "organization_id", "created_at", "id"),
        Index(
            "uq_billing_payment_profiles_default",
            "organization_id",
            unique=True,
            postgresql_where=text("is_default AND deleted_at IS NULL"),
        ),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    kind: Mapped[ProfileKind] = mapped_column(String(20))
    provider: Mapped[str | None] = mapped_column(String(30))
    token: Mapped[str | None] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(30))
    last4: Mapped[str | None] = mapped_column(String(4))
    expiry_month: Mapped[int | None]
    expiry_year: Mapped[int | None]
    holder_name: Mapped[str | None] = mapped_column(String(200))
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    deleted_at: Mapped[datetime | None]


class PrepaidAccount(IdMixin, TimestampMixin, Base):
    """One per organization and currency. ``balance_minor`` always equals the sum of its entries:
    both change in the same statement sequence under the row's lock (see ``ledger.post``)."""

    __tablename__ = "billing_prepaid_accounts"
    __table_args__ = (
        UniqueConstraint("organization_id", "currency"),
        CheckConstraint("balance_minor >= 0", name="balance_not_negative"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    currency: Mapped[str] = mapped_column(String(3))
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    payment_reference: Mapped[str] = mapped_column(String(32), unique=True)
    """Bank transfers bearing this reference top the account up."""


class EntryKind(StrEnum):
    top_up = "top_up"
    invoice_payment = "invoice_payment"
    unmatched_transfer = "unmatched_transfer"
    cancelled_order_refund = "cancelled_order_refund"
    invoice_refund = "invoice_refund"
    withdrawal = "withdrawal"
    cashback = "cashback"
    cashback_reversal = "cashback_reversal"
    affiliate_payout = "affiliate_payout"


class PrepaidEntry(IdMixin, Base):
    """Append-only (a trigger refuses updates and deletes)."""

    __tablename__ = "billing_prepaid_entries"
    __table_args__ = (
        Index("ix_billing_prepaid_entries_account", "account_id", "created_at", "id"),
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        CheckConstraint("balance_after_minor >= 0", name="balance_after_not_negative"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_prepaid_accounts.id"))
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[EntryKind] = mapped_column(String(30))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    balance_after_minor: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(120), unique=True)
    """What caused it, once: a transfer, a payment, a cashback… A second posting is refused."""
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_invoices.id"))
    description: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Withdrawal(IdMixin, Base):
    """A request to pay the prepaid balance out to a bank account (paid by the finance team)."""

    __tablename__ = "billing_withdrawals"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_prepaid_entries.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    iban: Mapped[str] = mapped_column(String(34))
    account_holder: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class TransferOutcome(StrEnum):
    invoice_paid = "invoice_paid"
    partner_invoice_paid = "partner_invoice_paid"
    prepaid_top_up = "prepaid_top_up"
    credited_to_prepaid = "credited_to_prepaid"
    unassigned = "unassigned"


class BankTransfer(IdMixin, Base):
    """An incoming credit from a bank notification (camt.054 / camt.053), imported once."""

    __tablename__ = "billing_bank_transfers"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index("ix_billing_bank_transfers_listing", "created_at", "id"),
    )

    entry_reference: Mapped[str] = mapped_column(String(200), unique=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(140))
    debtor_name: Mapped[str | None] = mapped_column(String(200))
    booked_on: Mapped[date | None]
    outcome: Mapped[TransferOutcome] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(String(50))
    organization_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billing_invoices.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SubscriptionStatus(StrEnum):
    active = "active"
    expired = "expired"
    redemption = "redemption"
    released = "released"
    ended = "ended"
    """Given up: the paid period is over and the product is gone."""


class Subscription(TimestampMixin, Base):
    """The renewal state of one product (keyed by the product's id)."""

    __tablename__ = "billing_subscriptions"
    __table_args__ = (
        Index(
            "ix_billing_subscriptions_organization", "organization_id", "created_at", "product_id"
        ),
        Index("ix_billing_subscriptions_due", "status", "expires_at"),
    )

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_plans.id"))
    period: Mapped[BillingPeriod] = mapped_column(String(20))
    pending_period: Mapped[BillingPeriod | None] = mapped_column(String(20))
    """A frequency change, in effect from the last month of the running period."""
    status: Mapped[SubscriptionStatus] = mapped_column(
        String(20), default=SubscriptionStatus.active
    )
    expires_at: Mapped[datetime]
    auto_renew: Mapped[bool] = mapped_column(default=True)
    renewal_warranty: Mapped[bool] = mapped_column(default=False)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    """The address renewals are invoiced to (default: the organization's)."""
    reminded_for: Mapped[datetime | None]
    """The ``expires_at`` whose reminder was sent (one reminder per period)."""
    redemption_ends_at: Mapped[datetime | None]
    given_up_at: Mapped[datetime | None]
    """When the organization gave the product up: it ends at ``expires_at``, unrenewed (at once,
    refunded pro rata, when its plan ``refunds_unused_period``)."""
    invoice_line_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("billing_invoice_lines.id")
    )
    """The order line the product was bought with (its first period's price); later periods'
    are their renewals'."""


class Renewal(IdMixin, Base):
    """One period of one product, invoiced once (unique per product and start)."""

    __tablename__ = "billing_renewals"
    __table_args__ = (UniqueConstraint("product_id", "period_start"),)

    product_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("billing_subscriptions.product_id", ondelete="CASCADE")
    )
    period: Mapped[BillingPeriod] = mapped_column(String(20))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_invoices.id"))
    applied_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class DomainTransferStatus(StrEnum):
    pending = "pending"
    failed = "failed"
    completed = "completed"


class DomainTransfer(IdMixin, TimestampMixin, Base):
    """A domain moving in from another registrar, paid once by its invoice line: a failed
    attempt is relaunched on the same payment. The domain product exists once it completes."""

    __tablename__ = "billing_domain_transfers"
    __table_args__ = (
        Index("ix_billing_domain_transfers_organization", "organization_id", "created_at", "id"),
        Index(
            "ix_billing_domain_transfers_pending",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        UniqueConstraint("invoice_line_id"),
        CheckConstraint("attempts >= 1", name="attempts_positive"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_invoices.id"))
    invoice_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_invoice_lines.id"))
    plan_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("billing_plans.id"))
    domain_name: Mapped[str] = mapped_column(String(200))
    auth_code: Mapped[str] = mapped_column(String(500))
    """The authorization code from the losing registrar, encrypted at rest."""
    status: Mapped[DomainTransferStatus] = mapped_column(
        String(20), default=DomainTransferStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=1)
    failure_reason: Mapped[str | None] = mapped_column(String(300))
    failed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations_products.id", ondelete="SET NULL")
    )
    auto_renew: Mapped[bool] = mapped_column(default=True)
    renewal_warranty: Mapped[bool] = mapped_column(default=False)


class Counter(Base):
    """Gapless document numbers: incremented under the row lock of the issuing transaction."""

    __tablename__ = "billing_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class InvoiceArchiveGrant(IdMixin, Base):
    """A former legal representative of a deleted organization may still download its invoices
    and credit notes until ``until`` (the legal retention period)."""

    __tablename__ = "billing_invoice_archive_grants"
    __table_args__ = (
        UniqueConstraint("organization_id", "account_id"),
        Index("ix_billing_invoice_archive_grants_account", "account_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"))
    account_id: Mapped[uuid.UUID]
    """No foreign key: the grant outlives nothing but itself (an erased account simply never
    calls again)."""
    until: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
