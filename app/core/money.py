"""Amounts are integers in minor units; these helpers format and split them exactly."""

from decimal import ROUND_HALF_UP, Decimal

MINOR_DIGITS = {"CHF": 2, "EUR": 2}


def format_minor(amount_minor: int, currency: str) -> str:
    """``4550, "CHF"`` → ``"CHF 45.50"``."""
    digits = MINOR_DIGITS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**digits)
    return f"{currency} {sign}{whole:,}.{fraction:0{digits}d}".replace(",", "\u2019")


def share(amount_minor: int, basis_points: int) -> int:
    """``basis_points``/10 000 of an amount, rounded half up to the minor unit."""
    exact = Decimal(amount_minor) * Decimal(basis_points) / Decimal(10_000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
