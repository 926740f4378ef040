"""What other domains ask billing (through this module, never through billing's tables)."""

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import PAYABLE, Invoice, InvoiceKind, PrepaidAccount


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
