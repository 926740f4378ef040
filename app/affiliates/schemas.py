"""The affiliate programme's request and response models. What the affiliate reads of its
commissions never names the customer: only the order number, date, amounts, rate and state."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import EmailStr, Field, field_validator

from app.affiliates.types import (
    AffiliateStatus,
    CommissionKind,
    CommissionState,
    PayoutMethod,
    PayoutStatus,
)
from app.core.schemas import Schema

AffiliateCurrency = Literal["CHF", "EUR"]


class PayoutPreferences(Schema):
    """How the affiliate is paid: ``paypal_email`` for PayPal, ``iban`` for a bank transfer."""

    payout_method: PayoutMethod
    paypal_email: EmailStr | None = Field(default=None, max_length=320)
    iban: str | None = Field(default=None, max_length=42, description="Checked (ISO 13616).")


class AffiliateJoin(PayoutPreferences):
    currency: AffiliateCurrency


class AffiliateRead(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    tag: str
    currency: str
    payout_method: PayoutMethod
    paypal_email: str | None
    iban: str | None
    status: AffiliateStatus
    created_at: datetime


class RateRead(Schema):
    """Where the affiliate stands: cumulative earnings, the rate now and the next threshold."""

    currency: str
    cumulative_minor: int
    rate_bp: int
    next_rate_bp: int | None
    next_threshold_minor: int | None
    validated_unpaid_minor: int
    pending_minor: int


class VisitCreate(Schema):
    tag: str = Field(min_length=1, max_length=32, description="The link's ``utm_term``.")
    token: str | None = Field(
        default=None,
        max_length=100,
        description="The attribution token held from an earlier visit.",
    )


class VisitRead(Schema):
    token: str = Field(description="Present it at sign-up (``attribution_token``).")
    expires_at: datetime


class CommissionRead(Schema):
    id: uuid.UUID
    kind: CommissionKind
    order_number: str | None
    ordered_at: datetime
    hold_until: datetime
    base_minor: int
    currency: str
    rate_bp: int
    amount_minor: int
    exchange_rate: Decimal | None
    converted_minor: int | None
    state: CommissionState
    reason: str | None
    validated_at: datetime | None
    payout_id: uuid.UUID | None
    created_at: datetime


class MonthTotal(Schema):
    month: date
    currency: str
    earned_minor: int
    """Commissions earned that month (not voided), in the affiliate's currency where known."""
    count: int


class PayoutRead(Schema):
    id: uuid.UUID
    affiliate_id: uuid.UUID
    month: date
    currency: str
    amount_minor: int
    method: PayoutMethod
    destination: str | None
    status: PayoutStatus
    paid_out_at: datetime | None
    created_at: datetime


class PayoutDetail(PayoutRead):
    lines: list[CommissionRead]


class StaffAffiliateRead(AffiliateRead):
    organization_name: str | None
    cumulative_minor: int
    paid_minor: int
    suspended_at: datetime | None
    suspension_reason: str | None


class Suspension(Schema):
    reason: str = Field(min_length=1, max_length=500)


class Adjustment(Schema):
    amount_minor: int = Field(
        ge=-100_000_00, le=100_000_00, description="In the affiliate's currency; not zero."
    )
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("amount_minor")
    @classmethod
    def _moves_money(cls, value: int) -> int:
        if value == 0:
            raise ValueError("an adjustment moves money: not zero")
        return value


class ExchangeRateWrite(Schema):
    base: AffiliateCurrency
    quote: AffiliateCurrency
    valid_from: date
    rate: Decimal = Field(gt=0, max_digits=18, decimal_places=8)


class ExchangeRateRead(Schema):
    base: str
    quote: str
    valid_from: date
    rate: Decimal
