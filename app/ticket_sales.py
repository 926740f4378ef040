"""Ticket orders paid on invoice, across ticketing and billing (siblings that never import each
other): the order gets a real invoice from billing, with the ticket office as the creditor; the
invoice's payment pays the order; cancelling the order cancels its invoice with a credit note.

Each function is one use case in the caller's transaction; ticketing and billing do the work and
record their own activity entries and events.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.activity.types import Actor
from app.billing import service as billing
from app.billing.schemas import TransferImport
from app.billing.service import Creditor, SaleLine, TicketInvoice
from app.core.money import check_currency
from app.ticketing import invoicing, orders
from app.ticketing import jobs as ticketing_jobs
from app.ticketing.errors import OrderWithoutInvoice
from app.ticketing.models import Cancellation, Channel, Event, TicketOffice, TicketOrder
from app.ticketing.schemas import CancellationCreate, Payee, TicketOrderCreate


def creditor_of(payee: Payee | None, currency: str) -> Creditor | None:
    """The office's payee as billing's creditor (None: the platform collects)."""
    if payee is None:
        return None
    account = payee.qr_iban if currency == "CHF" and payee.qr_iban else payee.iban
    return Creditor(
        name=payee.name,
        street=payee.street,
        building=payee.building,
        postal_code=payee.postal_code,
        town=payee.town,
        country=payee.country,
        account=account,
        bic=payee.bic,
        vat_number=payee.vat_number,
    )


def _order_invoice(invoice: TicketInvoice) -> dict[str, object]:
    creditor = invoice.creditor
    return {
        "id": invoice.id,
        "number": invoice.number,
        "payment_reference": invoice.payment_reference,
        "currency": invoice.currency,
        "total_minor": invoice.total_minor,
        "due_at": invoice.due_at,
        "payee_name": creditor.name,
        "payee_address": creditor.address_line,
        "payee_country": creditor.country,
        "account": creditor.account,
        "bic": creditor.bic,
    }


async def invoice_order(session: AsyncSession, office: TicketOffice, order: TicketOrder) -> None:
    """Issues the invoice of an order on invoice and keeps it on the order."""
    items = await invoicing.invoice_items(session, order)
    starts = [item.starts_at for item in items if item.starts_at is not None]
    invoice = await billing.issue_ticket_invoice(
        session,
        organization_id=order.organization_id,
        ticket_office_id=office.id,
        ticket_order_id=order.id,
        creditor=creditor_of(invoicing.payee_of(office), order.currency),
        currency=order.currency,
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        lines=[
            SaleLine(
                description=item.description,
                quantity=item.quantity,
                unit_price_minor=item.unit_price_minor,
                period_start=item.starts_at,
                period_end=item.ends_at,
                insurance=item.insurance,
            )
            for item in items
        ],
        supplied_at=min(starts) if starts else None,
        due_at=order.payment_due_at,
    )
    await invoicing.attach_invoice(session, order, _order_invoice(invoice))


async def place_order(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    *,
    body: TicketOrderCreate,
    channel: Channel,
    by: Actor,
) -> tuple[TicketOrder, str]:
    """Places the order (``ticketing.orders.place_order``); on invoice, with its invoice."""
    order, access_key = await orders.place_order(
        session, office, event, body=body, channel=channel, by=by
    )
    if invoicing.needs_invoice(order):
        await invoice_order(session, office, order)
    return order, access_key


def _invoice_id(order: TicketOrder) -> uuid.UUID | None:
    return uuid.UUID(str(order.invoice["id"])) if order.invoice else None


async def mark_paid(
    session: AsyncSession, order: TicketOrder, *, reference: str | None, by: Actor
) -> TicketOrder:
    """The organizer records the payment: the order is paid, and so is its invoice."""
    await orders.mark_paid(session, order, reference=reference, by=by)
    invoice_id = _invoice_id(order)
    if invoice_id is not None:
        await billing.record_ticket_payment(session, invoice_id, reference=reference)
    return order


async def cancel(
    session: AsyncSession, order: TicketOrder, *, body: CancellationCreate, by: Actor
) -> Cancellation:
    """Cancels the order or some of its tickets; cancelled whole, its invoice is cancelled by a
    credit note. A refund sent with a currency must be in the order's."""
    check_currency(body.currency, order.currency)
    cancellation = await orders.cancel(
        session,
        order,
        ticket_ids=body.ticket_ids,
        refund_method=body.refund_method,
        refund_amount_minor=body.refund_amount_minor,
        reason=body.reason,
        notify_customer=body.notify_customer,
        by=by,
        include_checked_in=body.include_checked_in,
    )
    if cancellation.whole_order:
        await cancel_invoices(session, [order], reason=body.reason, by=by)
    return cancellation


async def cancel_invoices(
    session: AsyncSession, cancelled: Sequence[TicketOrder], *, reason: str, by: Actor
) -> None:
    for order in cancelled:
        invoice_id = _invoice_id(order)
        if invoice_id is not None:
            await billing.cancel_ticket_invoice(session, invoice_id, reason=reason, by=by)


async def _expired(session: AsyncSession, expired: Sequence[TicketOrder]) -> None:
    await cancel_invoices(
        session, expired, reason=ticketing_jobs.AUTO_CANCEL_REASON, by=Actor.system()
    )


async def sweep_invoice_deadlines(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """The ticketing deadline sweep; the orders it cancels have their invoices cancelled too."""
    return await ticketing_jobs.sweep_invoice_deadlines(sessionmaker, on_expired=_expired)


async def import_bank_transfers(
    session: AsyncSession, document: bytes, *, by: Actor
) -> TransferImport:
    """Imports a camt.054 / camt.053 file (billing); the ticket orders whose invoices it paid are
    paid, and their reminders stop."""
    result = await billing.import_transfers(session, document, by=by)
    paid = [transfer.invoice_id for transfer in result.transfers if transfer.invoice_id]
    for order_id in await billing.paid_ticket_orders(session, paid):
        await invoicing.paid_by_transfer(session, order_id, reference="bank_transfer", by=by)
    return result


async def invoice_pdf(session: AsyncSession, order: TicketOrder) -> tuple[bytes, str]:
    """The order's invoice PDF (with its QR-bill while unpaid)."""
    invoice_id = _invoice_id(order)
    if invoice_id is None:
        raise OrderWithoutInvoice("This order has no invoice.")
    return await billing.ticket_invoice_pdf(session, invoice_id)
