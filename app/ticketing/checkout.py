"""The sales tools' part in an order's life, called by ``orders`` at a few delimited points.

Lock order, the same everywhere so that concurrent orders never deadlock: the order's row, a
promotion code's (or automatic promotion's) row, a gift card's row, the performances' rows
(``orders.reserve``/``release``). Seats are taken with ``SKIP LOCKED`` and so never wait.
"""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.ticketing import promotions
from app.ticketing.models import Ticket, TicketOffice, TicketOrder
from app.ticketing.schemas import TicketOrderCreate


async def price(
    session: AsyncSession,
    office: TicketOffice,
    order: TicketOrder,
    tickets: Sequence[Ticket],
    body: TicketOrderCreate,
) -> None:
    """Before the totals: the promotion's discount on the tickets (one use taken)."""
    await promotions.apply(session, office, order, tickets, body.promotion_code)


def amount_due(order: TicketOrder) -> int:
    """What the payment method pays: the total less what a gift card paid."""
    return order.total_minor - order.gift_card_minor
