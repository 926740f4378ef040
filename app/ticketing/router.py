"""/v1/organizations/{organization_id}/ticket-offices: what organizers and their staff do."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import select

from app.core.db import Session
from app.core.errors import NotFound, problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations import permissions
from app.organizations.permissions import Manager, Member
from app.ticketing import control, documents, offices, orders, reports
from app.ticketing.deps import (
    OfficeAnalyst,
    OfficeController,
    OfficeManager,
    OfficeSeller,
    OfficeUser,
    ticketing_scope,
)
from app.ticketing.models import (
    Channel,
    Event,
    Performance,
    PriceCategory,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
)
from app.ticketing.schemas import (
    BoxOfficeOrderCreate,
    CancellationCreate,
    CancellationRead,
    EventCreate,
    EventRead,
    EventReport,
    EventUpdate,
    ExchangeCreate,
    ExchangeRead,
    MarkPaid,
    PerformanceCreate,
    PerformanceRead,
    PlacedTicketOrder,
    PriceCategoryCreate,
    PriceCategoryRead,
    ScanCreate,
    ScanRead,
    TicketOfficeCreate,
    TicketOfficeRead,
    TicketOfficeSettings,
    TicketOrderRead,
    TicketRead,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices",
    tags=["ticketing"],
    route_class=AppRoute,
    dependencies=[Depends(ticketing_scope)],
)
CREATED = status.HTTP_201_CREATED
OFFICE_ERRORS = problem_responses(401, 403, 404)


@router.post(
    "",
    operation_id="ticketing-create_office",
    status_code=CREATED,
    responses=problem_responses(401, 403, 404),
)
async def create_office(
    body: TicketOfficeCreate, access: Manager, session: Session
) -> TicketOfficeRead:
    """A new ticket office (a product of the organization)."""
    office = await offices.create_office(
        session,
        access.organization,
        name=body.name,
        currency=body.currency,
        time_zone=body.time_zone,
        by=access.account_id,
        acting_as=access.actor_organization_id,
    )
    return TicketOfficeRead.model_validate(office)


@router.get(
    "",
    operation_id="ticketing-list_offices",
    response_model=Page[TicketOfficeRead],
    responses=problem_responses(401, 403, 404),
)
async def list_offices(access: Member, session: Session, page: Pagination) -> dict[str, Any]:
    """The ticket offices the caller holds a right on."""
    rows, cursor = await paginate(
        session,
        select(TicketOffice).where(
            TicketOffice.organization_id == access.organization.id,
            TicketOffice.id.in_(permissions.visible_product_ids(access)),
        ),
        page,
        created_at=TicketOffice.created_at,
        id=TicketOffice.id,
    )
    return page_of([TicketOfficeRead.model_validate(office) for office in rows], cursor)


@router.get("/{ticket_office_id}", operation_id="ticketing-read_office", responses=OFFICE_ERRORS)
async def read_office(office: OfficeUser) -> TicketOfficeRead:
    return TicketOfficeRead.model_validate(office.office)


@router.patch(
    "/{ticket_office_id}", operation_id="ticketing-update_office", responses=OFFICE_ERRORS
)
async def update_office(
    body: TicketOfficeSettings, office: OfficeManager, session: Session
) -> TicketOfficeRead:
    """Payment methods, commissions, control and exchange rules, and the invoice policy (d, n)."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "commission_basis_points" in changes:
        changes["commission_basis_points"] = {
            str(k): v for k, v in changes["commission_basis_points"].items()
        }
    await offices.update_settings(
        session,
        office.office,
        changes,
        by=office.account_id,
        acting_as=office.access.actor_organization_id,
    )
    return TicketOfficeRead.model_validate(office.office)


@router.post(
    "/{ticket_office_id}/events",
    operation_id="ticketing-create_event",
    status_code=CREATED,
    responses=OFFICE_ERRORS,
)
async def create_event(body: EventCreate, office: OfficeManager, session: Session) -> EventRead:
    """An event with its performances and price categories (unpublished until published)."""
    event = await offices.create_event(session, office.office, body)
    return await offices.event_read(session, event, office.office)


@router.get(
    "/{ticket_office_id}/events",
    operation_id="ticketing-list_events",
    response_model=Page[EventRead],
    responses=OFFICE_ERRORS,
)
async def list_events(office: OfficeUser, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(Event).where(Event.ticket_office_id == office.office.id),
        page,
        created_at=Event.created_at,
        id=Event.id,
    )
    return page_of(
        await offices.event_reads(session, rows, {office.office.id: office.office.currency}), cursor
    )


@router.get(
    "/{ticket_office_id}/events/{event_id}",
    operation_id="ticketing-read_event",
    responses=OFFICE_ERRORS,
)
async def read_event(event_id: uuid.UUID, office: OfficeUser, session: Session) -> EventRead:
    event = await offices.event_of_office(session, office.office.id, event_id)
    return await offices.event_read(session, event, office.office)


@router.patch(
    "/{ticket_office_id}/events/{event_id}",
    operation_id="ticketing-update_event",
    responses=OFFICE_ERRORS,
)
async def update_event(
    event_id: uuid.UUID, body: EventUpdate, office: OfficeManager, session: Session
) -> EventRead:
    event = await offices.event_of_office(session, office.office.id, event_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(event, field, value)
    return await offices.event_read(session, event, office.office)


@router.post(
    "/{ticket_office_id}/events/{event_id}/publish",
    operation_id="ticketing-publish_event",
    responses=problem_responses(401, 403, 404, 409),
)
async def publish_event(event_id: uuid.UUID, office: OfficeManager, session: Session) -> EventRead:
    """Shows the event in the online shop (it needs a performance and a price category)."""
    event = await offices.set_published(
        session, await offices.event_of_office(session, office.office.id, event_id), True
    )
    return await offices.event_read(session, event, office.office)


@router.post(
    "/{ticket_office_id}/events/{event_id}/unpublish",
    operation_id="ticketing-unpublish_event",
    responses=OFFICE_ERRORS,
)
async def unpublish_event(
    event_id: uuid.UUID, office: OfficeManager, session: Session
) -> EventRead:
    event = await offices.set_published(
        session, await offices.event_of_office(session, office.office.id, event_id), False
    )
    return await offices.event_read(session, event, office.office)


@router.post(
    "/{ticket_office_id}/events/{event_id}/performances",
    operation_id="ticketing-add_performance",
    status_code=CREATED,
    responses=OFFICE_ERRORS,
)
async def add_performance(
    event_id: uuid.UUID, body: PerformanceCreate, office: OfficeManager, session: Session
) -> PerformanceRead:
    event = await offices.event_of_office(session, office.office.id, event_id)
    performance = await offices.add_performance(session, event, body)
    return offices.performance_read(performance)


@router.post(
    "/{ticket_office_id}/events/{event_id}/price-categories",
    operation_id="ticketing-add_price_category",
    status_code=CREATED,
    responses=OFFICE_ERRORS,
)
async def add_price_category(
    event_id: uuid.UUID, body: PriceCategoryCreate, office: OfficeManager, session: Session
) -> PriceCategoryRead:
    event = await offices.event_of_office(session, office.office.id, event_id)
    return PriceCategoryRead.model_validate(await offices.add_price_category(session, event, body))


@router.get(
    "/{ticket_office_id}/events/{event_id}/report",
    operation_id="ticketing-event_report",
    responses=OFFICE_ERRORS,
)
async def event_report(event_id: uuid.UUID, office: OfficeAnalyst, session: Session) -> EventReport:
    """Sold, cancelled, checked-in, revenue by payment method and channel, commissions due."""
    event = await offices.event_of_office(session, office.office.id, event_id)
    return await reports.event_report(session, office.office, event)


@router.get(
    "/{ticket_office_id}/events/{event_id}/report.csv",
    operation_id="ticketing-event_report_csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The report per performance."},
        **OFFICE_ERRORS,
    },
)
async def event_report_csv(
    event_id: uuid.UUID, office: OfficeAnalyst, session: Session
) -> Response:
    event = await offices.event_of_office(session, office.office.id, event_id)
    report = await reports.event_report(session, office.office, event)
    return Response(
        reports.report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{event.id}.csv"'},
    )


@router.post(
    "/{ticket_office_id}/events/{event_id}/orders",
    operation_id="ticketing-sell",
    status_code=CREATED,
    responses=problem_responses(401, 402, 403, 404, 409, 422),
)
async def sell(
    event_id: uuid.UUID, body: BoxOfficeOrderCreate, office: OfficeSeller, session: Session
) -> PlacedTicketOrder:
    """An order at the box office (or for a reseller channel), by a member with the `sell` right."""
    event = await offices.event_of_office(session, office.office.id, event_id)
    channel = body.channel if body.channel != Channel.online else Channel.box_office
    order, access_key = await orders.place_order(
        session,
        office.office,
        event,
        body,
        channel=channel,
        sold_by=office.account_id,
        acting_as=office.access.actor_organization_id,
    )
    return PlacedTicketOrder.model_validate(
        {**(await orders.order_read(session, order)).model_dump(), "access_key": access_key}
    )


@router.get(
    "/{ticket_office_id}/orders",
    operation_id="ticketing-list_orders",
    response_model=Page[TicketOrderRead],
    responses=OFFICE_ERRORS,
)
async def list_orders(
    office: OfficeSeller,
    session: Session,
    page: Pagination,
    order_status: Annotated[TicketOrderStatus | None, Query(alias="status")] = None,
    event_id: uuid.UUID | None = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Order number or customer e-mail.")
    ] = None,
) -> dict[str, Any]:
    query = select(TicketOrder).where(TicketOrder.ticket_office_id == office.office.id)
    if order_status is not None:
        query = query.where(TicketOrder.status == order_status)
    if event_id is not None:
        query = query.where(TicketOrder.event_id == event_id)
    if q:
        query = query.where(
            (TicketOrder.number == q.strip().upper())
            | (TicketOrder.customer_email.ilike(q.strip()))
        )
    rows, cursor = await paginate(
        session, query, page, created_at=TicketOrder.created_at, id=TicketOrder.id
    )
    return page_of(await orders.order_reads(session, rows), cursor)


@router.get(
    "/{ticket_office_id}/orders/{order_id}",
    operation_id="ticketing-read_order",
    responses=OFFICE_ERRORS,
)
async def read_order(
    order_id: uuid.UUID, office: OfficeSeller, session: Session
) -> TicketOrderRead:
    order = await session.scalar(
        select(TicketOrder).where(
            TicketOrder.id == order_id, TicketOrder.ticket_office_id == office.office.id
        )
    )
    if order is None:
        raise orders.OrderNotFound("No such order.")
    return await orders.order_read(session, order)


@router.post(
    "/{ticket_office_id}/orders/{order_id}/mark-paid",
    operation_id="ticketing-mark_paid",
    responses=problem_responses(401, 403, 404, 409),
)
async def mark_paid(
    order_id: uuid.UUID, body: MarkPaid, office: OfficeSeller, session: Session
) -> TicketOrderRead:
    """Records the payment of an order on invoice: its reminders and cancellation are off."""
    order = await orders.order_for_update(session, office.office.id, order_id)
    await orders.mark_paid(
        session,
        order,
        reference=body.payment_reference,
        by=office.account_id,
        acting_as=office.access.actor_organization_id,
    )
    return await orders.order_read(session, order)


@router.post(
    "/{ticket_office_id}/orders/{order_id}/cancel",
    operation_id="ticketing-cancel_order",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def cancel_order(
    order_id: uuid.UUID, body: CancellationCreate, office: OfficeSeller, session: Session
) -> CancellationRead:
    """Cancels the whole order or chosen tickets of a paid one; refunds are only recorded."""
    order = await orders.order_for_update(session, office.office.id, order_id)
    cancellation = await orders.cancel(
        session,
        order,
        ticket_ids=body.ticket_ids,
        refund_method=body.refund_method,
        refund_amount_minor=body.refund_amount_minor,
        reason=body.reason,
        notify_customer=body.notify_customer,
        by=office.account_id,
        acting_as=office.access.actor_organization_id,
    )
    tickets = (await orders.tickets_of(session, [order.id]))[order.id]
    return orders.cancellation_read(cancellation, tickets)


@router.post(
    "/{ticket_office_id}/orders/{order_id}/tickets/{ticket_id}/exchange",
    operation_id="ticketing-exchange_ticket",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def exchange_ticket(
    order_id: uuid.UUID,
    ticket_id: uuid.UUID,
    body: ExchangeCreate,
    office: OfficeSeller,
    session: Session,
) -> ExchangeRead:
    """At the box office: another performance or category of the same event, seats permitting."""
    order = await orders.order_for_update(session, office.office.id, order_id)
    record = await orders.exchange(
        session,
        office.office,
        order,
        ticket_id,
        performance_id=body.performance_id,
        price_category_id=body.price_category_id,
        channel=Channel.box_office,
        by=office.account_id,
        acting_as=office.access.actor_organization_id,
    )
    return await exchange_read(
        session, record.old_ticket_id, record.new_ticket_id, record.price_difference_minor
    )


async def exchange_read(
    session: Session, old_id: uuid.UUID, new_id: uuid.UUID, difference: int
) -> ExchangeRead:
    old, new = await session.get(Ticket, old_id), await session.get(Ticket, new_id)
    return ExchangeRead(
        old_ticket=TicketRead.model_validate(old),
        new_ticket=TicketRead.model_validate(new),
        price_difference_minor=difference,
    )


@router.get(
    "/{ticket_office_id}/orders/{order_id}/tickets.pdf",
    operation_id="ticketing-order_tickets_pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The valid tickets, one per page.",
        },
        **OFFICE_ERRORS,
    },
)
async def order_tickets_pdf(
    order_id: uuid.UUID, office: OfficeSeller, session: Session
) -> Response:
    order = await session.scalar(
        select(TicketOrder).where(
            TicketOrder.id == order_id, TicketOrder.ticket_office_id == office.office.id
        )
    )
    if order is None:
        raise orders.OrderNotFound("No such order.")
    return await tickets_pdf_response(session, office.office, order, None)


async def tickets_pdf_response(
    session: Session, office: TicketOffice, order: TicketOrder, number: str | None
) -> Response:
    """The order's valid tickets (or one of them) as a PDF."""
    query = (
        select(Ticket, Performance, PriceCategory)
        .join(Performance, Performance.id == Ticket.performance_id)
        .join(PriceCategory, PriceCategory.id == Ticket.price_category_id)
        .where(Ticket.order_id == order.id, Ticket.status == "valid")
        .order_by(Performance.starts_at, Ticket.number)
    )
    if number is not None:
        query = query.where(Ticket.number == number.upper())
    rows = [tuple(row) for row in await session.execute(query)]
    if not rows or order.status == TicketOrderStatus.cancelled:
        raise NotFound("No valid ticket to download.", code="ticket_not_found")
    event = await session.get(Event, order.event_id)
    assert event is not None
    pdf = documents.tickets_pdf(office, event, order, rows)  # type: ignore[arg-type]
    filename = f"tickets-{order.number}.pdf" if number is None else f"ticket-{number.upper()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/{ticket_office_id}/scans",
    operation_id="ticketing-scan",
    responses=problem_responses(401, 403, 404),
)
async def scan(body: ScanCreate, office: OfficeController, session: Session) -> ScanRead:
    """Ticket control: valid → marked used; otherwise refused with the reason (`result`)."""
    return await control.scan(
        session,
        office.office,
        performance_id=body.performance_id,
        number=body.ticket_number,
        by=office.account_id,
    )
