"""Online shops: set up by the office's managers (/v1/organizations/…/ticket-offices/…/shops),
visited and ordered from by customers (/v1/shop/shops/{shop_id})."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.ticketing import orders, shops
from app.ticketing.deps import READ, WRITE, OfficeManager, ShopCustomer
from app.ticketing.errors import (
    PLACING_ERRORS,
    EventNotFound,
    OnlineShopInvalid,
    OnlineShopNotFound,
)
from app.ticketing.router import OFFICE
from app.ticketing.sales_schemas import (
    OnlineShopCreate,
    OnlineShopFront,
    OnlineShopRead,
    OnlineShopUpdate,
)
from app.ticketing.schemas import PlacedTicketOrder, TicketOrderCreate

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/shops",
    tags=["shops"],
    route_class=AppRoute,
)
shop_router = APIRouter(prefix="/shop/shops", tags=["shop"], route_class=AppRoute)


@router.post("", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, OnlineShopInvalid, 422)
async def create_shop(
    body: OnlineShopCreate, office: OfficeManager, session: Session
) -> OnlineShopRead:
    """Creates another online shop of the office: the events it sells, its look and its
    payment-method rules (card and/or invoice, invoice until some days before). Needs the
    `manage` right; an event of another office or a method the office does not take is refused
    (422 `online_shop_invalid`)."""
    shop = await shops.create_shop(session, office.office, body=body, by=office.actor)
    return OnlineShopRead.model_validate(shop)


@router.get("", response_model=Page[OnlineShopRead])
@declares(READ, *OFFICE, 422)
async def list_shops(office: OfficeManager, session: Session, page: Pagination) -> dict[str, Any]:
    """The office's online shops, newest first. Needs the `manage` right."""
    rows, cursor = await paginate(session, shops.shops_of(office.office.id), page)
    return page_of([OnlineShopRead.model_validate(shop) for shop in rows], cursor)


@router.patch("/{shop_id}")
@declares(WRITE, *OFFICE, OnlineShopNotFound, OnlineShopInvalid, 422)
async def update_shop(
    shop_id: uuid.UUID, body: OnlineShopUpdate, office: OfficeManager, session: Session
) -> OnlineShopRead:
    """Changes the shop's name, events, payment-method rules or look; the properties left out
    (or null) are unchanged, those given replace the old value whole. Needs the `manage`
    right."""
    shop = await shops.get_shop(session, shop_id, office_id=office.office.id)
    shop = await shops.update_shop(
        session,
        office.office,
        shop,
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        by=office.actor,
    )
    return OnlineShopRead.model_validate(shop)


@shop_router.get("/{shop_id}")
@declares(PUBLIC, OnlineShopNotFound)
async def read_shop(shop_id: uuid.UUID, session: Session) -> OnlineShopFront:
    """The shop as its customers see it: its look, payment methods and the published events it
    sells, with their free seats. Public: no token."""
    return await shops.front(session, await shops.get_shop(session, shop_id))


@shop_router.post(
    "/{shop_id}/events/{event_id}/orders",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(per_ip("shop_order", limit=20, per_seconds=60))],
)
@declares(
    PUBLIC,
    OnlineShopNotFound,
    EventNotFound,
    *PLACING_ERRORS,
    422,
    TooManyRequests,
)
async def place_shop_order(
    shop_id: uuid.UUID,
    event_id: uuid.UUID,
    body: TicketOrderCreate,
    by: ShopCustomer,
    session: Session,
) -> PlacedTicketOrder:
    """Orders tickets of an event this shop sells, with just an e-mail address, under the
    shop's payment-method rules (card, or invoice until its cut-off); the order records the
    shop, and the answer carries the order's secret `access_key`. Emits `order.created`.
    Public; limited to 20 orders a minute per IP."""
    shop = await shops.get_shop(session, shop_id)
    order, access_key = await shops.place_order(session, shop, event_id, body=body, by=by)
    return PlacedTicketOrder.model_validate(
        {**(await orders.order_read(session, order)).model_dump(), "access_key": access_key}
    )
