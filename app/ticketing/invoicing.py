"""What an order on invoice tells billing (its lines, its payee, its date of supply) and what it
keeps of the invoice billing issued. Ticketing never imports billing: ``app.lifecycle`` carries
one to the other."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core.db import one_or_raise
from app.ticketing import orders
from app.ticketing.errors import OrderNotFound
from app.ticketing.models import (
    Event,
    PaymentMethod,
    Performance,
    PriceCategory,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
)
from app.ticketing.schemas import OrderInvoice, Payee


@dataclass(frozen=True)
class InvoiceItem:
    description: str
    quantity: int
    unit_price_minor: int
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    insurance: bool = False


def needs_invoice(order: TicketOrder) -> bool:
    return order.payment_method == PaymentMethod.invoice and order.invoice is None


def payee_of(office: TicketOffice) -> Payee | None:
    return Payee.model_validate(office.payee) if office.payee else None


async def invoice_items(session: AsyncSession, order: TicketOrder) -> list[InvoiceItem]:
    """One line per performance and price category (the performance is the service period),
    then the cancellation insurance."""
    rows = await session.execute(
        select(Ticket, Performance, PriceCategory, Event.name)
        .join(Performance, Performance.id == Ticket.performance_id)
        .join(PriceCategory, PriceCategory.id == Ticket.price_category_id)
        .join(Event, Event.id == Performance.event_id)
        .where(Ticket.order_id == order.id)
        .order_by(Performance.starts_at, PriceCategory.name)
    )
    counted: Counter[tuple[uuid.UUID, uuid.UUID, int]] = Counter()
    details: dict[tuple[uuid.UUID, uuid.UUID, int], tuple[Performance, PriceCategory, str]] = {}
    tickets = 0
    for ticket, performance, category, event_name in rows:
        key = (performance.id, category.id, ticket.price_minor)
        counted[key] += 1
        details[key] = (performance, category, event_name)
        tickets += 1
    items = [
        InvoiceItem(
            description=f"{name}, {performance.venue}: {category.name}",
            quantity=quantity,
            unit_price_minor=key[2],
            starts_at=performance.starts_at,
            ends_at=performance.ends_at,
        )
        for key, quantity in counted.items()
        for performance, category, name in [details[key]]
    ]
    if order.insurance_fee_minor and tickets:
        items.append(
            InvoiceItem(
                description="Cancellation insurance",
                quantity=tickets,
                unit_price_minor=order.insurance_fee_minor // tickets,
                insurance=True,
            )
        )
    return items


async def attach_invoice(
    session: AsyncSession, order: TicketOrder, invoice: dict[str, Any]
) -> TicketOrder:
    """Keeps what the customer's order page shows of its invoice (``OrderInvoice`` but the
    link)."""
    order.invoice = OrderInvoice.model_validate({**invoice, "pdf_url": ""}).model_dump(
        mode="json", exclude={"pdf_url"}
    )
    await session.flush()
    return order


async def get_order_by_id(
    session: AsyncSession, order_id: uuid.UUID, *, for_update: bool = False
) -> TicketOrder:
    statement = select(TicketOrder).where(TicketOrder.id == order_id)
    return await one_or_raise(
        session, statement, OrderNotFound("No such order."), for_update=for_update
    )


async def paid_by_transfer(
    session: AsyncSession, order_id: uuid.UUID, *, reference: str, by: Actor
) -> TicketOrder | None:
    """A bank transfer paid the order's invoice: the order is paid (its reminders and automatic
    cancellation are off). An order already paid or cancelled is left as it is."""
    order = await get_order_by_id(session, order_id, for_update=True)
    if order.status != TicketOrderStatus.pending_payment:
        return None
    return await orders.mark_paid(session, order, reference=reference, by=by)
