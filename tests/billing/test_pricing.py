"""The domain's figures, reproduced by the pricing code to the cent."""

import pytest

from app.billing import references
from app.billing.pricing import Tier, allocate_amount, price_line, tier_discount_bp, vat
from app.core import money

WEB_HOSTING_TIERS = [Tier(5, 1000), Tier(15, 1500), Tier(25, 2000), Tier(35, 2500)]


@pytest.mark.parametrize(
    ("unit", "gross", "after_partner", "final"),
    [(992, 34720, 27776, 20832), (575, 20125, 16100, 12075)],
    ids=["CHF", "EUR"],
)
def test_35_web_hostings_partner_discount_then_volume_tier(
    unit: int, gross: int, after_partner: int, final: int
) -> None:
    tier_bp = tier_discount_bp(WEB_HOSTING_TIERS, 35)
    line = price_line(unit, 35, tier_bp=tier_bp, partner=True)
    assert tier_bp == 2500
    assert line.gross_minor == gross
    assert line.gross_minor - line.partner_discount_minor == after_partner
    assert line.net_minor == final
    assert line.partner_net_minor == final


def test_public_price_keeps_the_tier_and_cashback_is_the_difference() -> None:
    line = price_line(992, 35, tier_bp=2500, partner=False)
    assert line.net_minor == 26040  # 347.20 less 25 %
    assert line.public_net_minor == 26040
    assert line.cashback_minor == 26040 - 20832


def test_tier_is_the_highest_reached() -> None:
    assert tier_discount_bp(WEB_HOSTING_TIERS, 4) == 0
    assert tier_discount_bp(WEB_HOSTING_TIERS, 15) == 1500
    assert tier_discount_bp(WEB_HOSTING_TIERS, 100) == 2500


def test_rounding_is_half_up_on_the_minor_unit() -> None:
    assert money.scale(5, 1, 2) == 3  # 2.5 → 3
    assert money.scale(-5, 1, 2) == -3
    assert money.scale(4, 1, 3) == 1
    assert vat(1000, 810) == 81
    assert vat(1005, 810) == 81  # 81.405
    assert vat(1068, 810) == 87  # 86.508
    assert vat(20832, 810) == 1687  # 1687.392
    assert money.discounted(993, 2000) == 794  # 794.4


def test_amount_discount_spreads_first_line_first() -> None:
    assert allocate_amount(1500, [1000, 1000]) == [1000, 500]
    assert allocate_amount(5000, [1000, 1000]) == [1000, 1000]


def test_amount_text_round_trips() -> None:
    assert money.to_decimal_text(34720) == "347.20"
    assert money.parse_decimal_text("347.2") == 34720
    with pytest.raises(ValueError, match="not an amount"):
        money.parse_decimal_text("1.005")


def test_qr_reference_check_digit() -> None:
    # The Swiss Payment Standards' example reference.
    assert references.is_valid_qr_reference("21 00000 00003 13947 14300 09017")
    assert not references.is_valid_qr_reference("21 00000 00003 13947 14300 09018")
    reference = references.qr_reference(2026000042)
    assert len(reference) == 27
    assert references.is_valid_qr_reference(reference)


def test_creditor_reference_mod_97() -> None:
    # ISO 11649's example.
    assert references.creditor_reference("539007547034") == "RF18539007547034"
    assert references.is_valid_creditor_reference("RF18 5390 0754 7034")
    assert not references.is_valid_creditor_reference("RF19539007547034")
