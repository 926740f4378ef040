"""The affiliate programme's enums and its rate rule, which other domains may import.

Rate by cumulative earnings (in the affiliate account's currency, minor units): 25 % from the
start, 30 % from 50, 35 % from 1,000, 50 % from 20,000. What counts toward the thresholds is
every commission not voided (pending, validated or paid) plus staff adjustments: an affiliate
reaches a tier as soon as it has earned that much, and a commission voided later lowers the
cumulative for the commissions that follow (never the rate of those already earned).
"""

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

ATTRIBUTION = timedelta(days=30)
"""How long a visit's attribution token lasts."""
EARNING_WINDOW = timedelta(days=365)
"""A referred organization's orders earn for this long after its creation."""
HOLD = timedelta(days=30)
"""A commission waits this long after the order (money-back guarantee) before it is validated."""
PAYOUT_MINIMUM_MINOR = 50_00
"""Validated, unpaid earnings are paid out once they reach 50 (CHF or EUR)."""


class PayoutMethod(StrEnum):
    prepaid = "prepaid"
    """A credit to the affiliate organization's prepaid account."""
    paypal = "paypal"
    bank_transfer = "bank_transfer"


class AffiliateStatus(StrEnum):
    active = "active"
    suspended = "suspended"
    """Earns no new commissions; what it has earned is still validated and paid."""


class CommissionKind(StrEnum):
    order = "order"
    adjustment = "adjustment"
    """Added by staff with a reason (positive or negative)."""


class CommissionState(StrEnum):
    pending = "pending"
    validated = "validated"
    void = "void"
    paid = "paid"


class PayoutStatus(StrEnum):
    paid = "paid"
    """Credited to the prepaid account, or sent by PayPal or bank transfer."""
    instructed = "instructed"
    """A PayPal or bank transfer to make; staff mark it paid out."""


@dataclass(frozen=True)
class Tier:
    from_minor: int
    rate_bp: int


TIERS = (Tier(0, 2500), Tier(50_00, 3000), Tier(1_000_00, 3500), Tier(20_000_00, 5000))


def rate_for(cumulative_minor: int) -> Tier:
    """The tier in force for an affiliate that has earned ``cumulative_minor`` so far."""
    current = TIERS[0]
    for tier in TIERS:
        if cumulative_minor >= tier.from_minor:
            current = tier
    return current


def next_tier(cumulative_minor: int) -> Tier | None:
    """The next tier to reach, or None at the top."""
    return next((tier for tier in TIERS if tier.from_minor > cumulative_minor), None)
