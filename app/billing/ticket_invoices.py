"""The invoices of ticket orders paid on invoice: billing's numbering and immutability, with the
ticket office as the creditor and the order's customer as the debtor.

Ticket prices are final prices: the lines carry no VAT on top. The office's own invoice policy
sends the reminders (ticketing), so these invoices have no dunning of their own; a customer's
money is never credited to a prepaid account (refunds are the organizer's).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.billing import creditors, invoices, payments
from app.billing.creditors import Creditor
from app.billing.models import PAYABLE, Invoice, InvoiceKind, InvoiceStatus, LineKind, PaymentMethod


@dataclass(frozen=True)
class SaleLine:
    description: str
    quantity: int
    unit_price_minor: int
    period_start: datetime | None = None
    period_end: datetime | None = None
    insurance: bool = False


@dataclass(frozen=True)
class TicketInvoice:
    """What the ticket order shows of its invoice."""

    id: uuid.UUID
    number: str
    payment_reference: str
    currency: str
    total_minor: int
    amount_due_minor: int
    status: str
    due_at: datetime | None
    creditor: Creditor


def summary(invoice: Invoice) -> TicketInvoice:
    assert invoice.number is not None
    assert invoice.payment_reference is not None
    return TicketInvoice(
        id=invoice.id,
        number=invoice.number,
        payment_reference=invoice.payment_reference,
        currency=invoice.currency,
        total_minor=invoice.total_minor,
        amount_due_minor=invoice.amount_due_minor,
        status=invoice.status,
        due_at=invoice.due_at,
        creditor=Creditor.from_snapshot(invoice.creditor or {}),
    )


async def issue(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    ticket_office_id: uuid.UUID,
    ticket_order_id: uuid.UUID,
    creditor: Creditor | None,
    currency: str,
    customer_name: str,
    customer_email: str,
    lines: list[SaleLine],
    supplied_at: datetime | None,
    due_at: datetime | None,
) -> TicketInvoice:
    """Issues the invoice of a ticket order: numbered in the one sequence, referenced for the
    office's account (QR-IBAN: QR reference; IBAN or EUR: RF reference). Without a creditor (an
    office with no payee), the platform collects."""
    invoice = await invoices.create(
        session,
        organization_id=organization_id,
        currency=currency,
        billing_address={
            "name": customer_name,
            "email": customer_email,
            "country": (creditor or creditors.platform(currency)).country.upper(),
        },
        lines=[
            invoices.DraftLine(
                kind=LineKind.ticket_insurance if line.insurance else LineKind.ticket,
                description=line.description,
                unit_price_minor=line.unit_price_minor,
                quantity=line.quantity,
                period_start=line.period_start,
                period_end=line.period_end,
            )
            for line in lines
        ],
        creditor=creditor,
        vat_rate_bp=0,
        vat_country=(creditor or creditors.platform(currency)).country,
        ticket_office_id=ticket_office_id,
        ticket_order_id=ticket_order_id,
        supplied_at=supplied_at,
        due_at=due_at,
    )
    return summary(invoice)


async def _locked(session: AsyncSession, invoice_id: uuid.UUID) -> Invoice:
    return await invoices.get_invoice(session, invoice_id, for_update=True)


async def pdf_of(session: AsyncSession, invoice_id: uuid.UUID) -> tuple[bytes, str]:
    """The invoice (with its slip while unpaid) and its file name."""
    invoice = await invoices.get_invoice(session, invoice_id)
    return await invoices.document_pdf(session, invoice), f"invoice-{invoice.number}.pdf"


async def credit_notes_of(session: AsyncSession, invoice_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            select(Invoice.id).where(
                Invoice.corrects_invoice_id == invoice_id,
                Invoice.kind == InvoiceKind.credit_note,
            )
        )
    )


async def cancel(
    session: AsyncSession, invoice_id: uuid.UUID, *, reason: str, by: Actor
) -> TicketInvoice:
    """The order is cancelled: a credit note cancels its invoice (voided when unpaid, refunded
    when paid). Cancelling again changes nothing."""
    invoice = await _locked(session, invoice_id)
    if invoice.status in (*PAYABLE, InvoiceStatus.paid):
        await invoices.correct(session, invoice, reason=reason, replacement_lines=[], by=by)
    return summary(invoice)


async def record_payment(
    session: AsyncSession, invoice_id: uuid.UUID, *, reference: str | None
) -> TicketInvoice:
    """The organizer marked the order paid: what is still due is recorded as paid by hand, so a
    later transfer for it is not taken as a payment."""
    invoice = await _locked(session, invoice_id)
    if invoice.status in PAYABLE:
        await payments.settle(
            session,
            invoice,
            amount_minor=invoice.amount_due_minor,
            method=PaymentMethod.manual,
            provider_reference=(reference or "")[:100] or None,
        )
    return summary(invoice)


async def paid_orders(session: AsyncSession, invoice_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    """The ticket orders whose invoices among these are paid in full."""
    if not invoice_ids:
        return []
    return [
        order_id
        for order_id in await session.scalars(
            select(Invoice.ticket_order_id).where(
                Invoice.id.in_(invoice_ids),
                Invoice.status == InvoiceStatus.paid,
                Invoice.ticket_order_id.is_not(None),
            )
        )
        if order_id is not None
    ]
