"""What other domains ask billing (through this module, never through billing's tables), and
the hook through which another domain's invoices are paid by the camt import."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing import archive, ledger, ticket_invoices, transfers
from app.billing.creditors import Creditor
from app.billing.models import (
    PAYABLE,
    EntryKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    LineKind,
    Order,
    Plan,
    PrepaidAccount,
)
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


# --- used by the affiliate programme ---


@dataclass(frozen=True)
class EarningLine:
    kind: str
    plan_id: uuid.UUID | None
    net_minor: int
    """Excluding VAT, after every discount."""
    affiliate_excluded: bool
    """The plan is flagged as earning affiliates nothing (or the line is an option/correction)."""


@dataclass(frozen=True)
class PaidInvoice:
    """What the affiliate programme reads of a paid invoice: who it is for, when it was ordered,
    from where, and its lines excluding VAT."""

    id: uuid.UUID
    number: str | None
    order_id: uuid.UUID | None
    organization_id: uuid.UUID
    """The payer."""
    beneficiary_organization_id: uuid.UUID
    currency: str
    ordered_at: datetime
    """The order's creation (the invoice's, for a renewal)."""
    placed_by: uuid.UUID | None
    placed_from_ip: str | None
    lines: tuple[EarningLine, ...]

    @property
    def earning_minor(self) -> int:
        """The amount excluding VAT of the lines that can earn a commission."""
        return sum(line.net_minor for line in self.lines if not line.affiliate_excluded)


NEVER_EARNING_LINES = frozenset({LineKind.renewal_warranty, LineKind.correction})


async def paid_invoice(session: AsyncSession, invoice_id: uuid.UUID) -> PaidInvoice | None:
    """The invoice ``invoice_id`` if it is a paid (or since refunded) invoice, else None."""
    invoice = await session.get(Invoice, invoice_id)
    if invoice is None or invoice.kind != InvoiceKind.invoice or invoice.paid_at is None:
        return None
    order = await session.get(Order, invoice.order_id) if invoice.order_id else None
    rows = await session.execute(
        select(InvoiceLine, Plan.affiliate_excluded)
        .outerjoin(Plan, Plan.id == InvoiceLine.plan_id)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(InvoiceLine.position)
    )
    lines = tuple(
        EarningLine(
            kind=line.kind,
            plan_id=line.plan_id,
            net_minor=line.net_minor,
            affiliate_excluded=bool(excluded) or line.kind in NEVER_EARNING_LINES,
        )
        for line, excluded in rows
    )
    return PaidInvoice(
        id=invoice.id,
        number=invoice.number,
        order_id=invoice.order_id,
        organization_id=invoice.organization_id,
        beneficiary_organization_id=invoice.beneficiary_organization_id,
        currency=invoice.currency,
        ordered_at=order.created_at if order is not None else invoice.created_at,
        placed_by=order.placed_by if order is not None else None,
        placed_from_ip=str(order.placed_from_ip) if order and order.placed_from_ip else None,
        lines=lines,
    )


async def credit_affiliate_payout(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    currency: str,
    amount_minor: int,
    reference: str,
    description: str,
) -> None:
    """Pays an affiliate's commissions into its prepaid account (once per ``reference``)."""
    if await ledger.already_posted(session, reference):
        return
    await ledger.post(
        session,
        organization_id=organization_id,
        currency=currency,
        kind=EntryKind.affiliate_payout,
        amount_minor=amount_minor,
        reference=reference,
        description=description,
    )
