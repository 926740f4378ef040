"""What other domains ask billing (through this module, never through billing's tables), and
the hook through which another domain's invoices are paid by the camt import."""

import uuid

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import archive, ticket_invoices, transfers
from app.billing.creditors import Creditor
from app.billing.models import PAYABLE, Invoice, InvoiceKind, PrepaidAccount
from app.billing.settlers import TransferSettler, register_transfer_settler
from app.billing.ticket_invoices import SaleLine, TicketInvoice

__all__ = [
    "Creditor",
    "SaleLine",
    "TicketInvoice",
    "TransferSettler",
    "cancel_ticket_invoice",
    "import_transfers",
    "issue_ticket_invoice",
    "keep_invoices_for",
    "paid_ticket_orders",
    "record_ticket_payment",
    "register_transfer_settler",
    "ticket_invoice_pdf",
]

issue_ticket_invoice = ticket_invoices.issue
cancel_ticket_invoice = ticket_invoices.cancel
record_ticket_payment = ticket_invoices.record_payment
ticket_invoice_pdf = ticket_invoices.pdf_of
paid_ticket_orders = ticket_invoices.paid_orders
import_transfers = transfers.import_transfers
keep_invoices_for = archive.keep_for


async def has_unpaid_invoices(session: AsyncSession, organization_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    Invoice.organization_id == organization_id,
                    Invoice.kind == InvoiceKind.invoice,
                    Invoice.status.in_(list(PAYABLE)),
                    Invoice.ticket_office_id.is_(None),
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
