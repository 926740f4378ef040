"""The invoices of a deleted organization stay downloadable by its former legal representatives
for the legal retention period (10 years in Switzerland: CO art. 958f, MWSTG art. 70)."""

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.errors import InvoiceNotFound
from app.billing.fulfilment import add_months
from app.billing.models import Invoice, InvoiceArchiveGrant, InvoiceStatus
from app.core import clock
from app.core.db import one_or_raise

RETENTION_YEARS = 10


async def keep_for(
    session: AsyncSession, organization_id: uuid.UUID, account_ids: Sequence[uuid.UUID]
) -> None:
    """The organization is being deleted: ``account_ids`` (its legal representatives) keep
    access to its invoices for the retention period."""
    now = clock.now()
    until = add_months(now, 12 * RETENTION_YEARS)
    for account_id in account_ids:
        await session.execute(
            insert(InvoiceArchiveGrant)
            .values(
                id=uuid.uuid4(),
                organization_id=organization_id,
                account_id=account_id,
                until=until,
                created_at=now,
            )
            .on_conflict_do_update(
                index_elements=["organization_id", "account_id"], set_={"until": until}
            )
        )


def archived_invoices(account_id: uuid.UUID) -> Select[Invoice]:
    """The issued invoices and credit notes of the deleted organizations the account represented,
    while their retention lasts."""
    return (
        select(Invoice)
        .join(InvoiceArchiveGrant, InvoiceArchiveGrant.organization_id == Invoice.organization_id)
        .where(
            InvoiceArchiveGrant.account_id == account_id,
            InvoiceArchiveGrant.until > clock.now(),
            Invoice.status != InvoiceStatus.draft,
            Invoice.ticket_office_id.is_(None),
        )
    )


async def archived_invoice(
    session: AsyncSession, account_id: uuid.UUID, invoice_id: uuid.UUID
) -> Invoice:
    return await one_or_raise(
        session,
        archived_invoices(account_id).where(Invoice.id == invoice_id),
        InvoiceNotFound("No such invoice."),
    )
