"""Gift cards sold in the online shop: the office's offer (its managers set it, the shop shows
it) and the purchases, paid by card and mailed with the card's code."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import CurrencyMismatch, TooManyRequests
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.ticketing import gift_card_sales, offices
from app.ticketing.deps import READ, WRITE, OfficeManager, ShopCustomer
from app.ticketing.errors import (
    GiftCardAmountInvalid,
    GiftCardsNotOnSale,
    PaymentDeclined,
    TicketOfficeNotFound,
)
from app.ticketing.gift_card_sale_schemas import (
    GiftCardOfferRead,
    GiftCardOfferSet,
    GiftCardPurchaseCreate,
    GiftCardPurchaseRead,
    GiftCardSold,
)
from app.ticketing.router import OFFICE

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}",
    tags=["gift_cards"],
    route_class=AppRoute,
)
shop_router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


@router.put("/gift-card-offer")
@declares(WRITE, *OFFICE, CurrencyMismatch, 422)
async def set_offer(
    body: GiftCardOfferSet, office: OfficeManager, session: Session
) -> GiftCardOfferRead:
    """Sets how the online shop sells the office's gift cards: on sale or not, the values
    offered and/or the bounds of a free amount, in the office's currency (another one: 422
    `currency_mismatch`), and how many days a card sold stays valid. Needs the `manage` right."""
    offer = await gift_card_sales.set_offer(session, office.office, body=body, by=office.actor)
    return gift_card_sales.offer_read(office.office, offer)


@router.get("/gift-card-offer")
@declares(READ, *OFFICE)
async def read_offer(office: OfficeManager, session: Session) -> GiftCardOfferRead:
    """How the online shop sells the office's gift cards (not on sale until set). Needs the
    `manage` right."""
    return gift_card_sales.offer_read(
        office.office, await gift_card_sales.get_offer(session, office.office)
    )


@router.get("/gift-card-purchases", response_model=Page[GiftCardPurchaseRead])
@declares(READ, *OFFICE, 422)
async def list_purchases(
    office: OfficeManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The gift cards bought in the shop, newest first: amount, buyer, recipient, the card
    issued and the payment's reference. Needs the `manage` right."""
    rows, cursor = await paginate(session, gift_card_sales.purchases_of(office.office.id), page)
    return page_of([GiftCardPurchaseRead.model_validate(row) for row in rows], cursor)


@shop_router.get("/ticket-offices/{ticket_office_id}/gift-card-offer")
@declares(PUBLIC, TicketOfficeNotFound)
async def shop_offer(ticket_office_id: uuid.UUID, session: Session) -> GiftCardOfferRead:
    """The gift cards the office's shop sells: values to choose from, bounds of a free amount,
    validity. Public."""
    office = await offices.get_office(session, ticket_office_id)
    return gift_card_sales.offer_read(office, await gift_card_sales.get_offer(session, office))


@shop_router.post(
    "/ticket-offices/{ticket_office_id}/gift-cards",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(per_ip("shop_gift_card", limit=10, per_seconds=60))],
)
@declares(
    PUBLIC,
    TicketOfficeNotFound,
    GiftCardsNotOnSale,
    GiftCardAmountInvalid,
    CurrencyMismatch,
    PaymentDeclined,
    TooManyRequests,
    422,
)
async def buy_gift_card(
    ticket_office_id: uuid.UUID, body: GiftCardPurchaseCreate, by: ShopCustomer, session: Session
) -> GiftCardSold:
    """Buys a gift card of the office, no account needed: an amount among the values offered or
    a free one within the offer's bounds (else 422 `gift_card_amount_invalid`), in the office's
    currency, paid by card at once (declined: 402 `payment_declined`, nothing sold). Once paid
    the card is issued with its unique code and the offer's expiry, and mailed to the recipient
    given, else to the buyer; the answer carries the code too. An office that does not sell
    gift cards answers 404 `gift_cards_not_on_sale`. Limited to 10 purchases a minute per IP."""
    office = await offices.get_office(session, ticket_office_id)
    return await gift_card_sales.buy(session, office, body=body, by=by)
