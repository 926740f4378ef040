"""Pure pricing: the amounts of an invoice line, with no database.

Order of the reductions on a line (the domain rule): the partner discount (20 %, when a partner pays
with its own means) on the gross amount, then the volume tier on what remains, then promo codes
and free grants at the end of the order; VAT on the resulting net. Each step rounds half up on the
minor unit, so 35 web hostings at CHF 9.92 give 347.20 → 277.76 → 208.32.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.money import discounted, share

PARTNER_DISCOUNT_BP = 2000


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    discount_bp: int


@dataclass(frozen=True)
class LinePrice:
    unit_price_minor: int
    quantity: int
    gross_minor: int
    partner_discount_minor: int
    volume_discount_minor: int
    public_net_minor: int
    """What the line costs without the partner discount (the tier still applies)."""
    partner_net_minor: int
    """What the line costs a partner paying with its own means."""

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.partner_discount_minor - self.volume_discount_minor

    @property
    def cashback_minor(self) -> int:
        """The difference between public and partner price."""
        return self.public_net_minor - self.partner_net_minor


def tier_discount_bp(tiers: Sequence[Tier], volume: int) -> int:
    """The discount of the highest tier reached by ``volume`` products (0 when none)."""
    reached = [tier.discount_bp for tier in tiers if volume >= tier.min_quantity]
    return max(reached, default=0)


def price_line(
    unit_price_minor: int, quantity: int, *, tier_bp: int = 0, partner: bool = False
) -> LinePrice:
    """A line before promo codes: gross, then the partner discount, then the volume tier."""
    if quantity < 1 or unit_price_minor < 0:
        raise ValueError("quantity must be positive and the price not negative")
    gross = unit_price_minor * quantity
    partner_net = discounted(discounted(gross, PARTNER_DISCOUNT_BP), tier_bp)
    public_net = discounted(gross, tier_bp)
    after_partner = discounted(gross, PARTNER_DISCOUNT_BP) if partner else gross
    after_tier = discounted(after_partner, tier_bp)
    return LinePrice(
        unit_price_minor=unit_price_minor,
        quantity=quantity,
        gross_minor=gross,
        partner_discount_minor=gross - after_partner,
        volume_discount_minor=after_partner - after_tier,
        public_net_minor=public_net,
        partner_net_minor=partner_net,
    )


def allocate_amount(discount_minor: int, eligible_nets: Sequence[int]) -> list[int]:
    """Spreads a fixed-amount discount over lines, first line first, never below zero."""
    remaining = discount_minor
    allocation = []
    for net in eligible_nets:
        taken = min(net, remaining)
        allocation.append(taken)
        remaining -= taken
    return allocation


def percent_off(net_minor: int, percent_bp: int) -> int:
    return share(net_minor, percent_bp)


def vat(net_minor: int, rate_bp: int) -> int:
    return share(net_minor, rate_bp)
