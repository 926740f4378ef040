"""The payment-on-invoice sweep: reminders and automatic cancellations, run by the worker.

Due orders are claimed in batches with ``FOR UPDATE SKIP LOCKED`` (through the partial index of
the due orders: the cost follows the due orders, not all of them); an order's new state, its
customer mail (outbox), its domain event and activity entry are written in one transaction. So two
workers never take the same order, a worker killed half-way leaves nothing half-done, and a late
run sends only what is still due. A batch is written in one statement per table (the mails are
rendered later, by the worker that sends them).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.activity.types import Actor
from app.core import clock
from app.ticketing import deadlines, orders, pre_event_mails
from app.ticketing.models import Event, TicketOrder, TicketOrderStatus

BATCH_SIZE = 1000
LANES = 2
AUTO_CANCEL_REASON = "Not paid by the deadline of its invoice."

Expired = Callable[[AsyncSession, Sequence[TicketOrder]], Awaitable[None]]
"""What else happens, in the same transaction, to orders the sweep cancelled (their invoices are
cancelled by ``app.lifecycle``, which passes this)."""


async def _nothing(session: AsyncSession, expired: Sequence[TicketOrder]) -> None:
    return None


async def sweep_invoice_deadlines(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    batch_size: int = BATCH_SIZE,
    on_expired: Expired = _nothing,
    lanes: int = LANES,
) -> int:
    """Handles every order whose reminder or cancellation is due; returns how many.

    ``lanes`` batches are handled at once, each in its own transaction (on its own connection),
    so that the database writes one batch while this process prepares the next; a sessionmaker
    bound to one connection (the tests') takes one lane."""
    if not isinstance(sessionmaker.kw.get("bind"), AsyncEngine):
        lanes = 1
    return sum(
        await asyncio.gather(
            *(_sweep_lane(sessionmaker, batch_size, on_expired) for _ in range(max(lanes, 1)))
        )
    )


async def _sweep_lane(
    sessionmaker: async_sessionmaker[AsyncSession], batch_size: int, on_expired: Expired
) -> int:
    handled = 0
    while True:
        async with sessionmaker.begin() as session:
            batch = await _claim_due(session, batch_size)
            if batch:
                await _handle(session, batch, on_expired)
        handled += len(batch)
        if len(batch) < batch_size:
            return handled


async def _claim_due(session: AsyncSession, limit: int) -> list[TicketOrder]:
    now = clock.now()
    return list(
        await session.scalars(
            select(TicketOrder)
            .where(
                TicketOrder.status == TicketOrderStatus.pending_payment,
                TicketOrder.next_deadline_at <= now,
            )
            .order_by(TicketOrder.next_deadline_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


async def _handle(session: AsyncSession, batch: list[TicketOrder], on_expired: Expired) -> None:
    now = clock.now()
    event_ids = {order.event_id for order in batch}
    names = await session.execute(select(Event.id, Event.name).where(Event.id.in_(event_ids)))
    event_names = {row.id: row.name for row in names}
    tickets = await orders.tickets_of(session, [order.id for order in batch])
    expiring: list[TicketOrder] = []
    reminders: list[tuple[TicketOrder, int | None]] = []
    for order in batch:
        if order.auto_cancel_at is not None and order.auto_cancel_at <= now:
            expiring.append(order)
            continue
        assert order.reminder_interval_days is not None
        assert order.reminders_planned is not None
        number = deadlines.reminder_due(
            order.created_at,
            now,
            interval_days=order.reminder_interval_days,
            reminders=order.reminders_planned,
            sent=order.reminders_sent,
        )
        reminders.append((order, number))  # None: nothing due after all, only the date moves
    await orders.remind_unpaid(session, reminders, event_names=event_names, tickets=tickets)
    await orders.expire_unpaid(
        session,
        expiring,
        reason=AUTO_CANCEL_REASON,
        event_names=event_names,
        by=Actor.system(),
        tickets=tickets,
    )
    await on_expired(session, expiring)


async def send_pre_event_mails(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Sends every scheduled mail now due, each in its own transaction; returns how many."""
    sent = 0
    while True:
        async with sessionmaker.begin() as session:
            mail = await pre_event_mails.claim_due(session)
            if mail is None:
                return sent
            await pre_event_mails.send(session, mail)
        sent += 1
