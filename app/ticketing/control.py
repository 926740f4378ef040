"""Ticket control at the entrance: each ticket gets in once, for its own performance."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.events import service as events
from app.ticketing.errors import PerformanceNotFound
from app.ticketing.models import (
    Event,
    Performance,
    Scan,
    ScanResult,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.schemas import ScanRead


async def scan(
    session: AsyncSession,
    office: TicketOffice,
    *,
    performance_id: uuid.UUID,
    number: str,
    by: Actor,
) -> ScanRead:
    """Checks a ticket in: valid → marked used; otherwise refused with the reason. Every scan
    is kept (the scans table is its log) and emitted as ``ticket.scanned``."""
    performance = await session.scalar(
        select(Performance)
        .join(Event, Event.id == Performance.event_id)
        .where(Performance.id == performance_id, Event.ticket_office_id == office.id)
    )
    if performance is None:
        raise PerformanceNotFound("No such performance.")
    normalized = number.strip().upper()
    row = (
        await session.execute(
            select(Ticket, TicketOrder)
            .join(TicketOrder, TicketOrder.id == Ticket.order_id)
            .where(Ticket.number == normalized, TicketOrder.ticket_office_id == office.id)
            .with_for_update(of=Ticket)
        )
    ).one_or_none()
    ticket, order = row if row is not None else (None, None)
    result = _verdict(office, performance, ticket, order)
    now = clock.now()
    first_scanned_at = ticket.checked_in_at if ticket is not None else None
    if result == ScanResult.valid and ticket is not None:
        ticket.checked_in_at = now
        first_scanned_at = now
    session.add(
        Scan(
            performance_id=performance.id,
            ticket_id=ticket.id if ticket else None,
            number=normalized[:64],
            result=result,
            by_account_id=by.account_id,
            details={},
        )
    )
    read = ScanRead(
        accepted=result == ScanResult.valid,
        result=result,
        ticket_number=normalized,
        first_scanned_at=first_scanned_at
        if result in (ScanResult.valid, ScanResult.already_used)
        else None,
        ticket_id=ticket.id if ticket else None,
    )
    await events.emit(
        session,
        "ticket.scanned",
        {
            **read.model_dump(mode="json"),
            "performance_id": str(performance.id),
            "ticket_office_id": str(office.id),
        },
        organization_id=office.organization_id,
    )
    return read


def _verdict(
    office: TicketOffice, performance: Performance, ticket: Ticket | None, order: TicketOrder | None
) -> ScanResult:
    if ticket is None or order is None:
        return ScanResult.unknown
    if ticket.status == TicketStatus.cancelled:
        return ScanResult.cancelled
    if ticket.performance_id != performance.id:
        return ScanResult.wrong_performance
    if (
        order.status == TicketOrderStatus.pending_payment
        and not office.unpaid_invoice_tickets_valid
    ):
        return ScanResult.unpaid
    if ticket.checked_in_at is not None:
        return ScanResult.already_used
    return ScanResult.valid
