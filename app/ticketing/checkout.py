"""The sales tools' part in an order's life, called by ``orders`` at a few delimited points.

Lock order, the same everywhere so that concurrent orders never deadlock: the order's row, a
promotion code's (or automatic promotion's) row, a gift card's row, a reseller's quota rows, the
performances' rows (``orders.reserve``/``release``). Seats are taken with ``SKIP LOCKED`` and so
never wait.
"""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.ticketing import forms, gift_cards, promotions, resellers, seat_plans
from app.ticketing.models import Channel, Ticket, TicketOffice, TicketOrder, TicketOrderStatus
from app.ticketing.schemas import TicketOrderCreate


async def prepare(
    session: AsyncSession,
    office: TicketOffice,
    order: TicketOrder,
    tickets: Sequence[Ticket],
    body: TicketOrderCreate,
) -> None:
    """Before the totals: the customer form's answers checked and kept, the promotion's discount
    on the tickets (one use taken)."""
    await forms.answer(session, order, tickets, body.answers)
    await promotions.apply(session, office, order, tickets, body.promotion_code)


async def settle(
    session: AsyncSession,
    office: TicketOffice,
    order: TicketOrder,
    tickets: Sequence[Ticket],
    body: TicketOrderCreate,
    *,
    by: Actor,
    planned: set[uuid.UUID],
) -> None:
    """Once the totals are known and the tickets stored: the gift card pays what it can, the
    tickets of ``planned`` performances (those with a seat plan) get their seats, a reseller's
    sale stays within its quota."""
    if body.gift_card_code is not None:
        await gift_cards.redeem(session, office, order, body.gift_card_code, by=by)
    await seat_plans.assign(session, tickets, body, planned=planned)
    if order.channel == Channel.reseller:
        await resellers.take_quota(session, order, tickets)


def amount_due(order: TicketOrder) -> int:
    """What the payment method pays: the total less what a gift card paid."""
    return order.total_minor - order.gift_card_minor


async def cancelled(
    session: AsyncSession,
    cancelled: Sequence[tuple[TicketOrder, Sequence[Ticket]]],
    *,
    by: Actor,
) -> None:
    """Tickets just cancelled (before their performances' seats are released): the promotion
    uses of orders cancelled whole are given back, the gift cards that paid them are credited
    back, their seats return to sale."""
    await promotions.give_back(
        session, [order for order, _ in cancelled if order.status == TicketOrderStatus.cancelled]
    )
    await gift_cards.credit_back(session, cancelled, by=by)
    await seat_plans.release(session, [ticket for _, tickets in cancelled for ticket in tickets])


async def exchanged(session: AsyncSession, old: Ticket, new: Ticket) -> None:
    await seat_plans.move(session, old, new)
