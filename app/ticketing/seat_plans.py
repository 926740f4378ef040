"""Seat plans: the numbered seats of a performance, each tied to a price category.

Rules: a plan is set while nothing is sold for the performance, and its seats become the
performance's capacity. A ticket of a planned performance holds one seat of its category: the one
the buyer picked, or the best one free (front rows first, then the seats nearest the middle). A
seat row is taken by an UPDATE of its holder under ``FOR UPDATE SKIP LOCKED``: a seat is sold once
however many buyers race for it, and no buyer ever waits for another's seat. A cancelled ticket's
seat returns to sale.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    delete,
    exists,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.ticketing import offices
from app.ticketing.errors import (
    PerformanceNotFound,
    SeatPlanInvalid,
    SeatPlanLocked,
    SeatUnavailable,
    SoldOut,
)
from app.ticketing.models import (
    Event,
    Performance,
    PriceCategory,
    Seat,
    Ticket,
    TicketOffice,
)
from app.ticketing.sales_schemas import SeatPlanCreate, SeatPlanRead, SeatRead
from app.ticketing.schemas import TicketOrderCreate

ROW_RANK = 100_000


def label(seat: Seat) -> str:
    return f"{seat.section} - Row {seat.row} - Seat {seat.number}"


async def get_performance(
    session: AsyncSession, event: Event, performance_id: uuid.UUID, *, for_update: bool = False
) -> Performance:
    statement = select(Performance).where(
        Performance.id == performance_id, Performance.event_id == event.id
    )
    if for_update:
        statement = statement.with_for_update()
    performance = await session.scalar(statement)
    if performance is None:
        raise PerformanceNotFound("No such performance.")
    return performance


async def set_plan(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    performance: Performance,
    *,
    body: SeatPlanCreate,
    by: Actor,
) -> None:
    """Replaces the performance's seats (``performance`` locked by the caller)."""
    if performance.sold:
        raise SeatPlanLocked("Tickets are sold for this performance: its plan cannot change.")
    categories = set(
        await session.scalars(select(PriceCategory.id).where(PriceCategory.event_id == event.id))
    )
    if any(row.price_category_id not in categories for row in body.rows):
        raise SeatPlanInvalid("A price category is not of this event.")
    seats = []
    places: set[tuple[str, str, str]] = set()
    for index, row in enumerate(body.rows):
        middle = (row.seats - 1) / 2
        for offset in range(row.seats):
            number = str(row.first + offset)
            place = (row.section, row.row, number)
            if place in places:
                raise SeatPlanInvalid("A seat is listed twice.", seat=" ".join(place))
            places.add(place)
            seats.append(
                {
                    "id": uuid.uuid4(),
                    "performance_id": performance.id,
                    "price_category_id": row.price_category_id,
                    "section": row.section,
                    "row": row.row,
                    "number": number,
                    "rank": index * ROW_RANK + int(abs(offset - middle) * 2),
                    "ticket_id": None,
                }
            )
    await session.execute(delete(Seat).where(Seat.performance_id == performance.id))
    await session.execute(insert(Seat), seats)
    performance.capacity = len(seats)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.seat_plan_set",
        office,
        {"performance_id": str(performance.id), "seats": len(seats)},
    )


async def plan_read(session: AsyncSession, performance: Performance) -> SeatPlanRead:
    seats = list(
        await session.scalars(
            select(Seat)
            .where(Seat.performance_id == performance.id)
            .order_by(Seat.rank, Seat.section, Seat.row, Seat.number)
        )
    )
    reads = [
        SeatRead(
            id=seat.id,
            section=seat.section,
            row=seat.row,
            number=seat.number,
            price_category_id=seat.price_category_id,
            available=seat.ticket_id is None,
        )
        for seat in seats
    ]
    return SeatPlanRead(
        performance_id=performance.id,
        capacity=len(reads),
        available=sum(read.available for read in reads),
        seats=reads,
    )


def has_seat_plan(performance_id: ColumnExpressionArgument[uuid.UUID]) -> ColumnElement[bool]:
    """Whether the performance has a seat plan, as a column of a statement on performances."""
    return exists().where(Seat.performance_id == performance_id)


async def _planned(session: AsyncSession, performance_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return set(
        await session.scalars(
            select(Seat.performance_id)
            .where(Seat.performance_id.in_(performance_ids))
            .group_by(Seat.performance_id)
        )
    )


async def _take(
    session: AsyncSession,
    tickets: Sequence[Ticket],
    *,
    performance_id: uuid.UUID,
    price_category_id: uuid.UUID,
    seat_ids: Sequence[uuid.UUID] | None,
) -> None:
    statement = (
        select(Seat)
        .where(
            Seat.performance_id == performance_id,
            Seat.price_category_id == price_category_id,
            Seat.ticket_id.is_(None),
        )
        .with_for_update(skip_locked=True)
    )
    if seat_ids is not None:
        if len(set(seat_ids)) != len(tickets):
            raise SeatPlanInvalid("Pick one seat per ticket.")
        statement = statement.where(Seat.id.in_(seat_ids))
    else:
        statement = statement.order_by(Seat.rank, Seat.number).limit(len(tickets))
    seats = list(await session.scalars(statement))
    if len(seats) < len(tickets):
        if seat_ids is not None:
            raise SeatUnavailable("A seat picked is taken, or not of this category.")
        raise SoldOut("Not enough free seats in this category.", performance_id=str(performance_id))
    await session.execute(
        update(Seat),
        [
            {"id": seat.id, "ticket_id": ticket.id}
            for seat, ticket in zip(seats, tickets, strict=True)
        ],
    )
    for seat, ticket in zip(seats, tickets, strict=True):
        ticket.seat_label = label(seat)


async def assign(
    session: AsyncSession,
    tickets: Sequence[Ticket],
    body: TicketOrderCreate,
    *,
    planned: set[uuid.UUID] | None = None,
) -> None:
    """Seats for the tickets of planned performances (``tickets`` in the order of the request's
    lines, ``quantity`` of each, as ``orders.place_order`` makes them; ``planned``: the ones with
    a seat plan, when the caller knows them already)."""
    if planned is None:
        planned = await _planned(session, {item.performance_id for item in body.tickets})
    position = 0
    for item in body.tickets:
        chunk = tickets[position : position + item.quantity]
        position += item.quantity
        if item.performance_id not in planned:
            if item.seat_ids:
                raise SeatPlanInvalid("This performance has no seat plan.")
            continue
        await _take(
            session,
            chunk,
            performance_id=item.performance_id,
            price_category_id=item.price_category_id,
            seat_ids=item.seat_ids,
        )
    if planned:
        await session.flush()


async def release(session: AsyncSession, tickets: Sequence[Ticket]) -> None:
    """The tickets' seats return to sale."""
    held = [ticket.id for ticket in tickets if ticket.seat_label is not None]
    if held:
        await session.execute(
            update(Seat)
            .where(Seat.ticket_id.in_(held))
            .values(ticket_id=None)
            .execution_options(synchronize_session=False)
        )


async def move(session: AsyncSession, old: Ticket, new: Ticket) -> None:
    """An exchanged ticket's seat returns to sale; its replacement gets the best one free."""
    await release(session, [old])
    if await _planned(session, {new.performance_id}):
        await _take(
            session,
            [new],
            performance_id=new.performance_id,
            price_category_id=new.price_category_id,
            seat_ids=None,
        )
        await session.flush()
