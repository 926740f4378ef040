"""/v1/shop: the public online shop. Published events and free seats are readable without logging
in; a customer orders with an e-mail address and then reaches the order through its secret link."""

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response, status
from sqlalchemy import select

from app.core.db import Session
from app.core.errors import NotFound, problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.ticketing import offices, orders
from app.ticketing.models import Channel, Event, TicketOffice
from app.ticketing.router import exchange_read, tickets_pdf_response
from app.ticketing.schemas import (
    EventRead,
    ExchangeCreate,
    ExchangeRead,
    PlacedTicketOrder,
    TicketOrderCreate,
    TicketOrderRead,
)

router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)


class EventNotPublished(NotFound):
    code = "event_not_found"


async def _published(session: Session, event_id: uuid.UUID) -> tuple[Event, TicketOffice]:
    row = (
        await session.execute(
            select(Event, TicketOffice)
            .join(TicketOffice, TicketOffice.id == Event.ticket_office_id)
            .where(Event.id == event_id, Event.published.is_(True))
        )
    ).one_or_none()
    if row is None:
        raise EventNotPublished("No such event.")
    return row[0], row[1]


@router.get(
    "/ticket-offices/{ticket_office_id}/events",
    operation_id="shop-list_events",
    response_model=Page[EventRead],
    responses=problem_responses(404),
)
async def list_events(
    ticket_office_id: uuid.UUID, session: Session, page: Pagination
) -> dict[str, Any]:
    """The published events of a ticket office, with their free seats."""
    office = await session.get(TicketOffice, ticket_office_id)
    if office is None:
        raise NotFound("No such ticket office.", code="ticket_office_not_found")
    rows, cursor = await paginate(
        session,
        select(Event).where(Event.ticket_office_id == office.id, Event.published.is_(True)),
        page,
        created_at=Event.created_at,
        id=Event.id,
    )
    return page_of(await offices.event_reads(session, rows, {office.id: office.currency}), cursor)


@router.get("/events/{event_id}", operation_id="shop-read_event", responses=problem_responses(404))
async def read_event(event_id: uuid.UUID, session: Session) -> EventRead:
    event, office = await _published(session, event_id)
    return await offices.event_read(session, event, office)


@router.post(
    "/events/{event_id}/orders",
    operation_id="shop-place_order",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(per_ip("shop_order", limit=20, per_seconds=60))],
    responses=problem_responses(402, 404, 409, 422, 429),
)
async def place_order(
    event_id: uuid.UUID, body: TicketOrderCreate, session: Session
) -> PlacedTicketOrder:
    """Orders tickets with just an e-mail address; the confirmation mail carries the order's link.

    Paid by card at once, or on invoice (reminders, then automatic cancellation when unpaid).
    """
    event, office = await _published(session, event_id)
    order, access_key = await orders.place_order(
        session, office, event, body, channel=Channel.online
    )
    return PlacedTicketOrder.model_validate(
        {**(await orders.order_read(session, order)).model_dump(), "access_key": access_key}
    )


@router.get(
    "/orders/{access_key}", operation_id="shop-read_order", responses=problem_responses(404)
)
async def read_order(access_key: str, session: Session) -> TicketOrderRead:
    """The customer's view of the order, from the secret link."""
    return await orders.order_read(session, await orders.order_by_access_key(session, access_key))


@router.get(
    "/orders/{access_key}/tickets.pdf",
    operation_id="shop-download_tickets",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Every valid ticket."},
        **problem_responses(404),
    },
)
async def download_tickets(access_key: str, session: Session) -> Response:
    order = await orders.order_by_access_key(session, access_key)
    office = await session.get(TicketOffice, order.ticket_office_id)
    assert office is not None
    return await tickets_pdf_response(session, office, order, None)


@router.get(
    "/orders/{access_key}/tickets/{ticket_number}.pdf",
    operation_id="shop-download_ticket",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "One ticket."},
        **problem_responses(404),
    },
)
async def download_ticket(access_key: str, ticket_number: str, session: Session) -> Response:
    order = await orders.order_by_access_key(session, access_key)
    office = await session.get(TicketOffice, order.ticket_office_id)
    assert office is not None
    return await tickets_pdf_response(session, office, order, ticket_number)


@router.post(
    "/orders/{access_key}/tickets/{ticket_id}/exchange",
    operation_id="shop-exchange_ticket",
    responses=problem_responses(404, 409, 422),
)
async def exchange_ticket(
    access_key: str, ticket_id: uuid.UUID, body: ExchangeCreate, session: Session
) -> ExchangeRead:
    """Online exchange by the customer, where the organizer allows it and before its cut-off."""
    order = await orders.order_by_access_key(session, access_key, lock=True)
    office = await session.get(TicketOffice, order.ticket_office_id)
    assert office is not None
    record = await orders.exchange(
        session,
        office,
        order,
        ticket_id,
        performance_id=body.performance_id,
        price_category_id=body.price_category_id,
        channel=Channel.online,
        by=None,
    )
    return await exchange_read(
        session, record.old_ticket_id, record.new_ticket_id, record.price_difference_minor
    )
