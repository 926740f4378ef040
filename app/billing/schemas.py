import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from app.billing.models import (
    BillingPeriod,
    DomainTransferStatus,
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
from app.core.money import Currency
from app.core.schemas import Omittable, Schema

AmountMinor = Annotated[int, Field(gt=0, le=100_000_000_00, description="Minor units (cents).")]
CountryCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 country code, upper case.",
        examples=["CH"],
    ),
]
BasisPoints = Annotated[int, Field(ge=0, le=10_000, description="1 bp = 0.01 %.")]

PRODUCT_TYPES_TEXT = (
    "ticket_office, mail_service, drive, web_hosting, domain, suite, cloud_server, streaming or "
    "premium_support"
)
PLAN_CODE_EXAMPLE = "web_hosting.starter"
PROMO_CODE_EXAMPLE = "PRINTEMPS25"
INVOICE_NUMBER_EXAMPLE = "2027-000123"
QR_REFERENCE_EXAMPLE = "000000000000202700000001235"


def _amount_currency(owner: str) -> Any:
    """The optional ``currency`` of a request that carries an amount (checked by the service)."""
    return Field(
        default=None,
        description=(
            f"The amount's currency; when given it must be {owner}, else 422 "
            "`currency_mismatch`. Default: that currency."
        ),
    )


class Address(Schema):
    """A billing address, printed on the invoice as given."""

    name: str = Field(
        min_length=1,
        max_length=200,
        description="Who the invoice is made out to (an organization or a person).",
        examples=["Théâtre du Lac"],
    )
    line1: str = Field(
        min_length=1,
        max_length=200,
        description="Street and number.",
        examples=["Quai du Mont-Blanc 4"],
    )
    line2: str | None = Field(
        default=None,
        max_length=200,
        description="A second address line (department, P.O. box); null: none.",
        examples=["Case postale 1234"],
    )
    postal_code: str = Field(min_length=1, max_length=16, examples=["1201"])
    city: str = Field(min_length=1, max_length=100, examples=["Genève"])
    country: CountryCode


# Catalog


class PriceRead(Schema):
    currency: Currency = Field(description="The currency of this price.")
    period: str = Field(
        description="monthly, quarterly, yearly, or restore (a domain's fee).",
        examples=["yearly"],
    )
    amount_minor: int = Field(
        description=(
            "The price excluding VAT for one product and one period, in minor units of "
            "`currency` (for `restore`, the one-time restore fee of a domain in redemption)."
        )
    )


class TierRead(Schema):
    min_quantity: int = Field(
        description=(
            "From this many products of the plan's type held by the organization, each one "
            "costs `discount_bp` less."
        )
    )
    discount_bp: int = Field(
        description=(
            "The volume discount in basis points (2500 = 25 %), applied after the partner discount."
        )
    )


_REFUNDS_UNUSED_PERIOD = (
    "Giving a product of this plan up ends it at once and credits the unused whole days of its "
    "paid period, pro rata, to the payer's prepaid account (with a credit note); false: it runs "
    "to the end of its paid period, unrefunded."
)


class PlanRead(Schema):
    id: uuid.UUID
    code: str = Field(
        description="The plan's stable code, by which it is ordered (`plan_code`).",
        examples=[PLAN_CODE_EXAMPLE],
    )
    kind: PlanKind = Field(
        description=(
            "`product`: ordered on its own; `option`: chosen on a product (Renewal Warranty), "
            "never ordered alone."
        )
    )
    product_type: str | None = Field(
        description=f"The type of product it creates: {PRODUCT_TYPES_TEXT}; null for options.",
        examples=["web_hosting"],
    )
    name: str = Field(examples=["Web hosting"])
    rank: int = Field(
        description="Order of the plans of one product type: a suite only moves to a higher rank."
    )
    users: int | None = Field(description="Users included (suites); null: not limited by users.")
    storage_gb: int | None = Field(description="Storage included, in GB; null: not applicable.")
    redemption_days: int | None = Field(
        description=(
            "Domains: how many days an expired domain can still be restored (for the restore "
            "fee) before it is released; null for other plans."
        )
    )
    active: bool = Field(description="False: withdrawn from sale (neither listed nor orderable).")
    affiliate_excluded: bool = Field(
        description="Orders of this plan earn affiliates no commission."
    )
    refunds_unused_period: bool = Field(description=_REFUNDS_UNUSED_PERIOD)
    prices: list[PriceRead] = Field(
        description="Its prices excluding VAT, one per currency and period."
    )
    volume_tiers: list[TierRead] = Field(
        description="Volume discounts by minimum quantity; empty: none."
    )
    created_at: datetime


class PriceWrite(Schema):
    currency: Currency = Field(description="The currency of this price.")
    period: Literal["monthly", "quarterly", "yearly", "restore"] = Field(
        description="The billing period it is the price of, or `restore` (a domain's restore fee)."
    )
    amount_minor: int = Field(
        ge=0,
        le=100_000_000_00,
        description="The price excluding VAT, in minor units of `currency` (0: free).",
    )


class TierWrite(Schema):
    min_quantity: int = Field(
        ge=1,
        le=100_000,
        description="From this many products of the plan's type, each one gets the discount.",
    )
    discount_bp: BasisPoints = Field(
        description="The discount in basis points (2500 = 25 %), applied after the partner's."
    )


class PlanCreate(Schema):
    code: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{1,59}$",
        description="The plan's stable code (lower case), by which customers order it.",
        examples=["web_hosting.business"],
    )
    kind: PlanKind = Field(
        default=PlanKind.product,
        description="`product`: ordered on its own; `option`: chosen on a product.",
    )
    product_type: str | None = Field(
        default=None,
        max_length=30,
        description=(
            f"The type of product it creates: {PRODUCT_TYPES_TEXT} (else 422 "
            "`invalid_product_type`); null for options."
        ),
        examples=["web_hosting"],
    )
    name: str = Field(min_length=1, max_length=200, examples=["Web hosting Business"])
    rank: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="Order among the plans of its product type: plan changes only move up.",
    )
    users: int | None = Field(default=None, ge=1, description="Users included; null: none.")
    storage_gb: int | None = Field(default=None, ge=1, description="Storage included, in GB.")
    redemption_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description="Domains: the redemption period, in days, after expiry.",
    )
    affiliate_excluded: bool = Field(
        default=False, description="Orders of this plan earn affiliates no commission."
    )
    refunds_unused_period: bool = Field(default=False, description=_REFUNDS_UNUSED_PERIOD)
    prices: list[PriceWrite] = Field(
        min_length=1,
        max_length=20,
        description="One price per currency and period (else 422 `duplicate_price`).",
    )
    volume_tiers: list[TierWrite] = Field(
        default_factory=list,
        max_length=20,
        description="Volume discounts, one per minimum quantity (else 422 `duplicate_tier`).",
    )


class PlanUpdate(Schema):
    name: Omittable[str] = Field(
        default=None, min_length=1, max_length=200, examples=["Web hosting Business"]
    )
    active: Omittable[bool] = Field(
        default=None, description="False withdraws the plan from sale; true puts it back."
    )
    affiliate_excluded: Omittable[bool] = Field(
        default=None, description="Orders of this plan earn affiliates no commission."
    )
    refunds_unused_period: Omittable[bool] = Field(default=None, description=_REFUNDS_UNUSED_PERIOD)
    prices: Omittable[list[PriceWrite]] = Field(
        default=None, max_length=20, description="Replaces every price."
    )
    volume_tiers: Omittable[list[TierWrite]] = Field(
        default=None, max_length=20, description="Replaces every tier."
    )


class VatRateRead(Schema):
    country: str = Field(
        description="ISO 3166-1 alpha-2 code of the country whose VAT it is.", examples=["CH"]
    )
    rate_bp: int = Field(description="The VAT rate in basis points: 810 = 8.1 %.")
    updated_at: datetime


class VatRateWrite(Schema):
    rate_bp: BasisPoints = Field(
        description="The VAT rate in basis points (810 = 8.1 %); applies to invoices from now on."
    )


class PromoCodeCreate(Schema):
    code: str = Field(
        pattern=r"^[A-Za-z0-9_-]{3,40}$",
        description="What customers type at checkout; stored upper case, matched in any case.",
        examples=[PROMO_CODE_EXAMPLE],
    )
    kind: PromoKind = Field(
        description=(
            "`percent`: `percent_bp` off each eligible line; `amount`: `amount_minor` off the "
            "order, split across its eligible lines."
        )
    )
    percent_bp: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description=(
            "Percent codes only (required for them, else 422 `invalid_promo_code`): the "
            "discount in basis points, 2500 = 25 %."
        ),
    )
    amount_minor: int | None = Field(
        default=None,
        gt=0,
        description=(
            "Amount codes only (required for them): the discount in minor units of `currency`."
        ),
    )
    currency: Currency | None = Field(
        default=None,
        description=(
            "Amount codes only (required for them): the currency of `amount_minor`. The code "
            "applies only to orders in that currency (else `promo_code_not_applicable`)."
        ),
    )
    product_types: list[str] = Field(
        default_factory=list,
        max_length=20,
        description=f"The product types it applies to ({PRODUCT_TYPES_TEXT}); empty: all.",
        examples=[["web_hosting", "domain"]],
    )
    valid_from: datetime | None = Field(
        default=None, description="Accepted from this instant; null: from now."
    )
    valid_until: datetime | None = Field(
        default=None, description="Accepted until this instant; null: no end."
    )
    max_uses: int | None = Field(
        default=None,
        ge=1,
        description="How many orders may use it in all; null: unlimited. Once per organization.",
    )


class PromoCodeRead(Schema):
    id: uuid.UUID
    code: str = Field(
        description="What customers type at checkout (matched in any case).",
        examples=[PROMO_CODE_EXAMPLE],
    )
    kind: PromoKind = Field(
        description="`percent`: `percent_bp` off each eligible line; `amount`: `amount_minor` off."
    )
    percent_bp: int | None = Field(
        description="Percent codes: the discount in basis points (2500 = 25 %); else null."
    )
    amount_minor: int | None = Field(
        description="Amount codes: the discount in minor units of `currency`; else null."
    )
    currency: Currency | None = Field(
        description="Amount codes: the currency of `amount_minor` and of the orders it applies "
        "to; null for percent codes."
    )
    product_types: list[str] = Field(
        description="The product types it applies to; empty: all.",
        examples=[["web_hosting", "domain"]],
    )
    valid_from: datetime | None = Field(description="Accepted from this instant; null: always.")
    valid_until: datetime | None = Field(description="Accepted until this instant; null: no end.")
    max_uses: int | None = Field(description="How many orders may use it in all; null: unlimited.")
    uses: int = Field(
        description="How many orders have used it (a cancelled order gives its use back)."
    )
    created_at: datetime


class FreeGrantCreate(Schema):
    plan_code: str = Field(
        max_length=60,
        description="The plan given: one product of it, free for its first period.",
        examples=[PLAN_CODE_EXAMPLE],
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why it is given (kept in the activity log).",
        examples=["Geste commercial après la panne du 12 mars"],
    )


class FreeGrantRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID = Field(description="The organization it is given to.")
    plan_id: uuid.UUID = Field(description="The plan of the product given.")
    reason: str = Field(
        description="Why it was given.", examples=["Geste commercial après la panne du 12 mars"]
    )
    order_id: uuid.UUID | None = Field(
        description="The order that used it; null while unused (name it in `free_grant_ids` at "
        "checkout)."
    )
    used_at: datetime | None = Field(description="When an order used it; null while unused.")
    created_at: datetime


# Cart, orders


class CartItemCreate(Schema):
    plan_code: str = Field(
        max_length=60,
        description="The plan to order (its `code` in the catalog; not an option).",
        examples=[PLAN_CODE_EXAMPLE],
    )
    period: BillingPeriod = Field(
        default=BillingPeriod.yearly,
        description="How often the product renews and is invoiced.",
    )
    quantity: int = Field(
        default=1, ge=1, le=100, description="How many products of this plan to create."
    )
    product_name: str = Field(
        min_length=1,
        max_length=200,
        description="The name the new product will bear in the console.",
        examples=["Site du Théâtre du Lac"],
    )
    auto_renew: bool = Field(
        default=True,
        description="Renew automatically at the end of each period, charged to the default "
        "payment profile.",
    )
    renewal_warranty: bool = Field(
        default=False,
        description="Add Renewal Warranty (invoiced as an option): the product renews even "
        "when the renewal payment fails.",
    )
    transfer_auth_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Domains only, one at a time: transfer the domain named `product_name` in "
        "from another registrar with the authorization code it gave; the domain appears once "
        "the transfer completes. Stored encrypted, never shown again.",
        examples=["x7#Kp2!qR9vL"],
    )


class CartItemRead(Schema):
    id: uuid.UUID
    plan_id: uuid.UUID = Field(description="The plan ordered.")
    period: BillingPeriod = Field(description="How often the product renews and is invoiced.")
    quantity: int = Field(description="How many products of this plan will be created.")
    product_name: str = Field(
        description="The name the new product will bear.", examples=["Site du Théâtre du Lac"]
    )
    auto_renew: bool = Field(description="Whether the product will renew automatically.")
    renewal_warranty: bool = Field(description="Whether Renewal Warranty is added.")
    created_at: datetime


class Checkout(Schema):
    promo_codes: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="Promo codes, applied at the end of the order (each once, in any case).",
        examples=[[PROMO_CODE_EXAMPLE]],
    )
    free_grant_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10,
        description="Free grants to use: each makes one product of its plan free.",
    )
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
    position: int = Field(description="The line's place on the invoice, from 1.")
    kind: LineKind = Field(
        description=(
            "What it bills: new_product, renewal, upgrade (a plan change), restore (a domain's "
            "restore fee), renewal_warranty, correction (credit notes and replacement "
            "invoices), ticket or ticket_insurance (ticket orders)."
        )
    )
    description: str = Field(
        description="The line as printed.", examples=["Web hosting — Site du Théâtre du Lac"]
    )
    plan_id: uuid.UUID | None = Field(description="The catalog plan billed; null if none.")
    product_id: uuid.UUID | None = Field(
        description="The product renewed, upgraded or restored; null for new products (created "
        "once the invoice is paid) and other lines."
    )
    period: str | None = Field(
        description="The billing period billed (monthly, quarterly, yearly); null if one-time.",
        examples=["yearly"],
    )
    period_start: datetime | None = Field(description="Start of the service period billed.")
    period_end: datetime | None = Field(description="End of the service period billed.")
    quantity: int
    unit_price_minor: int = Field(description="One unit's price excluding VAT, before discounts.")
    gross_minor: int = Field(description="`unit_price_minor` times `quantity`.")
    partner_discount_minor: int = Field(
        description="The 20 % off of a partner ordering with its own means; 0 otherwise."
    )
    volume_discount_minor: int = Field(
        description="The volume tier's discount, taken after the partner discount."
    )
    promo_discount_minor: int = Field(description="What promo codes and free grants took off.")
    net_minor: int = Field(description="Gross minus the discounts, excluding VAT.")
    vat_rate_bp: int = Field(description="The VAT rate applied, in basis points (810 = 8.1 %).")
    vat_minor: int = Field(description="The VAT on `net_minor`.")
    total_minor: int = Field(description="`net_minor` plus `vat_minor`.")
    currency: Currency = Field(
        description="The invoice's currency, that of every amount of the line."
    )


class InvoiceRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID = Field(description="The organization invoiced (the payer).")
    beneficiary_organization_id: uuid.UUID = Field(
        description="The organization whose products it bills; differs from `organization_id` "
        "when a partner pays."
    )
    kind: InvoiceKind = Field(
        description="`invoice`, or `credit_note` (cancels the invoice in `corrects_invoice_id`)."
    )
    status: InvoiceStatus = Field(
        description=(
            "draft (not issued), open (issued, unpaid), partially_paid, paid, refunded (paid, "
            "then cancelled by a credit note), void (cancelled unpaid)."
        )
    )
    number: str | None = Field(
        description="Its own number, given when issued (credit notes: `CN-2027-000001`); null "
        "on a draft.",
        examples=[INVOICE_NUMBER_EXAMPLE],
    )
    payment_reference: str | None = Field(
        description="The reference a bank transfer paying it must bear (QR reference in CHF, "
        "RF creditor reference in EUR); null on drafts and credit notes.",
        examples=[QR_REFERENCE_EXAMPLE],
    )
    currency: Currency
    subtotal_minor: int = Field(description="Sum of the lines' net amounts, excluding VAT.")
    vat_minor: int = Field(description="The VAT of all lines.")
    total_minor: int = Field(description="`subtotal_minor` plus `vat_minor`.")
    paid_minor: int = Field(description="What has been received so far.")
    amount_due_minor: int = Field(description="`total_minor` minus `paid_minor`.")
    vat_country: str = Field(
        description="ISO country code whose VAT applies: the payer's seat.", examples=["CH"]
    )
    billing_address: dict[str, Any] = Field(
        description="The address it is made out to, as printed: name, line1, line2, "
        "postal_code, city, country (and vat_number when given)."
    )
    order_id: uuid.UUID | None = Field(
        description="The order it bills; null for renewals, plan changes, restores and corrections."
    )
    corrects_invoice_id: uuid.UUID | None = Field(
        description="On a credit note, the invoice it cancels; on a replacement invoice, the "
        "invoice it replaces; null otherwise."
    )
    issued_at: datetime | None = Field(description="When it was numbered; null on a draft.")
    supplied_at: datetime | None = Field(
        description="The date of supply (VAT), when it differs from the issue date."
    )
    due_at: datetime | None = Field(
        description="The payment deadline; reminders follow it. Null on drafts and credit notes."
    )
    paid_at: datetime | None = Field(description="When it was paid in full; null until then.")
    created_at: datetime
    creditor: dict[str, Any] | None = Field(
        description="Who is paid: name, address, account (IBAN or QR-IBAN), BIC, VAT number."
    )
    ticket_office_id: uuid.UUID | None = Field(
        description="Set on a ticket order's invoice: the office is the creditor."
    )
    ticket_order_id: uuid.UUID | None = Field(
        description="The ticket order it bills (with `ticket_office_id`); null otherwise."
    )
    lines: list[InvoiceLineRead] = Field(default_factory=list, description="Its lines, in order.")


class InvoiceSummary(Schema):
    id: uuid.UUID
    kind: InvoiceKind = Field(description="`invoice` or `credit_note`.")
    status: InvoiceStatus = Field(
        description="draft, open, partially_paid, paid, refunded (paid, then credited) or void."
    )
    number: str | None = Field(
        description="Its own number; null on a draft.", examples=[INVOICE_NUMBER_EXAMPLE]
    )
    payment_reference: str | None = Field(
        description="The reference a bank transfer paying it must bear; null on credit notes.",
        examples=[QR_REFERENCE_EXAMPLE],
    )
    currency: Currency
    total_minor: int = Field(description="The total including VAT.")
    paid_minor: int = Field(description="What has been received so far.")
    amount_due_minor: int = Field(description="`total_minor` minus `paid_minor`.")
    issued_at: datetime | None = Field(description="When it was numbered; null on a draft.")
    due_at: datetime | None = Field(description="The payment deadline; null if none.")
    paid_at: datetime | None = Field(description="When it was paid in full; null until then.")
    created_at: datetime


class BillingOrderRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID = Field(description="The organization the products are for.")
    payer_organization_id: uuid.UUID = Field(
        description="Who is invoiced: the organization itself, or its partner ordering with its "
        "own means."
    )
    status: OrderStatus = Field(
        description="pending_payment (its invoice is unpaid), paid (the products exist), or "
        "cancelled."
    )
    currency: Currency = Field(description="The payer's currency, that of the order's invoice.")
    invoice_id: uuid.UUID | None = Field(description="The order's invoice.")
    paid_at: datetime | None = Field(description="When its invoice was paid; null until then.")
    cancelled_at: datetime | None = Field(description="When it was cancelled; null if not.")
    created_at: datetime


# The OpenAPI document needs one schema name per model: ticketing has its own OrderRead.
OrderRead = BillingOrderRead


class OrderPlaced(OrderRead):
    invoice: InvoiceRead = Field(description="The order's invoice, issued: paying it delivers.")


class Proforma(Schema):
    currency: Currency = Field(description="The currency the renewal would be invoiced in.")
    vat_country: str = Field(
        description="ISO country code whose VAT applies: the payer's seat.", examples=["CH"]
    )
    billing_address: dict[str, Any] = Field(
        description="The address the invoice would be made out to."
    )
    subtotal_minor: int = Field(description="Sum of the lines' net amounts, excluding VAT.")
    vat_minor: int = Field(description="The VAT of all lines.")
    total_minor: int = Field(description="`subtotal_minor` plus `vat_minor`.")
    lines: list[InvoiceLineRead] = Field(description="The lines the invoice would have.")


class ProformaRequest(Schema):
    product_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=100,
        description="The organization's products whose next period to price.",
    )


class RenewalSelection(Schema):
    product_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=100,
        description="The organization's products whose next period to invoice together.",
    )
    billing_address: Address | None = Field(
        default=None, description="Default: the payer's name and postal address."
    )
    billing_address_id: uuid.UUID | None = Field(
        default=None, description="One of the payer's extra billing addresses instead."
    )


class RenewalWarrantyChange(Schema):
    renewal_warranty: bool = Field(description="On (true) or off (false).")
    product_ids: list[uuid.UUID] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="The products to change; null: every product the organization still renews "
        "(not ended, released, in redemption or given up).",
    )


class RenewalWarrantyChanged(Schema):
    renewal_warranty: bool = Field(description="The value now set.")
    changed_product_ids: list[uuid.UUID] = Field(
        description="The products whose Renewal Warranty changed (the others had it already)."
    )


class DomainTransferRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID = Field(description="The organization the domain comes to.")
    domain_name: str = Field(description="The domain transferred in.", examples=["example.ch"])
    plan_id: uuid.UUID = Field(description="The domain plan it was ordered at.")
    invoice_id: uuid.UUID = Field(description="The invoice that paid it (once, for every attempt).")
    status: DomainTransferStatus = Field(
        description="pending (with the registry), failed (can be relaunched), or completed."
    )
    attempts: int = Field(description="How many times it was launched, the first included.")
    failure_reason: str | None = Field(
        description="Why the last attempt failed, as the registry said; null if it did not.",
        examples=["Wrong authorization code"],
    )
    failed_at: datetime | None = Field(description="When the last attempt failed.")
    completed_at: datetime | None = Field(description="When the domain arrived.")
    product_id: uuid.UUID | None = Field(description="The domain product, once completed.")
    created_at: datetime
    updated_at: datetime


class DomainTransferRelaunch(Schema):
    auth_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="A new authorization code from the losing registrar; default: the last one.",
        examples=["x7#Kp2!qR9vL"],
    )


class DomainTransferOutcome(Schema):
    succeeded: bool = Field(description="Whether the registry completed the transfer.")
    reason: str | None = Field(
        default=None,
        max_length=300,
        description="Why it failed, shown to the customer.",
        examples=["Wrong authorization code"],
    )


class CorrectionLine(Schema):
    description: str = Field(
        min_length=1,
        max_length=300,
        description="The line as printed on the replacement invoice.",
        examples=["Web hosting — Site du Théâtre du Lac, prix corrigé"],
    )
    quantity: int = Field(default=1, ge=1, le=10_000)
    unit_price_minor: int = Field(
        ge=0,
        le=100_000_000_00,
        description="One unit's price excluding VAT, in minor units of the invoice's currency.",
    )
    currency: Currency | None = _amount_currency("the corrected invoice's")


class InvoiceCorrection(Schema):
    reason: str = Field(
        min_length=1,
        max_length=300,
        description="Why the invoice is corrected (kept in the activity log).",
        examples=["Mauvaise adresse de facturation"],
    )
    lines: list[CorrectionLine] = Field(
        default_factory=list,
        max_length=50,
        description="The corrected invoice's lines; none: the invoice is only credited.",
    )


class InvoiceCorrected(Schema):
    credit_note: InvoiceRead = Field(description="The credit note cancelling the invoice.")
    replacement: InvoiceRead | None = Field(
        description="The new invoice with the given lines; null when none were given."
    )


# Payments


class InvoicePaymentCreate(Schema):
    method: Literal["prepaid", "card"] = Field(
        description="`prepaid`: debits the prepaid account in the invoice's currency; `card`: "
        "charges a saved card."
    )
    amount_minor: AmountMinor | None = Field(
        default=None,
        description="In minor units of the invoice's currency. Default: the amount due. Less "
        "pays the invoice partly; more is refused (`amount_exceeds_amount_due`).",
    )
    currency: Currency | None = _amount_currency("the invoice's")
    payment_profile_id: uuid.UUID | None = Field(
        default=None, description="Card payments: the saved card (default profile if omitted)."
    )


class PaymentRead(Schema):
    id: uuid.UUID
    invoice_id: uuid.UUID | None = Field(
        description="The invoice paid; null for a prepaid top-up by card."
    )
    method: PaymentMethod = Field(
        description="card, prepaid (from the prepaid account), bank_transfer, or manual."
    )
    status: PaymentStatus = Field(description="succeeded, or failed (a declined card).")
    amount_minor: int
    currency: Currency
    failure_code: str | None = Field(
        description="Why it failed (the payment provider's code); null when it succeeded.",
        examples=["card_declined"],
    )
    created_at: datetime


class InvoicePaid(Schema):
    payment: PaymentRead = Field(description="The payment made.")
    invoice: InvoiceRead = Field(description="The invoice after the payment.")


class PaymentProfileCreate(Schema):
    kind: ProfileKind = Field(
        description="`card`: a card, tokenized by the payment provider (its number and CVC are "
        "never stored); `prepaid`: the prepaid account pays."
    )
    card_number: str | None = Field(
        default=None,
        pattern=r"^[0-9 ]{12,23}$",
        description="Cards (required for them): the card number, spaces allowed.",
        examples=["4242 4242 4242 4242"],
    )
    expiry_month: int | None = Field(
        default=None, ge=1, le=12, description="Cards (required): expiry month."
    )
    expiry_year: int | None = Field(
        default=None, ge=2000, le=2100, description="Cards (required): expiry year, 4 digits."
    )
    cvc: str | None = Field(
        default=None,
        pattern=r"^[0-9]{3,4}$",
        description="Cards (required): the security code, passed to the provider only.",
        examples=["123"],
    )
    holder_name: str | None = Field(
        default=None,
        max_length=200,
        description="Cards: the name on the card.",
        examples=["Ada Lovelace"],
    )
    make_default: bool = Field(
        default=False,
        description="Make it the default profile, the one automatic renewals are charged to "
        "(the first profile always becomes it).",
    )


class PaymentProfileRead(Schema):
    id: uuid.UUID
    kind: ProfileKind = Field(description="`card`, or `prepaid` (the prepaid account pays).")
    brand: str | None = Field(
        description="The card's network (visa, mastercard, amex…); null for prepaid.",
        examples=["visa"],
    )
    last4: str | None = Field(
        description="The card number's last four digits; null for prepaid.", examples=["4242"]
    )
    expiry_month: int | None = Field(description="The card's expiry month; null for prepaid.")
    expiry_year: int | None = Field(description="The card's expiry year; null for prepaid.")
    holder_name: str | None = Field(
        description="The name on the card; null if not given.", examples=["Ada Lovelace"]
    )
    is_default: bool = Field(description="The default profile pays automatic renewals.")
    created_at: datetime


# Prepaid


class PrepaidAccountRead(Schema):
    currency: Currency = Field(
        description="The account's currency: an organization has one account per currency."
    )
    balance_minor: int = Field(description="The balance, never negative.")
    payment_reference: str = Field(
        description="Bank transfers bearing it top the account up.",
        examples=["000000000900000000000123451"],
    )
    updated_at: datetime


class PrepaidEntryRead(Schema):
    id: uuid.UUID
    kind: EntryKind = Field(
        description=(
            "What moved the money: top_up, invoice_payment, unmatched_transfer (a transfer that "
            "could not pay its invoice), cancelled_order_refund, invoice_refund (a credit note), "
            "withdrawal, cashback (partner), cashback_reversal, affiliate_payout."
        )
    )
    amount_minor: int = Field(description="Positive: a credit; negative: a debit.")
    balance_after_minor: int = Field(description="The account's balance after this entry.")
    currency: Currency
    invoice_id: uuid.UUID | None = Field(
        description="The invoice it paid or refunds; null if none."
    )
    description: str = Field(
        description="What it was, as shown on the statement.",
        examples=[f"Invoice {INVOICE_NUMBER_EXAMPLE}"],
    )
    created_at: datetime


class TopUpCreate(Schema):
    amount_minor: AmountMinor = Field(
        description="The amount to charge and credit, in minor units of the account's currency."
    )
    currency: Currency | None = _amount_currency("the prepaid account's (the path's `currency`)")
    payment_profile_id: uuid.UUID | None = Field(
        default=None, description="The card to charge (default card profile if omitted)."
    )


class WithdrawalCreate(Schema):
    amount_minor: AmountMinor | None = Field(
        default=None,
        description="In minor units of the account's currency. Default: everything.",
    )
    currency: Currency | None = _amount_currency("the prepaid account's (the path's `currency`)")
    iban: str = Field(
        pattern=r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{10,42}$",
        description="Checked against its country's format and check digits (`invalid_iban`).",
        examples=["CH93 0076 2011 6238 5295 7"],
    )
    account_holder: str = Field(
        min_length=1,
        max_length=200,
        description="The name of the account's holder.",
        examples=["Théâtre du Lac"],
    )


class WithdrawalRead(Schema):
    id: uuid.UUID
    amount_minor: int = Field(description="The amount to pay out, debited from the account.")
    currency: Currency
    iban: str = Field(
        description="The account paid to, in compact form.", examples=["CH9300762011623852957"]
    )
    account_holder: str = Field(
        description="The name of the account's holder.", examples=["Théâtre du Lac"]
    )
    created_at: datetime


# Bank transfers


class BankTransferRead(Schema):
    id: uuid.UUID
    entry_reference: str = Field(
        description="The bank's unique reference of the credit: importing it again changes "
        "nothing.",
        examples=["ZKB20270301000123"],
    )
    amount_minor: int
    currency: Currency = Field(description="The currency credited, as booked by the bank.")
    reference: str | None = Field(
        description="The payment reference the payer gave (QR or RF reference, or free text); "
        "null if none.",
        examples=[QR_REFERENCE_EXAMPLE],
    )
    debtor_name: str | None = Field(
        description="The payer's name, as the bank gives it.", examples=["Théâtre du Lac"]
    )
    booked_on: date | None = Field(description="The booking date at the bank.")
    outcome: TransferOutcome = Field(
        description=(
            "invoice_paid, partner_invoice_paid, prepaid_top_up (the reference was a prepaid "
            "account's), credited_to_prepaid (it could not pay the invoice named, see `reason`), "
            "or unassigned (the reference named no one: staff assign it)."
        )
    )
    reason: str | None = Field(
        description="Why it did not pay the invoice it named: order_cancelled, "
        "invoice_not_payable, currency_mismatch, amount_mismatch, assigned (by staff), or a "
        "partner_invoice_… reason; null when it paid.",
        examples=["amount_mismatch"],
    )
    organization_id: uuid.UUID | None = Field(
        description="The organization credited or paid; null while unassigned."
    )
    invoice_id: uuid.UUID | None = Field(description="The invoice its reference named, if any.")
    created_at: datetime


class TransferImport(Schema):
    entries: int = Field(description="Credits found in the file.")
    imported: int = Field(description="Credits imported now (the others were known already).")
    duplicates: int = Field(description="Credits imported before, left unchanged.")
    invoice_paid: int = Field(description="Imported credits that paid an invoice.")
    partner_invoice_paid: int = Field(
        default=0, description="Imported credits that paid a partner's invoice to its client."
    )
    credited_to_prepaid: int = Field(
        description="Imported credits put on a prepaid account instead of paying their invoice."
    )
    prepaid_top_up: int = Field(description="Imported credits that topped a prepaid account up.")
    unassigned: int = Field(description="Imported credits naming no one, for staff to assign.")
    transfers: list[BankTransferRead] = Field(description="The credits imported now.")


class TransferAssignment(Schema):
    organization_id: uuid.UUID = Field(
        description="The organization whose prepaid account the transfer is credited to."
    )


# Subscriptions


class SubscriptionRead(Schema):
    product_id: uuid.UUID = Field(description="The product whose renewal state this is.")
    organization_id: uuid.UUID
    plan_id: uuid.UUID = Field(description="The product's current plan.")
    period: BillingPeriod = Field(description="How often it renews and is invoiced.")
    pending_period: BillingPeriod | None = Field(
        description="A requested change of `period`; null if none."
    )
    pending_period_effective_at: datetime | None = Field(
        description="When `pending_period` takes effect: the start of the running period's last "
        "month."
    )
    status: SubscriptionStatus = Field(
        description="active, expired (not renewed), redemption (a domain that can still be "
        "restored for a fee), released, or ended (given up, its paid period over)."
    )
    expires_at: datetime = Field(description="End of the period paid for.")
    auto_renew: bool = Field(
        description="Renewed automatically at `expires_at`, charged to the default profile."
    )
    renewal_warranty: bool = Field(
        description="Renewed even when the payment fails (the renewal is invoiced)."
    )
    billing_address: dict[str, Any] | None = Field(
        description="The address its renewals are invoiced to; null: the organization's."
    )
    redemption_ends_at: datetime | None = Field(
        description="Domains in redemption: the last moment to restore it before release."
    )
    given_up_at: datetime | None = Field(
        description="When the product was given up: it is not renewed and ends at `expires_at` "
        "(status `ended`); null if not."
    )
    created_at: datetime


class SubscriptionUpdate(Schema):
    auto_renew: Omittable[bool] = Field(
        default=None, description="Renew automatically at the end of each period."
    )
    renewal_warranty: Omittable[bool] = Field(
        default=None, description="Renew even when the payment fails (the renewal is invoiced)."
    )
    period: Omittable[BillingPeriod] = Field(
        default=None,
        description="A new billing frequency: in effect from the last month of the running period.",
    )
    billing_address: Address | None = Field(
        default=None,
        description="The address renewals are invoiced to; null: the organization's again.",
    )
    billing_address_id: uuid.UUID | None = Field(
        default=None, description="Renewals invoiced to one of the extra billing addresses."
    )


class PlanChange(Schema):
    plan_code: str = Field(
        max_length=60,
        description="The higher plan of the same product type to move to.",
        examples=["suite.business"],
    )


class EventPayload(Schema):
    """Small payloads for events whose object has no REST representation of its own."""

    data: dict[str, Any]
