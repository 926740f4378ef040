"""Gift cards: a balance in the office's currency, spent in part or whole at checkout.

Rules: a card pays what it can of an order (the rest is paid by the order's payment method); it is
refused once expired or empty. Every change of the balance is one locked row update with an entry
in the card's history, and a CHECK constraint keeps the balance at zero or above whatever the
concurrency. Cancelling an order paid with a card credits it back: all of it for the whole order,
up to the cancelled tickets' price for some of them.
"""

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import check_currency
from app.core.schemas import from_attributes
from app.ticketing import offices
from app.ticketing.errors import (
    GiftCardCurrencyMismatch,
    GiftCardEmpty,
    GiftCardExpired,
    GiftCardNotFound,
)
from app.ticketing.models import (
    GiftCard,
    GiftCardEntry,
    GiftCardEntryKind,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
)
from app.ticketing.sales_schemas import GiftCardCreate, GiftCardDetail, GiftCardEntryRead

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16
"""80 random bits: a card's code is what spends it, so it cannot be guessed."""


def _new_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _normalized(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def _entry(
    card: GiftCard, kind: GiftCardEntryKind, amount: int, order_id: uuid.UUID | None, by: Actor
) -> GiftCardEntry:
    return GiftCardEntry(
        id=uuid.uuid4(),
        gift_card_id=card.id,
        order_id=order_id,
        kind=kind,
        amount_minor=amount,
        balance_after_minor=card.balance_minor,
        by_account_id=by.account_id,
        created_at=clock.now(),
    )


async def issue(
    session: AsyncSession, office: TicketOffice, *, body: GiftCardCreate, by: Actor
) -> GiftCard:
    """A new card in the office's currency, with its balance and, if given, its expiry."""
    check_currency(body.currency, office.currency)
    card = GiftCard(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        code=_new_code(),
        currency=office.currency,
        initial_minor=body.amount_minor,
        balance_minor=body.amount_minor,
        expires_at=body.expires_at,
        note=body.note,
        created_at=clock.now(),
    )
    session.add(card)
    await session.flush()
    session.add(_entry(card, GiftCardEntryKind.issued, body.amount_minor, None, by))
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.gift_card_issued",
        office,
        {"gift_card_id": str(card.id), "amount_minor": body.amount_minor},
    )
    return card


async def get_gift_card(
    session: AsyncSession, office_id: uuid.UUID, gift_card_id: uuid.UUID
) -> GiftCard:
    statement = select(GiftCard).where(
        GiftCard.id == gift_card_id, GiftCard.ticket_office_id == office_id
    )
    return await one_or_raise(session, statement, GiftCardNotFound("No such gift card."))


async def by_code(
    session: AsyncSession, office_id: uuid.UUID, code: str, *, for_update: bool = False
) -> GiftCard:
    """The office's card with this code (its row locked with ``for_update``)."""
    statement = select(GiftCard).where(
        GiftCard.code == _normalized(code), GiftCard.ticket_office_id == office_id
    )
    return await one_or_raise(
        session, statement, GiftCardNotFound("No such gift card."), for_update=for_update
    )


def gift_cards_of(office_id: uuid.UUID) -> Select[GiftCard]:
    return select(GiftCard).where(GiftCard.ticket_office_id == office_id)


async def detail(session: AsyncSession, card: GiftCard) -> GiftCardDetail:
    entries = await session.scalars(
        select(GiftCardEntry)
        .where(GiftCardEntry.gift_card_id == card.id)
        .order_by(GiftCardEntry.created_at, GiftCardEntry.balance_after_minor.desc())
    )
    return GiftCardDetail.model_validate(
        {
            **{f: getattr(card, f) for f in GiftCardDetail.model_fields if f != "entries"},
            "entries": [
                from_attributes(GiftCardEntryRead, entry, currency=card.currency)
                for entry in entries
            ],
        }
    )


async def redeem(
    session: AsyncSession, office: TicketOffice, order: TicketOrder, code: str, *, by: Actor
) -> None:
    """Pays what the card can of the order's total: its row stays locked until the order's
    transaction ends, so concurrent orders spend it one after the other."""
    try:
        card = await by_code(session, office.id, code, for_update=True)
    except GiftCardNotFound as error:
        raise GiftCardEmpty("No such gift card, or nothing left on it.") from error
    if card.expires_at is not None and card.expires_at <= clock.now():
        raise GiftCardExpired("This gift card has expired.")
    if card.currency != order.currency:
        raise GiftCardCurrencyMismatch("This gift card is in another currency.")
    amount = min(card.balance_minor, order.total_minor)
    if amount <= 0:
        if order.total_minor == 0:
            return
        raise GiftCardEmpty("No such gift card, or nothing left on it.")
    card.balance_minor -= amount
    order.gift_card_minor = amount
    session.add(_entry(card, GiftCardEntryKind.redeemed, -amount, order.id, by))
    await session.flush()


async def credit_back(
    session: AsyncSession,
    cancelled: Sequence[tuple[TicketOrder, Sequence[Ticket]]],
    *,
    by: Actor,
) -> None:
    """Credits the cards that paid the cancelled orders (or tickets) with what they paid."""
    paid = {order.id: (order, tickets) for order, tickets in cancelled if order.gift_card_minor}
    if not paid:
        return
    history: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
    for order_id, card_id, credited in await session.execute(
        select(
            GiftCardEntry.order_id,
            GiftCardEntry.gift_card_id,
            func.coalesce(
                func.sum(GiftCardEntry.amount_minor).filter(
                    GiftCardEntry.kind == GiftCardEntryKind.credited
                ),
                0,
            ),
        )
        .where(GiftCardEntry.order_id.in_(paid))
        .group_by(GiftCardEntry.order_id, GiftCardEntry.gift_card_id)
    ):
        assert order_id is not None
        history[order_id] = (card_id, int(credited))
    for order_id in sorted(history, key=lambda found: history[found][0]):  # a fixed lock order
        order, tickets = paid[order_id]
        card_id, credited = history[order_id]
        remaining = order.gift_card_minor - credited
        if order.status == TicketOrderStatus.cancelled:
            amount = remaining
        else:
            amount = min(remaining, sum(ticket.price_minor for ticket in tickets))
        if amount <= 0:
            continue
        card = await session.scalar(
            select(GiftCard).where(GiftCard.id == card_id).with_for_update()
        )
        assert card is not None
        card.balance_minor += amount
        session.add(_entry(card, GiftCardEntryKind.credited, amount, order.id, by))
    await session.flush()
