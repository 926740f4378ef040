import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from app.billing.models import (
    BillingPeriod,
    EntryKind,
    InvoiceKind,
    InvoiceStatus,
    LineKind,
    OrderStatus,
    PaymentMethod,
    PaymentStatus,
    PlanKind,
    ProfileKind,
    PromoKind,
    SubscriptionStatus,
    TransferOutcome,
)
from app.core.schemas import Omittable, Schema

Currency = Literal["CHF", "EUR"]
AmountMinor = Annotated[int, Field(gt=0, le=100_000_000_00, description="Minor units (cents).")]
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
BasisPoints = Annotated[int, Field(ge=0, le=10_000, description="1 bp = 0.01 %.")]


class Address(Schema):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(min_length=1, max_length=16)
    city: str = Field(min_length=1, max_length=100)
    country: CountryCode


# Catalog


class PriceRead(Schema):
    currency: str
    period: str = Field(description="monthly, quarterly, yearly, or restore (a domain's fee).")
    amount_minor: int


class TierRead(Schema):
    min_quantity: int
    discount_bp: int


class PlanRead(Schema):
    id: uuid.UUID
    code: str
    kind: PlanKind
    product_type: str | None
    name: str
    rank: int
    users: int | None
    storage_gb: int | None
    redemption_days: int | None
    active: bool
    affiliate_excluded: bool
    prices: list[PriceRead]
    volume_tiers: list[TierRead]
    created_at: datetime


class PriceWrite(Schema):
    currency: Currency
    period: Literal["monthly", "quarterly", "yearly", "restore"]
    amount_minor: int = Field(ge=0, le=100_000_000_00)


class TierWrite(Schema):
    min_quantity: int = Field(ge=1, le=100_000)
    discount_bp: BasisPoints


class PlanCreate(Schema):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,59}$")
    kind: PlanKind = PlanKind.product
    product_type: str | None = Field(default=None, max_length=30)
    name: str = Field(min_length=1, max_length=200)
    rank: int = Field(default=0, ge=0, le=1000)
    users: int | None = Field(default=None, ge=1)
    storage_gb: int | None = Field(default=None, ge=1)
    redemption_days: int | None = Field(default=None, ge=1, le=365)
    affiliate_excluded: bool = Field(
        default=False, description="Orders of this plan earn affiliates no commission."
    )
    prices: list[PriceWrite] = Field(min_length=1, max_length=20)
    volume_tiers: list[TierWrite] = Field(default_factory=list, max_length=20)


class PlanUpdate(Schema):
    name: Omittable[str] = Field(default=None, min_length=1, max_length=200)
    active: Omittable[bool] = None
    affiliate_excluded: Omittable[bool] = None
    prices: Omittable[list[PriceWrite]] = Field(
        default=None, max_length=20, description="Replaces every price."
    )
    volume_tiers: Omittable[list[TierWrite]] = Field(
        default=None, max_length=20, description="Replaces every tier."
    )


class VatRateRead(Schema):
    country: str
    rate_bp: int
    updated_at: datetime


class VatRateWrite(Schema):
    rate_bp: BasisPoints


class PromoCodeCreate(Schema):
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{3,40}$")
    kind: PromoKind
    percent_bp: int | None = Field(default=None, ge=1, le=10_000)
    amount_minor: int | None = Field(default=None, gt=0)
    currency: Currency | None = None
    product_types: list[str] = Field(default_factory=list, max_length=20)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = Field(default=None, ge=1)


class PromoCodeRead(Schema):
    id: uuid.UUID
    code: str
    kind: PromoKind
    percent_bp: int | None
    amount_minor: int | None
    currency: str | None
    product_types: list[str]
    valid_from: datetime | None
    valid_until: datetime | None
    max_uses: int | None
    uses: int
    created_at: datetime


class FreeGrantCreate(Schema):
    plan_code: str = Field(max_length=60)
    reason: str = Field(min_length=1, max_length=500)


class FreeGrantRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    plan_id: uuid.UUID
    reason: str
    order_id: uuid.UUID | None
    used_at: datetime | None
    created_at: datetime


# Cart, orders


class CartItemCreate(Schema):
    plan_code: str = Field(max_length=60)
    period: BillingPeriod = BillingPeriod.yearly
    quantity: int = Field(default=1, ge=1, le=100)
    product_name: str = Field(min_length=1, max_length=200)
    auto_renew: bool = True
    renewal_warranty: bool = False


class CartItemRead(Schema):
    id: uuid.UUID
    plan_id: uuid.UUID
    period: BillingPeriod
    quantity: int
    product_name: str
    auto_renew: bool
    renewal_warranty: bool
    created_at: datetime


class Checkout(Schema):
    promo_codes: list[str] = Field(default_factory=list, max_length=10)
    free_grant_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10)
    billing_address: Address | None = Field(
        default=None, description="Default: the organization's name and postal address."
    )
    billing_address_id: uuid.UUID | None = Field(
        default=None, description="One of the organization's extra billing addresses instead."
    )
    paid_by_partner: bool = Field(
        default=False,
        description="A partner managing the organization orders with its own means (20 % off).",
    )

    @field_validator("promo_codes")
    @classmethod
    def _distinct(cls, codes: list[str]) -> list[str]:
        normalized = [code.strip().upper() for code in codes]
        if len(set(normalized)) != len(normalized):
            raise ValueError("each promo code once")
        return normalized


class InvoiceLineRead(Schema):
    position: int
    kind: LineKind
    description: str
    plan_id: uuid.UUID | None
    product_id: uuid.UUID | None
    period: str | None
    period_start: datetime | None
    period_end: datetime | None
    quantity: int
    unit_price_minor: int
    gross_minor: int
    partner_discount_minor: int
    volume_discount_minor: int
    promo_discount_minor: int
    net_minor: int
    vat_rate_bp: int
    vat_minor: int
    total_minor: int


class InvoiceRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    beneficiary_organization_id: uuid.UUID
    kind: InvoiceKind
    status: InvoiceStatus
    number: str | None
    payment_reference: str | None
    currency: str
    subtotal_minor: int
    vat_minor: int
    total_minor: int
    paid_minor: int
    amount_due_minor: int
    vat_country: str
    billing_address: dict[str, Any]
    order_id: uuid.UUID | None
    corrects_invoice_id: uuid.UUID | None
    issued_at: datetime | None
    supplied_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None
    created_at: datetime
    creditor: dict[str, Any] | None = Field(
        description="Who is paid: name, address, account (IBAN or QR-IBAN), BIC, VAT number."
    )
    ticket_office_id: uuid.UUID | None = Field(
        description="Set on a ticket order's invoice: the office is the creditor."
    )
    ticket_order_id: uuid.UUID | None
    lines: list[InvoiceLineRead] = Field(default_factory=list)


class InvoiceSummary(Schema):
    id: uuid.UUID
    kind: InvoiceKind
    status: InvoiceStatus
    number: str | None
    payment_reference: str | None
    currency: str
    total_minor: int
    paid_minor: int
    amount_due_minor: int
    issued_at: datetime | None
    due_at: datetime | None
    paid_at: datetime | None
    created_at: datetime


class BillingOrderRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    payer_organization_id: uuid.UUID
    status: OrderStatus
    currency: str
    invoice_id: uuid.UUID | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    created_at: datetime


# The OpenAPI document needs one schema name per model: ticketing has its own OrderRead.
OrderRead = BillingOrderRead


class OrderPlaced(OrderRead):
    invoice: InvoiceRead


class Proforma(Schema):
    currency: str
    vat_country: str
    billing_address: dict[str, Any]
    subtotal_minor: int
    vat_minor: int
    total_minor: int
    lines: list[InvoiceLineRead]


class ProformaRequest(Schema):
    product_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


class CorrectionLine(Schema):
    description: str = Field(min_length=1, max_length=300)
    quantity: int = Field(default=1, ge=1, le=10_000)
    unit_price_minor: int = Field(ge=0, le=100_000_000_00)


class InvoiceCorrection(Schema):
    reason: str = Field(min_length=1, max_length=300)
    lines: list[CorrectionLine] = Field(
        default_factory=list,
        max_length=50,
        description="The corrected invoice's lines; none: the invoice is only credited.",
    )


class InvoiceCorrected(Schema):
    credit_note: InvoiceRead
    replacement: InvoiceRead | None


# Payments


class InvoicePaymentCreate(Schema):
    method: Literal["prepaid", "card"]
    amount_minor: AmountMinor | None = Field(
        default=None, description="Default: the amount due. Less pays the invoice partly."
    )
    payment_profile_id: uuid.UUID | None = Field(
        default=None, description="Card payments: the saved card (default profile if omitted)."
    )


class PaymentRead(Schema):
    id: uuid.UUID
    invoice_id: uuid.UUID | None
    method: PaymentMethod
    status: PaymentStatus
    amount_minor: int
    currency: str
    failure_code: str | None
    created_at: datetime


class InvoicePaid(Schema):
    payment: PaymentRead
    invoice: InvoiceRead


class PaymentProfileCreate(Schema):
    kind: ProfileKind
    card_number: str | None = Field(default=None, pattern=r"^[0-9 ]{12,23}$")
    expiry_month: int | None = Field(default=None, ge=1, le=12)
    expiry_year: int | None = Field(default=None, ge=2000, le=2100)
    cvc: str | None = Field(default=None, pattern=r"^[0-9]{3,4}$")
    holder_name: str | None = Field(default=None, max_length=200)
    make_default: bool = False


class PaymentProfileRead(Schema):
    id: uuid.UUID
    kind: ProfileKind
    brand: str | None
    last4: str | None
    expiry_month: int | None
    expiry_year: int | None
    holder_name: str | None
    is_default: bool
    created_at: datetime


# Prepaid


class PrepaidAccountRead(Schema):
    currency: str
    balance_minor: int
    payment_reference: str = Field(description="Bank transfers bearing it top the account up.")
    updated_at: datetime


class PrepaidEntryRead(Schema):
    id: uuid.UUID
    kind: EntryKind
    amount_minor: int
    balance_after_minor: int
    currency: str
    invoice_id: uuid.UUID | None
    description: str
    created_at: datetime


class TopUpCreate(Schema):
    amount_minor: AmountMinor
    payment_profile_id: uuid.UUID | None = Field(
        default=None, description="The card to charge (default card profile if omitted)."
    )


class WithdrawalCreate(Schema):
    amount_minor: AmountMinor | None = Field(default=None, description="Default: everything.")
    iban: str = Field(
        pattern=r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{10,42}$",
        description="Checked against its country's format and check digits (`invalid_iban`).",
    )
    account_holder: str = Field(min_length=1, max_length=200)


class WithdrawalRead(Schema):
    id: uuid.UUID
    amount_minor: int
    currency: str
    iban: str
    account_holder: str
    created_at: datetime


# Bank transfers


class BankTransferRead(Schema):
    id: uuid.UUID
    entry_reference: str
    amount_minor: int
    currency: str
    reference: str | None
    debtor_name: str | None
    booked_on: date | None
    outcome: TransferOutcome
    reason: str | None
    organization_id: uuid.UUID | None
    invoice_id: uuid.UUID | None
    created_at: datetime


class TransferImport(Schema):
    entries: int
    imported: int
    duplicates: int
    invoice_paid: int
    partner_invoice_paid: int = 0
    credited_to_prepaid: int
    prepaid_top_up: int
    unassigned: int
    transfers: list[BankTransferRead]


class TransferAssignment(Schema):
    organization_id: uuid.UUID


# Subscriptions


class SubscriptionRead(Schema):
    product_id: uuid.UUID
    organization_id: uuid.UUID
    plan_id: uuid.UUID
    period: BillingPeriod
    pending_period: BillingPeriod | None
    pending_period_effective_at: datetime | None
    status: SubscriptionStatus
    expires_at: datetime
    auto_renew: bool
    renewal_warranty: bool
    billing_address: dict[str, Any] | None
    redemption_ends_at: datetime | None
    created_at: datetime


class SubscriptionUpdate(Schema):
    auto_renew: Omittable[bool] = None
    renewal_warranty: Omittable[bool] = None
    period: Omittable[BillingPeriod] = Field(
        default=None,
        description="A new billing frequency: in effect from the last month of the running period.",
    )
    billing_address: Address | None = None
    billing_address_id: uuid.UUID | None = Field(
        default=None, description="Renewals invoiced to one of the extra billing addresses."
    )


class PlanChange(Schema):
    plan_code: str = Field(max_length=60)


class EventPayload(Schema):
    """Small payloads for events whose object has no REST representation of its own."""

    data: dict[str, Any]
