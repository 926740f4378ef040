"""What other domains ask billing (through this module, never through billing's tables), and
the hook through which another domain's invoices are paid by the camt import."""

import uuid
from collections.abc import Awaitable
from typing import Protocol

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import PAYABLE, Invoice, InvoiceKind, PrepaidAccount


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


async def has_unpaid_invoices(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Invoice.organization_id == organization_id,
                    Invoice.kind == InvoiceKind.invoice,
                    Invoice.status.in_(list(PAYABLE)),
                )
            )
        )
    )


async def has_prepaid_balance(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    PrepaidAccount.organization_id == organization_id,
                    PrepaidAccount.balance_minor > 0,
                )
            )
        )
    )
