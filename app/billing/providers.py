"""The payment-provider interface and the test provider used in development and tests.

A real acquirer is plugged in by implementing ``PaymentProvider`` and registering it in
``PROVIDERS``. Card numbers never reach the database: the provider returns a token.
"""

import hashlib
from dataclasses import dataclass
from typing import Protocol

from app.core.errors import Unprocessable


class InvalidCard(Unprocessable):
    code = "invalid_card"


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    provider_reference: str
    failure_code: str | None = None


class PaymentProvider(Protocol):
    name: str

    def tokenize(
        self, card_number: str, expiry_month: int, expiry_year: int, cvc: str
    ) -> CardToken: ...

    async def charge(
        self, token: str, amount_minor: int, currency: str, *, idempotency_key: str
    ) -> ChargeResult:
        """Charges the card. The same ``idempotency_key`` never charges twice."""
        ...


def luhn_valid(number: str) -> bool:
    digits = [int(char) for char in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return checksum % 10 == 0


# Test card numbers (the usual conventions): any other valid number succeeds.
DECLINING_CARDS = {
    "4000000000000002": "card_declined",
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
}


class TestCardProvider:
    """Succeeds or declines by card number; never moves real money."""

    name = "test"

    def tokenize(
        self, card_number: str, expiry_month: int, expiry_year: int, cvc: str
    ) -> CardToken:
        number = "".join(card_number.split())
        if not number.isdigit() or not 12 <= len(number) <= 19 or not luhn_valid(number):
            raise InvalidCard("The card number is not valid.")
        outcome = DECLINING_CARDS.get(number, "ok")
        fingerprint = hashlib.sha256(number.encode()).hexdigest()[:16]
        brand = {"4": "visa", "5": "mastercard", "3": "amex"}.get(number[0], "card")
        return CardToken(f"tok_test_{outcome}_{fingerprint}", brand, number[-4:])

    async def charge(
        self, token: str, amount_minor: int, currency: str, *, idempotency_key: str
    ) -> ChargeResult:
        reference = "ch_test_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]
        if not token.startswith("tok_test_"):
            return ChargeResult(False, reference, "invalid_token")
        outcome = token.removeprefix("tok_test_").rsplit("_", 1)[0]
        if outcome != "ok":
            return ChargeResult(False, reference, outcome)
        return ChargeResult(True, reference)


PROVIDERS: dict[str, PaymentProvider] = {"test": TestCardProvider()}
DEFAULT_PROVIDER = "test"


def provider(name: str | None = None) -> PaymentProvider:
    return PROVIDERS[name or DEFAULT_PROVIDER]
