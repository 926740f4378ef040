"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}/gift-cards: cards issued
by the office's managers, with their history; /v1/shop/…/gift-cards/{code}: a card's balance."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import CurrencyMismatch, TooManyRequests
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.ticketing import gift_cards, offices
from app.ticketing.deps import READ, WRITE, OfficeManager
from app.ticketing.errors import GiftCardNotFound, TicketOfficeNotFound
from app.ticketing.router import OFFICE
from app.ticketing.sales_schemas import (
    GiftCardBalance,
    GiftCardCreate,
    GiftCardDetail,
    GiftCardRead,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/gift-cards",
    tags=["gift_cards"],
    route_class=AppRoute,
)
shop_router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


@router.post("", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, CurrencyMismatch, 422)
async def issue_gift_card(
    body: GiftCardCreate, office: OfficeManager, session: Session
) -> GiftCardDetail:
    """Issues a gift card worth the amount given, in the office's currency (another one: 422
    `currency_mismatch`), with a random 16-character code: what the customer spends it with at
    checkout. Needs the `manage` right; nothing is charged: the organizer sells or gives it by
    its own means."""
    card = await gift_cards.issue(session, office.office, body=body, by=office.actor)
    return await gift_cards.detail(session, card)


@router.get("", response_model=Page[GiftCardRead])
@declares(READ, *OFFICE, 422)
async def list_gift_cards(
    office: OfficeManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The office's gift cards, newest first, with their balances. Needs the `manage` right."""
    rows, cursor = await paginate(session, gift_cards.gift_cards_of(office.office.id), page)
    return page_of([GiftCardRead.model_validate(card) for card in rows], cursor)


@router.get("/{gift_card_id}")
@declares(READ, *OFFICE, GiftCardNotFound)
async def read_gift_card(
    gift_card_id: uuid.UUID, office: OfficeManager, session: Session
) -> GiftCardDetail:
    """A gift card with its history, oldest first: issued, redeemed by orders, credited back by
    cancellations. Needs the `manage` right."""
    card = await gift_cards.get_gift_card(session, office.office.id, gift_card_id)
    return await gift_cards.detail(session, card)


@shop_router.get(
    "/ticket-offices/{ticket_office_id}/gift-cards/{code}",
    dependencies=[Depends(per_ip("gift_card_balance", limit=20, per_seconds=60))],
)
@declares(PUBLIC, TicketOfficeNotFound, GiftCardNotFound, TooManyRequests)
async def gift_card_balance(
    ticket_office_id: uuid.UUID, code: str, session: Session
) -> GiftCardBalance:
    """What is left on a card of this office, and until when, for the customer about to spend
    it. Public: the code is the credential (dashes and spaces ignored); limited to 20 look-ups
    a minute per IP."""
    office = await offices.get_office(session, ticket_office_id)
    return GiftCardBalance.model_validate(await gift_cards.by_code(session, office.id, code))
