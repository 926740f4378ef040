"""Money formatting for people: currency first, two decimals, Swiss thousands separator."""

import pytest

from app.core.money import format_amount, format_minor, share


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "CHF 0.00"),
        (5, "CHF 0.05"),
        (4550, "CHF 45.50"),
        (123456789, "CHF 1\u2019234\u2019567.89"),
        (-250, "CHF -2.50"),
    ],
)
def test_format_minor(amount: int, expected: str) -> None:
    assert format_minor(amount, "CHF") == expected


def test_plain_format_has_no_separator_for_bank_slips() -> None:
    assert format_amount(123456789, "EUR") == "EUR 1234567.89"


def test_share_rounds_half_up_on_the_minor_unit() -> None:
    assert share(5000, 250) == 125
    assert share(1, 5000) == 1  # 0.5 → 1
    assert share(3, 5000) == 2  # 1.5 → 2
