"""The payment-provider interface and the test provider used in development and tests.

A real acquirer is plugged in by implementing ``PaymentProvider`` and registering it in
``PROVIDERS``. Card numbers never reach the database: the provider returns a token. Every call is
idempotent by its key: authorizing, capturing or voiding the same key again changes nothing.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from app.core import clock
from app.payments.errors import InvalidCard
from app.payments.types import AuthorizationStatus, CardToken


@dataclass(frozen=True)
class AuthorizationResult:
    succeeded: bool
    provider_reference: str
    failure_code: str | None = None


@dataclass(frozen=True)
class ProviderAuthorization:
    """An authorization as the provider holds it."""

    key: str
    provider_reference: str
    token: str
    amount_minor: int
    currency: str
    description: str
    status: AuthorizationStatus
    created_at: datetime
    captures: int = 0
    """How many times money was taken (0 or 1: a repeated capture takes nothing)."""


class PaymentProvider(Protocol):
    name: str

    def tokenize(
        self, card_number: str, expiry_month: int, expiry_year: int, cvc: str
    ) -> CardToken: ...

    async def authorize(
        self, *, key: str, token: str, amount_minor: int, currency: str, description: str
    ) -> AuthorizationResult:
        """Reserves the amount on the card. The same key never authorizes twice."""
        ...

    async def capture(self, *, key: str) -> None:
        """Takes the authorized amount; capturing again takes nothing. Raises
        AuthorizationVoided when it can no longer be captured."""
        ...

    async def void(self, *, key: str) -> None:
        """Releases an authorization not captured; voiding again does nothing."""
        ...

    async def open_authorizations(self, *, before: datetime) -> list[str]:
        """The keys of authorizations made before ``before``, neither captured nor voided."""
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
# Ready-made test tokens (the shop's card form passes them as is): any other token succeeds.
DECLINING_TOKENS = {
    "tok_declined": "card_declined",
    "tok_insufficient_funds": "insufficient_funds",
}


class AuthorizationUnknown(LookupError):
    """The provider holds no authorization of this key."""


class AuthorizationVoided(Exception):
    """The authorization can no longer be captured (voided, or expired at the provider)."""


class TestCardProvider:
    """Succeeds or declines by card number or token; never moves real money. Keeps its
    authorizations in memory, so tests can see what was captured or voided."""

    __test__ = False  # not a pytest class
    name = "test"

    def __init__(self) -> None:
        self._authorizations: dict[str, ProviderAuthorization] = {}

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

    @staticmethod
    def _outcome(token: str) -> str:
        if token.startswith("tok_test_"):
            return token.removeprefix("tok_test_").rsplit("_", 1)[0]
        return DECLINING_TOKENS.get(token, "ok")

    async def authorize(
        self, *, key: str, token: str, amount_minor: int, currency: str, description: str
    ) -> AuthorizationResult:
        reference = "auth_test_" + hashlib.sha256(key.encode()).hexdigest()[:24]
        existing = self._authorizations.get(key)
        if existing is not None:
            if existing.status == AuthorizationStatus.voided:
                return AuthorizationResult(False, reference, "authorization_voided")
            return AuthorizationResult(True, reference)
        outcome = self._outcome(token)
        if outcome != "ok":
            return AuthorizationResult(False, reference, outcome)
        self._authorizations[key] = ProviderAuthorization(
            key=key,
            provider_reference=reference,
            token=token,
            amount_minor=amount_minor,
            currency=currency,
            description=description,
            status=AuthorizationStatus.authorized,
            created_at=clock.now(),
        )
        return AuthorizationResult(True, reference)

    def _get(self, key: str) -> ProviderAuthorization:
        try:
            return self._authorizations[key]
        except KeyError:
            raise AuthorizationUnknown(key) from None

    async def capture(self, *, key: str) -> None:
        held = self._get(key)
        if held.status == AuthorizationStatus.voided:
            raise AuthorizationVoided(key)
        if held.status == AuthorizationStatus.authorized:
            self._authorizations[key] = replace(
                held, status=AuthorizationStatus.captured, captures=held.captures + 1
            )

    async def void(self, *, key: str) -> None:
        held = self._authorizations.get(key)
        if held is None or held.status != AuthorizationStatus.authorized:
            return
        self._authorizations[key] = replace(held, status=AuthorizationStatus.voided)

    async def open_authorizations(self, *, before: datetime) -> list[str]:
        return [
            held.key
            for held in self._authorizations.values()
            if held.status == AuthorizationStatus.authorized and held.created_at < before
        ]

    def authorization(self, key: str) -> ProviderAuthorization | None:
        """What the provider holds for ``key`` (for tests)."""
        return self._authorizations.get(key)

    def authorizations(self) -> list[ProviderAuthorization]:
        """Every authorization it holds, whatever its status (for tests)."""
        return list(self._authorizations.values())


PROVIDERS: dict[str, PaymentProvider] = {"test": TestCardProvider()}
DEFAULT_PROVIDER = "test"


def provider(name: str | None = None) -> PaymentProvider:
    return PROVIDERS[name or DEFAULT_PROVIDER]
