"""The affiliate programme's request and response models. What the affiliate reads of its
commissions never names the customer: only the order number, date, amounts, rate and state."""

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import EmailStr, Field, field_validator, model_validator

from app.affiliates.types import (
    AffiliateStatus,
    CommissionKind,
    CommissionState,
    PayoutMethod,
    PayoutStatus,
)
from app.core.money import Currency
from app.core.schemas import Schema

ACCOUNT_CURRENCY = "The affiliate account's currency, chosen on joining (never changes)."
RATE_BP = "Commission rate in basis points (2500 = 25 %)."


class PayoutPreferences(Schema):
    """How the affiliate is paid: ``paypal_email`` for PayPal, ``iban`` for a bank transfer."""

    payout_method: PayoutMethod = Field(
        description="`prepaid`: credited to the organization's prepaid account; `paypal`: sent to "
        "`paypal_email`; `bank_transfer`: sent to `iban`. PayPal and bank payouts are made by "
        "the provider's staff."
    )
    paypal_email: EmailStr | None = Field(
        default=None,
        max_length=320,
        description="The PayPal address to pay; required with `paypal`, ignored otherwise.",
        examples=["compta@theatre-du-lac.ch"],
    )
    iban: str | None = Field(
        default=None,
        max_length=42,
        description="The bank account to pay, checked (ISO 13616) and stored without spaces; "
        "required with `bank_transfer`, ignored otherwise.",
        examples=["CH93 0076 2011 6238 5295 7"],
    )


class AffiliateJoin(PayoutPreferences):
    currency: Currency = Field(
        description="The account's currency: commissions are counted, converted and paid in it. "
        "It cannot be changed later."
    )


class AffiliateRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID = Field(description="The organization in the programme.")
    tag: str = Field(
        description="The affiliate's tag, given on joining: add it to links as `?utm_term=<tag>`.",
        examples=["k3v9q2m7x4a8b1c5"],
    )
    currency: Currency = Field(description=ACCOUNT_CURRENCY)
    payout_method: PayoutMethod = Field(description="How payouts are made.")
    paypal_email: str | None = Field(
        description="The PayPal address paid; null unless the method is `paypal`.",
        examples=["compta@theatre-du-lac.ch"],
    )
    iban: str | None = Field(
        description="The bank account paid, without spaces; null unless the method is "
        "`bank_transfer`.",
        examples=["CH9300762011623852957"],
    )
    status: AffiliateStatus = Field(
        description="`suspended` earns no new commissions (set by the provider's staff)."
    )
    created_at: datetime


class RateRead(Schema):
    """Where the affiliate stands: cumulative earnings, the rate now and the next threshold."""

    currency: Currency = Field(description=ACCOUNT_CURRENCY + " Every amount here is in it.")
    cumulative_minor: int = Field(
        description="Every commission not voided (pending ones in another currency at today's "
        "rate) plus staff adjustments: what the rate thresholds count."
    )
    rate_bp: int = Field(description="The rate in force for the next commission. " + RATE_BP)
    next_rate_bp: int | None = Field(
        description="The rate from the next threshold; null at the top rate (50 %)."
    )
    next_threshold_minor: int | None = Field(
        description="Cumulative earnings from which `next_rate_bp` applies; null at the top rate."
    )
    validated_unpaid_minor: int = Field(
        description="Validated commissions not paid yet: paid at the start of a month once at "
        "least 50.00 is due."
    )
    pending_minor: int = Field(
        description="Commissions in the account's currency still in their 30-day hold."
    )


class VisitCreate(Schema):
    tag: str = Field(
        min_length=1,
        max_length=32,
        description="The link's `utm_term`: an affiliate's tag.",
        examples=["k3v9q2m7x4a8b1c5"],
    )
    token: str | None = Field(
        default=None,
        max_length=100,
        description="The attribution token held from an earlier visit, if any: the same token "
        "then carries the new visit.",
        examples=["pVA4kj39VBtSx2mQ8rLw0ZcYt6uHn1EoJf5gKd7aRiM"],
    )


class VisitRead(Schema):
    token: str = Field(
        description="The attribution token: keep it and present it at sign-up "
        "(`attribution_token`).",
        examples=["pVA4kj39VBtSx2mQ8rLw0ZcYt6uHn1EoJf5gKd7aRiM"],
    )
    expires_at: datetime = Field(
        description="30 days from this visit: a sign-up after it is attributed to no one."
    )


class CommissionRead(Schema):
    """A commission, in the currency of the order (``currency``), converted into the affiliate
    account's (``account_currency``) once validated."""

    id: uuid.UUID
    kind: CommissionKind = Field(
        description="`order`: earned on a referred customer's paid order; `adjustment`: added "
        "(or taken back) by the provider's staff."
    )
    order_number: str | None = Field(
        description="The number of the invoice that earned it; null for an adjustment.",
        examples=["2027-000042"],
    )
    ordered_at: datetime = Field(
        description="When the order was placed (an adjustment: when it was made)."
    )
    hold_until: datetime = Field(
        description="End of the 30-day money-back hold: an order refunded or cancelled before "
        "it earns nothing; after it the commission is validated."
    )
    base_minor: int = Field(
        description="The order's amount that earns (excl. VAT and excluded products), in "
        "`currency`; 0 for an adjustment."
    )
    currency: Currency = Field(
        description="The order's currency: that of `base_minor` and `amount_minor`."
    )
    rate_bp: int = Field(description=RATE_BP + " 0 for an adjustment.")
    amount_minor: int = Field(
        description="The commission in `currency`: `base_minor` times `rate_bp`, rounded half up; "
        "negative for an adjustment taking money back."
    )
    exchange_rate: Decimal | None = Field(
        description="1 `currency` in `account_currency`, taken on the validation day (1 when "
        "they are the same); null while not converted yet."
    )
    converted_minor: int | None = Field(
        description="The commission in `account_currency` (what counts and is paid); null while "
        "a commission in another currency waits for its validation."
    )
    account_currency: Currency = Field(description=ACCOUNT_CURRENCY + " That of `converted_minor`.")
    state: CommissionState = Field(
        description="`pending` during the hold, `validated` after it, `paid` once in a payout, "
        "`void` when the order was refunded or cancelled within the hold."
    )
    reason: str | None = Field(
        description="Why staff made the adjustment; null for an order's commission.",
        examples=["Missed commission on order 2027-000042"],
    )
    validated_at: datetime | None = Field(description="Null until validated.")
    payout_id: uuid.UUID | None = Field(description="The payout that paid it; null until paid.")
    created_at: datetime


class MonthTotal(Schema):
    month: date = Field(description="The month's first day; months are by order date (UTC).")
    currency: Currency = Field(description=ACCOUNT_CURRENCY + " That of `earned_minor`.")
    earned_minor: int = Field(
        description="Commissions of the month not voided, converted into the account's currency "
        "(those not converted yet count 0)."
    )
    count: int = Field(description="How many commissions (not voided) the month holds.")


class PayoutRead(Schema):
    id: uuid.UUID
    affiliate_id: uuid.UUID
    month: date = Field(description="The first day of the month it pays.")
    currency: Currency = Field(description=ACCOUNT_CURRENCY + " That of `amount_minor`.")
    amount_minor: int = Field(
        description="Validated commissions paid: their `converted_minor`, summed."
    )
    method: PayoutMethod = Field(description="How it was paid (the preference at that time).")
    destination: str | None = Field(
        description="The PayPal address or IBAN paid; null for the prepaid account.",
        examples=["CH9300762011623852957"],
    )
    status: PayoutStatus = Field(
        description="`paid`: credited or sent; `instructed`: a PayPal or bank payout the "
        "provider's staff still have to send."
    )
    paid_out_at: datetime | None = Field(
        description="When it was credited or sent; null while `instructed`."
    )
    created_at: datetime


class PayoutDetail(PayoutRead):
    lines: list[CommissionRead] = Field(description="The commissions it paid, oldest first.")


class StaffAffiliateRead(AffiliateRead):
    organization_name: str | None = Field(
        description="The affiliate organization's name; null once it is deleted.",
        examples=["Théâtre du Lac"],
    )
    cumulative_minor: int = Field(
        description="What counts toward the rate thresholds (as in the affiliate's standing), "
        "in `currency`."
    )
    paid_minor: int = Field(description="Every payout made so far, summed, in `currency`.")
    suspended_at: datetime | None = Field(description="Null unless suspended.")
    suspension_reason: str | None = Field(
        description="Why staff suspended it; null unless suspended.",
        examples=["Orders placed from the affiliate's own premises"],
    )


class Suspension(Schema):
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why the affiliate is suspended: kept on it and in the audit log.",
        examples=["Orders placed from the affiliate's own premises"],
    )


class Adjustment(Schema):
    amount_minor: int = Field(
        ge=-100_000_00,
        le=100_000_00,
        description="In the affiliate's currency; not zero: positive adds, negative takes back.",
    )
    currency: Currency | None = Field(
        default=None,
        description="The amount's currency; when given it must be the affiliate account's, else "
        "422 currency_mismatch. Default: that currency.",
    )
    reason: str = Field(
        min_length=1,
        max_length=500,
        description="Why: shown to the affiliate with the adjustment and kept in the audit log.",
        examples=["Missed commission on order 2027-000042"],
    )

    @field_validator("amount_minor")
    @classmethod
    def _moves_money(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment moves money: not zero")
        return value


class ExchangeRateWrite(Schema):
    base: Currency = Field(description="The currency converted from.")
    quote: Currency = Field(description="The currency converted into.")
    valid_from: date = Field(
        description="The first day the rate applies; it stays in force until the pair's next."
    )
    rate: Decimal = Field(
        gt=0,
        max_digits=18,
        decimal_places=8,
        description="1 `base` in `quote` (up to 8 decimals). The inverse pair uses 1 / rate "
        "when it has no rate of its own.",
    )

    @model_validator(mode="after")
    def _two_currencies(self) -> "ExchangeRateWrite":
        if self.base == self.quote:
            raise ValueError("base and quote are the same currency")
        return self


class ExchangeRateRead(Schema):
    base: Currency = Field(description="The currency converted from.")
    quote: Currency = Field(description="The currency converted into.")
    valid_from: date = Field(
        description="The first day the rate applies; it stays in force until the pair's next."
    )
    rate: Decimal = Field(description="1 `base` in `quote`.")
