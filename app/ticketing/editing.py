"""Editing and deleting an event's performances and price categories, within what its sold
tickets allow: a capacity never goes below the valid tickets held, a performance or category
that has tickets is never deleted, and a performance moved to another date mails its holders
(each in the language of their order)."""

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core.db import one_or_raise
from app.core.money import check_currency
from app.notifications.service import queue_mail
from app.ticketing import offices, orders
from app.ticketing.errors import (
    CapacityBelowSold,
    CapacitySetBySeatPlan,
    PerformanceDatesInvalid,
    PerformanceHasTickets,
    PerformanceNotFound,
    PriceCategoryHasTickets,
    PriceCategoryNotFound,
)
from app.ticketing.models import (
    Event,
    Performance,
    PriceCategory,
    Scan,
    Seat,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)


async def get_performance(
    session: AsyncSession, event: Event, performance_id: uuid.UUID, *, for_update: bool = False
) -> Performance:
    statement = select(Performance).where(
        Performance.id == performance_id, Performance.event_id == event.id
    )
    return await one_or_raise(
        session, statement, PerformanceNotFound("No such performance."), for_update=for_update
    )


async def get_price_category(
    session: AsyncSession, event: Event, category_id: uuid.UUID, *, for_update: bool = False
) -> PriceCategory:
    statement = select(PriceCategory).where(
        PriceCategory.id == category_id, PriceCategory.event_id == event.id
    )
    return await one_or_raise(
        session, statement, PriceCategoryNotFound("No such price category."), for_update=for_update
    )


def _local(moment: datetime, time_zone: str) -> str:
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%d.%m.%Y %H:%M")


async def update_performance(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    performance: Performance,
    *,
    changes: dict[str, Any],
    by: Actor,
) -> Performance:
    """Changes a performance (locked by the caller). A capacity below the valid tickets held
    is refused, as is a capacity on a performance whose seat plan sets it; dates moved while
    tickets are held mail every holding order's customer the new date."""
    starts_at = changes.get("starts_at", performance.starts_at)
    ends_at = changes.get("ends_at", performance.ends_at)
    if ends_at <= starts_at:
        raise PerformanceDatesInvalid("A performance must end after it starts.")
    if "capacity" in changes and changes["capacity"] != performance.capacity:
        planned = await session.scalar(
            select(Seat.id).where(Seat.performance_id == performance.id).limit(1)
        )
        if planned is not None:
            raise CapacitySetBySeatPlan(
                "This performance's capacity is its seat plan's number of seats."
            )
        if changes["capacity"] < performance.sold:
            raise CapacityBelowSold(
                f"{performance.sold} valid tickets are held for this performance: the capacity "
                "cannot be lower.",
                sold=performance.sold,
            )
    previous_start = performance.starts_at
    for field, value in changes.items():
        setattr(performance, field, value)
    await session.flush()
    moved = performance.starts_at != previous_start
    notified = 0
    if moved:
        notified = await _mail_holders(session, office, event, performance, previous_start)
    await offices.record(
        session,
        by,
        "ticketing.performance_updated",
        office,
        {
            "event_id": str(event.id),
            "performance_id": str(performance.id),
            "fields": sorted(changes),
            **({"previous_starts_at": previous_start.isoformat()} if moved else {}),
            "holders_notified": notified,
        },
    )
    return performance


async def _mail_holders(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    performance: Performance,
    previous_start: datetime,
) -> int:
    """Mails every order holding a valid ticket of the performance its new date; returns how
    many were mailed."""
    holders = await session.scalars(
        select(TicketOrder)
        .where(
            TicketOrder.status != TicketOrderStatus.cancelled,
            select(Ticket.id)
            .where(
                Ticket.order_id == TicketOrder.id,
                Ticket.performance_id == performance.id,
                Ticket.status == TicketStatus.valid,
            )
            .exists(),
        )
        .order_by(TicketOrder.created_at, TicketOrder.id)
    )
    count = 0
    for order in holders:
        await queue_mail(
            session,
            to=order.customer_email,
            template="performance_rescheduled",
            language=order.customer_language,
            context={
                "recipient_name": order.customer_name,
                "order_number": order.number,
                "event_name": event.name,
                "old_date": _local(previous_start, office.time_zone),
                "new_date": _local(performance.starts_at, office.time_zone),
                "venue": performance.venue,
                "order_url": orders.link_of(order),
            },
        )
        count += 1
    return count


async def delete_performance(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    performance: Performance,
    *,
    by: Actor,
) -> None:
    """Deletes a performance no ticket was ever sold for (cancelled ones count: they stay in
    their orders) and no ticket was ever scanned at."""
    tickets = await session.scalar(
        select(func.count()).where(Ticket.performance_id == performance.id)
    )
    scans = await session.scalar(
        select(Scan.id).where(Scan.performance_id == performance.id).limit(1)
    )
    if tickets or scans is not None:
        raise PerformanceHasTickets(
            "Tickets were sold for this performance: it cannot be deleted (cancel its orders "
            "and keep it, or move it to another date).",
            tickets=tickets or 0,
        )
    await session.execute(delete(Performance).where(Performance.id == performance.id))
    await offices.record(
        session,
        by,
        "ticketing.performance_deleted",
        office,
        {
            "event_id": str(event.id),
            "performance_id": str(performance.id),
            "starts_at": performance.starts_at.isoformat(),
        },
    )


async def update_price_category(
    session: AsyncSession,
    office: TicketOffice,
    event: Event,
    category: PriceCategory,
    *,
    changes: dict[str, Any],
    by: Actor,
) -> PriceCategory:
    """Renames or reprices a category; tickets already sold keep their price."""
    changes = dict(changes)
    check_currency(changes.pop("currency", None), office.currency)
    previous_price = category.price_minor
    for field, value in changes.items():
        setattr(category, field, value)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.price_category_updated",
        office,
        {
            "event_id": str(event.id),
            "price_category_id": str(category.id),
            "fields": sorted(changes),
            "previous_price_minor": previous_price,
            "price_minor": category.price_minor,
        },
    )
    return category


async def delete_price_category(
    session: AsyncSession, office: TicketOffice, event: Event, category: PriceCategory, *, by: Actor
) -> None:
    """Deletes a category no ticket was ever sold in (cancelled ones count)."""
    tickets = await session.scalar(
        select(func.count()).where(Ticket.price_category_id == category.id)
    )
    if tickets:
        raise PriceCategoryHasTickets(
            "Tickets were sold in this price category: it cannot be deleted.", tickets=tickets
        )
    await session.execute(delete(PriceCategory).where(PriceCategory.id == category.id))
    await offices.record(
        session,
        by,
        "ticketing.price_category_deleted",
        office,
        {"event_id": str(event.id), "price_category_id": str(category.id), "name": category.name},
    )
