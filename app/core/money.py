"""Exact money arithmetic on integer minor units. Every rounding goes through ``scale``.

Rates and discounts are basis points (1 bp = 0.01 %). Rounding is half up (away from zero) on the
minor unit, the commercial rule used on invoices. Amounts in CHF and EUR have two decimals.
"""

from enum import StrEnum

from app.core.errors import CurrencyMismatch

BASIS = 10_000


class Currency(StrEnum):
    """The ISO 4217 currencies the service bills and sells in: one enum everywhere in the API."""

    CHF = "CHF"
    EUR = "EUR"


def check_currency(given: str | None, expected: str) -> None:
    """Refuses an amount sent with a ``currency`` other than ``expected``; none given means it."""
    if given is not None and given != expected:
        raise CurrencyMismatch(f"The amount must be in {expected}, not {given}.")


def scale(amount_minor: int, numerator: int, denominator: int) -> int:
    """``amount * numerator / denominator`` rounded half up to the minor unit, exactly."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    product = amount_minor * numerator
    sign = -1 if product < 0 else 1
    quotient, remainder = divmod(abs(product), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return sign * quotient


def discounted(amount_minor: int, discount_bp: int) -> int:
    """The amount after a discount of ``discount_bp`` basis points."""
    return scale(amount_minor, BASIS - discount_bp, BASIS)


def share(amount_minor: int, rate_bp: int) -> int:
    """``rate_bp`` of the amount (VAT on a net amount, a percentage off)."""
    return scale(amount_minor, rate_bp, BASIS)


def format_amount(amount_minor: int, currency: str) -> str:
    """``CHF 1'234.50``-free plain form: ``CHF 1234.50`` (what bank slips and CSVs expect)."""
    return f"{currency} {to_decimal_text(amount_minor)}"


def to_decimal_text(amount_minor: int) -> str:
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(amount_minor), 100)
    return f"{sign}{units}.{cents:02d}"


def parse_decimal_text(text: str) -> int:
    """``"12.5"`` → 1250; refuses more than two decimals or anything not a plain amount."""
    value = text.strip()
    negative = value.startswith("-")
    if negative:
        value = value[1:]
    units, _, cents = value.partition(".")
    if not units.isdigit() or (cents and not cents.isdigit()) or len(cents) > 2:
        raise ValueError(f"not an amount: {text!r}")
    minor = int(units) * 100 + int(cents.ljust(2, "0") or "0")
    return -minor if negative else minor


def format_minor(amount_minor: int, currency: str) -> str:
    """For people (mails, tickets): ``CHF 45.50``, thousands split by an apostrophe."""
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(amount_minor), 100)
    return f"{currency} {sign}{units:,}.{cents:02d}".replace(",", "\u2019")
