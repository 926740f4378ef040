"""The payment-on-invoice sweep: reminders and automatic cancellations, run by the worker.

Due orders are claimed in batches with ``FOR UPDATE SKIP LOCKED``; an order's new state, its
customer mail (outbox) and its domain event are written in one transaction. So two workers never
take the same order, a worker killed half-way leaves nothing half-done, and a late run sends only
what is still due.
"""

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.activity.types import Actor
from app.core import clock
from app.core.money import format_minor
from app.events import service as events
from app.notifications.service import queue_mail
from app.ticketing import deadlines, orders, pre_event_mails
from app.ticketing.models import Event, TicketOrder, TicketOrderStatus

BATCH_SIZE = 200
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
) -> int:
    """Handles every order whose reminder or cancellation is due; returns how many."""
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
    expiring: list[TicketOrder] = []
    reminded: list[TicketOrder] = []
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
        if number is None:  # nothing due after all: only the next date moves
            orders.apply_invoice_schedule(order)
            continue
        order.reminders_sent = number
        orders.apply_invoice_schedule(order)
        reminded.append(order)
        await queue_mail(
            session,
            to=order.customer_email,
            template="order_payment_reminder",
            language=order.customer_language,
            context={
                "recipient_name": order.customer_name,
                "order_number": order.number,
                "event_name": event_names.get(order.event_id, ""),
                "order_url": orders.link_of(order),
                "invoice_url": orders.invoice_link_of(order) if order.invoice else "",
                "total": format_minor(order.total_minor, order.currency),
                "reminder_number": number,
                "cancel_on": order.auto_cancel_at.strftime("%Y-%m-%d")
                if order.auto_cancel_at
                else "",
            },
        )
    await orders.expire_unpaid(
        session, expiring, reason=AUTO_CANCEL_REASON, event_names=event_names, by=Actor.system()
    )
    await on_expired(session, expiring)
    for order, read in zip(reminded, await orders.order_reads(session, reminded), strict=True):
        await events.emit(session, "order.reminded", read, organization_id=order.organization_id)


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
