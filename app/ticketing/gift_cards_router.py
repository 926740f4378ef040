"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}/gift-cards: cards issued
by the office's managers, with their history; /v1/shop/…/gift-cards/{code}: a card's balance."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import TooManyRequests
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
@declares(WRITE, *OFFICE, 422)
async def issue_gift_card(
    body: GiftCardCreate, office: OfficeManager, session: Session
) -> GiftCardDetail:
    """A new gift card in the office's currency; its code is what the customer spends it with."""
    card = await gift_cards.issue(session, office.office, body=body, by=office.actor)
    return await gift_cards.detail(session, card)


@router.get("", response_model=Page[GiftCardRead])
@declares(READ, *OFFICE, 422)
async def list_gift_cards(
    office: OfficeManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(session, gift_cards.gift_cards_of(office.office.id), page)
    return page_of([GiftCardRead.model_validate(card) for card in rows], cursor)


@router.get("/{gift_card_id}")
@declares(READ, *OFFICE, GiftCardNotFound)
async def read_gift_card(
    gift_card_id: uuid.UUID, office: OfficeManager, session: Session
) -> GiftCardDetail:
    """The card with its history: issued, redeemed by orders, credited back by cancellations."""
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
    """What is left on a card, for the customer about to spend it."""
    office = await offices.get_office(session, ticket_office_id)
    return GiftCardBalance.model_validate(await gift_cards.by_code(session, office.id, code))
