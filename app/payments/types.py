"""Value types other domains may import."""

from dataclasses import dataclass
from enum import StrEnum


class AuthorizationStatus(StrEnum):
    authorized = "authorized"
    captured = "captured"
    voided = "voided"


@dataclass(frozen=True)
class CardToken:
    token: str
    brand: str
    last4: str


@dataclass(frozen=True)
class Authorization:
    """An authorized amount, captured once the transaction that asked for it commits."""

    key: str
    provider: str
    provider_reference: str
    amount_minor: int
    currency: str
