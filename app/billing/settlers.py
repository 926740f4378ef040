"""The hook through which another domain's documents are paid by the camt import: settlers are
asked in turn for a bank credit whose reference names no platform invoice nor prepaid account."""

from collections.abc import Awaitable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class TransferSettler(Protocol):
    """Given a bank credit whose reference names no platform invoice nor prepaid account:
    None when the reference is not one of its own, ``"paid"`` when it paid the document the
    reference names, else why it did not (the transfer then waits for staff)."""

    def __call__(
        self,
        session: AsyncSession,
        *,
        reference: str,
        amount_minor: int,
        currency: str,
        bank_reference: str,
    ) -> Awaitable[str | None]: ...


TRANSFER_SETTLERS: list[TransferSettler] = []
"""Asked in turn by the camt import (``app.lifecycle.connect_domains`` fills it)."""


def register_transfer_settler(settler: TransferSettler) -> None:
    if settler not in TRANSFER_SETTLERS:
        TRANSFER_SETTLERS.append(settler)
