"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}/passes: access passes
for several performances, set up by the office's managers and sold at the box office."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, status

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import CurrencyMismatch, TooManyRequests
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.payments.service import PaymentDeclined
from app.ticketing import offices, passes
from app.ticketing.deps import READ, WRITE, OfficeManager, OfficeSeller, ShopCustomer
from app.ticketing.errors import (
    CardTokenRequired,
    PassAlreadyCancelled,
    PassInvalid,
    PassNotFound,
    PassNotOnSale,
    PaymentMethodNotOffered,
    SoldOut,
    SoldPassNotFound,
    TicketOfficeNotFound,
)
from app.ticketing.models import Channel
from app.ticketing.pass_schemas import (
    AccessPassCreate,
    AccessPassRead,
    AccessPassUpdate,
    PassCancel,
    PassSaleCreate,
    ShopPassRead,
    SoldPassRead,
)
from app.ticketing.router import OFFICE

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/passes",
    tags=["ticketing"],
    route_class=AppRoute,
)
shop_router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


@router.post("", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, PassInvalid, CurrencyMismatch, 422)
async def create_pass(
    body: AccessPassCreate, office: OfficeManager, session: Session
) -> AccessPassRead:
    """Creates an access pass: every performance of the events named (those added later too)
    and the performances chosen, across the office's events, for one price in the office's
    currency (else 422 `currency_mismatch`). Needs the `manage` right; an event or performance
    of another office, or none at all, answers 422 `pass_invalid`."""
    created = await passes.create_pass(session, office.office, body=body, by=office.actor)
    return (await passes.pass_reads(session, [created]))[0]


@router.get("", response_model=Page[AccessPassRead])
@declares(READ, *OFFICE, 422)
async def list_passes(office: OfficeSeller, session: Session, page: Pagination) -> dict[str, Any]:
    """The office's passes, newest first, with how many are sold. Needs the `sell` right."""
    rows, cursor = await paginate(session, passes.passes_of(office.office.id), page)
    return page_of(await passes.pass_reads(session, rows), cursor)


@router.get("/{pass_id}")
@declares(READ, *OFFICE, PassNotFound)
async def read_pass(pass_id: uuid.UUID, office: OfficeSeller, session: Session) -> AccessPassRead:
    """One pass of the office, with how many are sold. Needs the `sell` right."""
    found = await passes.get_pass(session, office.office.id, pass_id)
    return (await passes.pass_reads(session, [found]))[0]


@router.patch("/{pass_id}")
@declares(WRITE, *OFFICE, PassNotFound, PassInvalid, CurrencyMismatch, 422)
async def update_pass(
    pass_id: uuid.UUID, body: AccessPassUpdate, office: OfficeManager, session: Session
) -> AccessPassRead:
    """Renames a pass, changes its price (passes already sold keep theirs) or takes it off sale
    (`on_sale`). Needs the `manage` right."""
    found = await passes.get_pass(session, office.office.id, pass_id, for_update=True)
    await passes.update_pass(session, office.office, found, body=body, by=office.actor)
    return (await passes.pass_reads(session, [found]))[0]


@router.post("/{pass_id}/sales", status_code=status.HTTP_201_CREATED)
@declares(
    WRITE,
    *OFFICE,
    PassNotFound,
    PassNotOnSale,
    PassInvalid,
    SoldOut,
    PaymentMethodNotOffered,
    CardTokenRequired,
    PaymentDeclined,
    422,
)
async def sell_pass(
    pass_id: uuid.UUID, body: PassSaleCreate, office: OfficeSeller, session: Session
) -> SoldPassRead:
    """Sells the pass at the box office, paid at once (cash, card or voucher among the office's
    methods): one number, admitted once at each performance it covers still to come, each of
    which it takes a seat of — all or none, 409 `sold_out` naming a full one. The customer is
    mailed the pass in their language. Needs the `sell` right; a pass off sale, or whose
    performances have all started, answers 409 `pass_not_on_sale`."""
    found = await passes.get_pass(session, office.office.id, pass_id)
    sold = await passes.sell(
        session, office.office, found, body=body, channel=Channel.box_office, by=office.actor
    )
    return passes.sold_pass_read(sold)


@router.get("/{pass_id}/sales", response_model=Page[SoldPassRead])
@declares(READ, *OFFICE, PassNotFound, 422)
async def list_pass_sales(
    pass_id: uuid.UUID, office: OfficeSeller, session: Session, page: Pagination
) -> dict[str, Any]:
    """The passes sold, newest first, cancelled ones included. Needs the `sell` right."""
    found = await passes.get_pass(session, office.office.id, pass_id)
    rows, cursor = await paginate(session, passes.sold_passes_of(found), page)
    return page_of([passes.sold_pass_read(row) for row in rows], cursor)


@router.post("/{pass_id}/sales/{sold_pass_id}/cancel")
@declares(WRITE, *OFFICE, PassNotFound, SoldPassNotFound, PassAlreadyCancelled, 422)
async def cancel_pass_sale(
    pass_id: uuid.UUID,
    sold_pass_id: uuid.UUID,
    body: PassCancel,
    office: OfficeSeller,
    session: Session,
) -> SoldPassRead:
    """Cancels a sold pass: refused at control from now on, its seats on the performances
    still to come are free again. The refund is the organizer's, by its own means. Needs the
    `sell` right; cancelling it again answers 409 `pass_already_cancelled`."""
    found = await passes.get_pass(session, office.office.id, pass_id)
    sold = await passes.get_sold_pass(session, found, sold_pass_id)
    await passes.cancel(session, office.office, sold, reason=body.reason, by=office.actor)
    return passes.sold_pass_read(sold)


@shop_router.get("/ticket-offices/{ticket_office_id}/passes", response_model=Page[ShopPassRead])
@declares(PUBLIC, TicketOfficeNotFound, 422)
async def list_shop_passes(
    ticket_office_id: uuid.UUID, session: Session, page: Pagination
) -> dict[str, Any]:
    """The office's passes on sale, newest first, with the performances each admits to if
    bought now. Public: no token."""
    office = await offices.get_office(session, ticket_office_id)
    rows, cursor = await paginate(session, passes.passes_of(office.id, on_sale_only=True), page)
    return page_of(await passes.shop_reads(session, rows), cursor)


@shop_router.post(
    "/passes/{pass_id}/sales",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(per_ip("shop_order", limit=20, per_seconds=60))],
)
@declares(
    PUBLIC,
    PassNotFound,
    PassNotOnSale,
    PassInvalid,
    SoldOut,
    PaymentMethodNotOffered,
    CardTokenRequired,
    PaymentDeclined,
    TooManyRequests,
    422,
)
async def buy_pass(
    pass_id: uuid.UUID, body: PassSaleCreate, by: ShopCustomer, session: Session
) -> SoldPassRead:
    """Buys a pass on sale with just an e-mail address, paid by card at once: a seat on each
    performance it covers still to come (all or none, 409 `sold_out`), the pass's number
    mailed in the buyer's language. Public; a pass off sale answers 404 as if it did not
    exist. Limited (with ticket orders) to 20 a minute per IP."""
    found = await passes.get_pass_on_sale(session, pass_id)
    office = await offices.get_office(session, found.ticket_office_id)
    sold = await passes.sell(session, office, found, body=body, channel=Channel.online, by=by)
    return passes.sold_pass_read(sold)
