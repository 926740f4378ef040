"""/v1/shop: the public online shop. Published events and free seats are readable without logging
in; a customer orders with an e-mail address and then reaches the order through its secret link."""

import uuid
from typing import Any

from fastapi import APIRouter, Response

from app.accounts.deps import PUBLIC
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.ticketing import offices, orders
from app.ticketing.deps import ShopCustomer
from app.ticketing.errors import (
    CardTokenRequired,
    EventNotFound,
    ExchangeCutoffPassed,
    ExchangeUnchanged,
    OnlineExchangeNotAllowed,
    OrderAlreadyCancelled,
    OrderNotFound,
    OrderNotPaid,
    PaymentDeclined,
    SoldOut,
    TicketNotExchangeable,
    TicketNotFound,
    TicketOfficeNotFound,
    UnknownTicketChoice,
)
from app.ticketing.models import Channel
from app.ticketing.router import pdf_response
from app.ticketing.schemas import (
    EventRead,
    ExchangeCreate,
    ExchangeRead,
    TicketOrderRead,
)

router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


@router.get("/ticket-offices/{ticket_office_id}/events", response_model=Page[EventRead])
@declares(PUBLIC, TicketOfficeNotFound, 422)
async def list_events(
    ticket_office_id: uuid.UUID, session: Session, page: Pagination
) -> dict[str, Any]:
    """The published events of a ticket office, newest first, with their performances (free
    seats) and price categories. Public: no token."""
    office = await offices.get_office(session, ticket_office_id)
    rows, cursor = await paginate(
        session,
        offices.events_of(office.id, published_only=True),
        page,
    )
    return page_of(await offices.event_reads(session, rows, {office.id: office.currency}), cursor)


@router.get("/events/{event_id}")
@declares(PUBLIC, EventNotFound, 422)
async def read_event(event_id: uuid.UUID, session: Session) -> EventRead:
    """A published event with its performances (free seats) and price categories. Public; an
    unpublished event answers 404 as if it did not exist."""
    event, office = await offices.get_published_event(session, event_id)
    return await offices.event_read(session, event, office)


@router.get("/orders/{access_key}")
@declares(PUBLIC, OrderNotFound)
async def read_order(access_key: str, session: Session) -> TicketOrderRead:
    """The customer's view of the order, from its secret link (`access_key`): tickets, status,
    payment deadlines and invoice. Public: the key is the credential."""
    return await orders.order_read(
        session, await orders.get_order_by_access_key(session, access_key)
    )


@router.get(
    "/orders/{access_key}/tickets.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Every valid ticket."},
        **problem_responses(OrderNotFound, TicketNotFound),
    },
)
@declares(PUBLIC)
async def download_tickets(access_key: str, session: Session) -> Response:
    """The order's valid tickets as a PDF, one per page with its code, from the order's secret
    link. Public; an order without a valid ticket answers 404 `ticket_not_found`."""
    order = await orders.get_order_by_access_key(session, access_key)
    office = await offices.get_office(session, order.ticket_office_id)
    return pdf_response(*await orders.tickets_pdf(session, office, order, None))


@router.get(
    "/orders/{access_key}/tickets/{ticket_number}.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "One ticket."},
        **problem_responses(OrderNotFound, TicketNotFound),
    },
)
@declares(PUBLIC)
async def download_ticket(access_key: str, ticket_number: str, session: Session) -> Response:
    """One valid ticket of the order as a PDF, by its number, from the order's secret link.
    Public; a cancelled ticket or one of another order answers 404 `ticket_not_found`."""
    order = await orders.get_order_by_access_key(session, access_key)
    office = await offices.get_office(session, order.ticket_office_id)
    return pdf_response(*await orders.tickets_pdf(session, office, order, ticket_number))


@router.post("/orders/{access_key}/tickets/{ticket_id}/exchange")
@declares(
    PUBLIC,
    OrderNotFound,
    TicketNotFound,
    OrderAlreadyCancelled,
    OrderNotPaid,
    TicketNotExchangeable,
    OnlineExchangeNotAllowed,
    ExchangeCutoffPassed,
    SoldOut,
    UnknownTicketChoice,
    ExchangeUnchanged,
    CardTokenRequired,
    PaymentDeclined,
    422,
)
async def exchange_ticket(
    access_key: str, ticket_id: uuid.UUID, body: ExchangeCreate, by: ShopCustomer, session: Session
) -> ExchangeRead:
    """Exchanges a valid, unused ticket of a paid order, from the order's secret link, for one
    of another performance or category of the same event: only where the office allows online
    exchanges and before its cut-off (hours before both performances). The old ticket is
    cancelled and a new one issued. A dearer ticket is paid by card (`card_token`; without it
    422 `card_token_required`, declined 402 `payment_declined` and nothing changes), charged
    once the exchange is committed; a cheaper one records the credit owed to the customer.
    A ticket is exchanged once: repeating the request answers 409 `ticket_not_exchangeable`
    and charges nothing. Public: the key is the credential."""
    order = await orders.get_order_by_access_key(session, access_key, for_update=True)
    office = await offices.get_office(session, order.ticket_office_id)
    record = await orders.exchange(
        session,
        office,
        order,
        ticket_id,
        performance_id=body.performance_id,
        price_category_id=body.price_category_id,
        channel=Channel.online,
        by=by,
        card_token=body.card_token,
    )
    return await orders.exchange_read(session, record, order)
