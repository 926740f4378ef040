"""Ticket control at the entrance, for single tickets and access passes alike.

One path for both ways of scanning — a member with the `check` right (``scan``: each ticket gets
in once, for its own performance) and a check-in list's device (``checkin_lists.scan``: entries
and exits) —: the number is looked up as a ticket, else as a pass (``find_holder``), judged by
one rule (``refusal``), first admissions are recorded by one conditional statement each
(``admit``), and every scan is kept in the scans log and emitted as ``ticket.scanned``
(``record_scan``).

A pass is admitted once per performance it covers: its first admission to a performance is a
row keyed by (pass, performance), inserted only if absent, so two scans at once admit it once.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from app.activity.types import Actor
from app.core import clock
from app.events import service as events
from app.ticketing.errors import PerformanceNotFound
from app.ticketing.models import (
    CheckinList,
    Event,
    PassAdmission,
    Performance,
    Scan,
    ScanResult,
    SoldPass,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.schemas import ScanRead


@dataclass(frozen=True)
class Holder:
    """What a scanned number is: a ticket with its order, a sold pass, or nothing known."""

    number: str
    ticket: Ticket | None = None
    order: TicketOrder | None = None
    sold_pass: SoldPass | None = None

    @property
    def ticket_id(self) -> uuid.UUID | None:
        return self.ticket.id if self.ticket is not None else None

    @property
    def pass_id(self) -> uuid.UUID | None:
        return self.sold_pass.id if self.sold_pass is not None else None


def normalize(number: str) -> str:
    return number.strip().upper()


async def performance_of(
    session: AsyncSession,
    office: TicketOffice,
    performance_id: uuid.UUID,
    *,
    event_id: uuid.UUID | None = None,
) -> Performance:
    """The office's performance (of ``event_id`` when given), else PerformanceNotFound."""
    statement = (
        select(Performance)
        .join(Event, Event.id == Performance.event_id)
        .where(Performance.id == performance_id, Event.ticket_office_id == office.id)
    )
    if event_id is not None:
        statement = statement.where(Performance.event_id == event_id)
    performance = await session.scalar(statement)
    if performance is None:
        raise PerformanceNotFound("No such performance.")
    return performance


async def find_holder(
    session: AsyncSession, office: TicketOffice, number: str, *, lock: bool = False
) -> Holder:
    """The office's ticket or sold pass with this number (``lock``: its row locked)."""
    normalized = normalize(number)
    statement = (
        select(Ticket, TicketOrder)
        .join(TicketOrder, TicketOrder.id == Ticket.order_id)
        .where(Ticket.number == normalized, TicketOrder.ticket_office_id == office.id)
    )
    if lock:
        statement = statement.with_for_update(of=Ticket)
    row = (await session.execute(statement)).one_or_none()
    if row is not None:
        return Holder(normalized, ticket=row[0], order=row[1])
    pass_statement = select(SoldPass).where(
        SoldPass.number == normalized, SoldPass.ticket_office_id == office.id
    )
    if lock:
        pass_statement = pass_statement.with_for_update()
    return Holder(normalized, sold_pass=await session.scalar(pass_statement))


async def _ticket_at(
    session: AsyncSession, office: TicketOffice, performance_id: uuid.UUID, number: str
) -> tuple[Holder, Performance] | None:
    """``find_holder`` of a ticket (locked) and ``performance_of`` in one statement, for the
    common scan; None when either is not found."""
    normalized = normalize(number)
    performance = and_(
        Performance.id == performance_id,
        Performance.event_id.in_(select(Event.id).where(Event.ticket_office_id == office.id)),
    )
    row = (
        await session.execute(
            select(Ticket, TicketOrder, Performance)
            .join(TicketOrder, TicketOrder.id == Ticket.order_id)
            .outerjoin(Performance, performance)
            .where(Ticket.number == normalized, TicketOrder.ticket_office_id == office.id)
            .with_for_update(of=Ticket)
        )
    ).one_or_none()
    if row is None or row[2] is None:
        return None
    return Holder(normalized, ticket=row[0], order=row[1]), row[2]


def refusal(
    office: TicketOffice,
    performance: Performance,
    holder: Holder,
    *,
    checkin_list: CheckinList | None = None,
) -> ScanResult | None:
    """Why the holder is refused at this performance (on this check-in list), or None."""
    if holder.sold_pass is not None:
        sold = holder.sold_pass
        if sold.status == TicketStatus.cancelled:
            return ScanResult.cancelled
        if performance.id not in sold.performance_ids:
            return ScanResult.wrong_performance
        if checkin_list is not None and checkin_list.price_category_ids:
            return ScanResult.not_on_list  # a list of chosen categories admits their tickets
        return None
    ticket, order = holder.ticket, holder.order
    if ticket is None or order is None:
        return ScanResult.unknown
    if checkin_list is not None and order.event_id != checkin_list.event_id:
        return ScanResult.unknown
    if ticket.status == TicketStatus.cancelled:
        return ScanResult.cancelled
    if ticket.performance_id != performance.id:
        return ScanResult.wrong_performance
    if (
        checkin_list is not None
        and checkin_list.price_category_ids
        and ticket.price_category_id not in checkin_list.price_category_ids
    ):
        return ScanResult.not_on_list
    if (
        order.status == TicketOrderStatus.pending_payment
        and not office.unpaid_invoice_tickets_valid
    ):
        return ScanResult.unpaid
    return None


async def admit(
    session: AsyncSession, performance: Performance, holder: Holder
) -> tuple[bool, datetime | None]:
    """Records the holder's first admission to the performance: (True, now) if this is it,
    (False, when it was first admitted) otherwise. One conditional statement each."""
    now = clock.now()
    if holder.ticket is not None:
        admitted = await session.scalar(
            update(Ticket)
            .where(Ticket.id == holder.ticket.id, Ticket.checked_in_at.is_(None))
            .values(checked_in_at=now)
            .returning(Ticket.id)
            .execution_options(synchronize_session=False)
        )
        if admitted is not None:
            # Already written: the loaded ticket learns it without a second UPDATE at the flush.
            set_committed_value(holder.ticket, "checked_in_at", now)
            return True, now
        first = await session.scalar(
            select(Ticket.checked_in_at).where(Ticket.id == holder.ticket.id)
        )
        return False, first
    assert holder.sold_pass is not None
    inserted = await session.scalar(
        insert(PassAdmission)
        .values(sold_pass_id=holder.sold_pass.id, performance_id=performance.id, admitted_at=now)
        .on_conflict_do_nothing()
        .returning(PassAdmission.admitted_at)
    )
    if inserted is not None:
        return True, now
    first = await session.scalar(
        select(PassAdmission.admitted_at).where(
            PassAdmission.sold_pass_id == holder.sold_pass.id,
            PassAdmission.performance_id == performance.id,
        )
    )
    return False, first


async def record_scan(
    session: AsyncSession,
    office: TicketOffice,
    performance: Performance,
    holder: Holder,
    *,
    result: ScanResult,
    by_account_id: uuid.UUID | None,
    details: dict[str, Any],
    payload: dict[str, Any],
) -> None:
    """Keeps the scan in the log and emits ``ticket.scanned`` (``payload``: the answer given)."""
    if holder.sold_pass is not None:
        details = {**details, "sold_pass_id": str(holder.sold_pass.id)}
    session.add(
        Scan(
            id=uuid.uuid4(),
            performance_id=performance.id,
            ticket_id=holder.ticket_id,
            number=holder.number[:64],
            result=result,
            by_account_id=by_account_id,
            created_at=clock.now(),
            details=details,
        )
    )
    await session.flush()
    await events.emit(
        session,
        "ticket.scanned",
        {
            **payload,
            "performance_id": str(performance.id),
            "ticket_office_id": str(office.id),
            **details,
        },
        organization_id=office.organization_id,
    )


async def scan(
    session: AsyncSession,
    office: TicketOffice,
    *,
    performance_id: uuid.UUID,
    number: str,
    by: Actor,
) -> ScanRead:
    """Checks a ticket or pass in: its first scan for the performance is accepted, a later one
    refused as already used (with when it was first accepted), any other with the reason."""
    found = await _ticket_at(session, office, performance_id, number)
    if found is None:  # no such performance (404), or no such ticket (a pass, or unknown)
        performance = await performance_of(session, office, performance_id)
        holder = await find_holder(session, office, number, lock=True)
    else:
        holder, performance = found
    result = refusal(office, performance, holder)
    first_scanned_at = None
    if result is None:
        admitted, first_scanned_at = await admit(session, performance, holder)
        result = ScanResult.valid if admitted else ScanResult.already_used
    read = ScanRead(
        accepted=result == ScanResult.valid,
        result=result,
        ticket_number=holder.number,
        first_scanned_at=first_scanned_at,
        ticket_id=holder.ticket_id,
        pass_id=holder.pass_id,
    )
    await record_scan(
        session,
        office,
        performance,
        holder,
        result=result,
        by_account_id=by.account_id,
        details={},
        payload=read.model_dump(mode="json"),
    )
    return read
