"""Card payments for ticket orders: the provider interface and the test provider.

A real provider (a PSP) implements ``CardProvider``; the test provider accepts any token except
the ones that simulate a refusal, so the shop can be used end to end without a contract.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol

from app.core.errors import AppError

DECLINED_TOKENS = frozenset({"tok_declined", "tok_insufficient_funds"})


class PaymentDeclined(AppError):
    status = 402
    code = "payment_declined"


@dataclass(frozen=True)
class Charge:
    reference: str
    amount_minor: int
    currency: str


class CardProvider(Protocol):
    async def charge(
        self, *, token: str, amount_minor: int, currency: str, description: str
    ) -> Charge:
        """Charges the card; raises PaymentDeclined when the provider refuses."""
        ...


class TestCardProvider:
    async def charge(
        self, *, token: str, amount_minor: int, currency: str, description: str
    ) -> Charge:
        if token in DECLINED_TOKENS:
            raise PaymentDeclined("The card was declined.")
        return Charge(
            reference=f"test_{uuid.uuid4().hex[:16]}", amount_minor=amount_minor, currency=currency
        )


def card_provider() -> CardProvider:
    return TestCardProvider()
