"""/v1/organizations/{organization_id}/ticket-offices: what organizers and their staff do."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.accounts.errors import InsufficientScope, NotAuthenticated
from app.core.db import Session
from app.core.errors import AppError, CurrencyMismatch, problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import permissions
from app.organizations.errors import (
    OrganizationNotFound,
    ProductNotFound,
    ProductRightMissing,
    RoleForbidden,
)
from app.organizations.permissions import Manager, Member
from app.ticketing import control, editing, offices, orders, reports
from app.ticketing.deps import (
    READ,
    WRITE,
    OfficeAnalyst,
    OfficeController,
    OfficeManager,
    OfficeSeller,
    OfficeTechnician,
    OfficeUser,
    OrganizationActor,
)
from app.ticketing.errors import (
    CapacityBelowSold,
    CapacitySetBySeatPlan,
    EventIncomplete,
    EventNotFound,
    ExchangeUnchanged,
    OrderAlreadyCancelled,
    OrderNotFound,
    OrderNotPaid,
    PerformanceDatesInvalid,
    PerformanceHasTickets,
    PerformanceNotFound,
    PriceCategoryHasTickets,
    PriceCategoryNotFound,
    SoldOut,
    TicketNotExchangeable,
    TicketNotFound,
    TicketOfficeNotFound,
    UnknownTicketChoice,
)
from app.ticketing.models import Channel, TicketOrderStatus
from app.ticketing.schemas import (
    CancellationRead,
    EventCreate,
    EventRead,
    EventReport,
    EventUpdate,
    ExchangeCreate,
    ExchangeRead,
    PerformanceCreate,
    PerformanceRead,
    PerformanceUpdate,
    PriceCategoryCreate,
    PriceCategoryRead,
    PriceCategoryUpdate,
    ScanCreate,
    ScanRead,
    TicketOfficeCreate,
    TicketOfficeRead,
    TicketOfficeSettings,
    TicketOrderRead,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices",
    tags=["ticketing"],
    route_class=AppRoute,
)
CREATED = status.HTTP_201_CREATED

Raised = int | type[AppError]
CALLER: tuple[Raised, ...] = (NotAuthenticated, 401, InsufficientScope, 403, OrganizationNotFound)
"""What every route's dependencies may answer: no or a bad credential, a token without the
scope (or another refusal of the caller: e-mail not confirmed, 2FA required), no access."""
OFFICE: tuple[Raised, ...] = (*CALLER, ProductNotFound, ProductRightMissing, TicketOfficeNotFound)
"""… and, for a route on one ticket office, the office out of reach or a right missing (403)."""


@router.post("", status_code=CREATED)
@declares(WRITE, *CALLER, RoleForbidden, 422)
async def create_office(
    body: TicketOfficeCreate, access: Manager, by: OrganizationActor, session: Session
) -> TicketOfficeRead:
    """Creates a ticket office, a product of the organization, selling in the currency given
    (default: the organization's). Administrators and legal representatives only; the office
    starts with payment by card, invoice, cash and voucher, no commission and the default
    invoice policy (d = 10, n = 2)."""
    office = await offices.create_office(
        session,
        organization_id=access.organization.id,
        name=body.name,
        currency=body.currency,
        time_zone=body.time_zone,
        by=by,
    )
    return TicketOfficeRead.model_validate(office)


@router.get("", response_model=Page[TicketOfficeRead])
@declares(READ, *CALLER, 422)
async def list_offices(access: Member, session: Session, page: Pagination) -> dict[str, Any]:
    """The organization's ticket offices the caller holds a right on (all of them for
    administrators and legal representatives), newest first."""
    rows, cursor = await paginate(
        session,
        offices.offices_of(access.organization.id, permissions.visible_product_ids(access)),
        page,
    )
    return page_of([TicketOfficeRead.model_validate(office) for office in rows], cursor)


@router.get("/{ticket_office_id}")
@declares(READ, *OFFICE)
async def read_office(office: OfficeUser) -> TicketOfficeRead:
    """A ticket office with its settings. Needs the `use` right on it."""
    return TicketOfficeRead.model_validate(office.office)


@router.patch("/{ticket_office_id}")
@declares(WRITE, *OFFICE, CurrencyMismatch, 422)
async def update_office(
    body: TicketOfficeSettings, office: OfficeTechnician, session: Session
) -> TicketOfficeRead:
    """Changes the office's payment methods, commissions, cancellation insurance fee, control
    and exchange rules, invoice policy (d, n) and payee; the properties left out are unchanged.
    Needs the `technical` right. New rules apply to orders placed from then on; amounts are in the
    office's currency (another one: 422 `currency_mismatch`)."""
    updated = await offices.update_settings(
        session,
        office.office,
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        by=office.actor,
    )
    return TicketOfficeRead.model_validate(updated)


@router.post("/{ticket_office_id}/events", status_code=CREATED)
@declares(WRITE, *OFFICE, CurrencyMismatch, 422)
async def create_event(body: EventCreate, office: OfficeManager, session: Session) -> EventRead:
    """Creates an event with its performances and price categories, unpublished (not in the
    shop) until published. Needs the `manage` right; prices are in the office's currency
    (another one: 422 `currency_mismatch`)."""
    event = await offices.create_event(session, office.office, body=body, by=office.actor)
    return await offices.event_read(session, event, office.office)


@router.get("/{ticket_office_id}/events", response_model=Page[EventRead])
@declares(READ, *OFFICE, 422)
async def list_events(office: OfficeUser, session: Session, page: Pagination) -> dict[str, Any]:
    """The office's events, published or not, newest first, with their performances (seats
    sold and free) and price categories. Needs the `use` right."""
    rows, cursor = await paginate(
        session,
        offices.events_of(office.office.id),
        page,
    )
    return page_of(
        await offices.event_reads(session, rows, {office.office.id: office.office.currency}), cursor
    )


@router.get("/{ticket_office_id}/events/{event_id}")
@declares(READ, *OFFICE, EventNotFound)
async def read_event(event_id: uuid.UUID, office: OfficeUser, session: Session) -> EventRead:
    """An event of the office, published or not, with its performances and price categories.
    Needs the `use` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    return await offices.event_read(session, event, office.office)


@router.patch("/{ticket_office_id}/events/{event_id}")
@declares(WRITE, *OFFICE, EventNotFound, 422)
async def update_event(
    event_id: uuid.UUID, body: EventUpdate, office: OfficeManager, session: Session
) -> EventRead:
    """Renames the event or changes its description (null clears it); the properties left out
    are unchanged. Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id, for_update=True)
    event = await offices.update_event(
        session,
        office.office,
        event,
        changes=body.model_dump(exclude_unset=True),
        by=office.actor,
    )
    return await offices.event_read(session, event, office.office)


@router.post("/{ticket_office_id}/events/{event_id}/publish")
@declares(WRITE, *OFFICE, EventNotFound, EventIncomplete)
async def publish_event(event_id: uuid.UUID, office: OfficeManager, session: Session) -> EventRead:
    """Puts the event on sale: it shows in the online shop and customers can order. Needs the
    `manage` right; an event without a performance or a price category is refused (409
    `event_incomplete`)."""
    event = await offices.get_event(session, office.office.id, event_id, for_update=True)
    event = await offices.set_published(
        session, office.office, event, published=True, by=office.actor
    )
    return await offices.event_read(session, event, office.office)


@router.post("/{ticket_office_id}/events/{event_id}/unpublish")
@declares(WRITE, *OFFICE, EventNotFound)
async def unpublish_event(
    event_id: uuid.UUID, office: OfficeManager, session: Session
) -> EventRead:
    """Takes the event off sale: it leaves the online shop; its orders and tickets stay valid.
    Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id, for_update=True)
    event = await offices.set_published(
        session, office.office, event, published=False, by=office.actor
    )
    return await offices.event_read(session, event, office.office)


@router.post("/{ticket_office_id}/events/{event_id}/performances", status_code=CREATED)
@declares(WRITE, *OFFICE, EventNotFound, 422)
async def add_performance(
    event_id: uuid.UUID, body: PerformanceCreate, office: OfficeManager, session: Session
) -> PerformanceRead:
    """Adds a date to the event, with its venue and capacity; on sale at once if the event is
    published. Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    performance = await offices.add_performance(
        session, office.office, event, body=body, by=office.actor
    )
    return offices.performance_read(performance)


@router.post("/{ticket_office_id}/events/{event_id}/price-categories", status_code=CREATED)
@declares(WRITE, *OFFICE, EventNotFound, CurrencyMismatch, 422)
async def add_price_category(
    event_id: uuid.UUID, body: PriceCategoryCreate, office: OfficeManager, session: Session
) -> PriceCategoryRead:
    """Adds a zone or fare to the event, priced in the office's currency (another one: 422
    `currency_mismatch`). Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    category = await offices.add_price_category(
        session, office.office, event, body=body, by=office.actor
    )
    return offices.price_category_read(category, office.office.currency)


@router.get("/{ticket_office_id}/events/{event_id}/report")
@declares(READ, *OFFICE, EventNotFound)
async def event_report(event_id: uuid.UUID, office: OfficeAnalyst, session: Session) -> EventReport:
    """The event's sales: tickets sold, cancelled and checked in, revenue (valid tickets of
    paid orders) by payment method and channel, and the platform's commissions due, in all and
    per performance. Needs the `statistics` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    return await reports.event_report(session, office.office, event)


@router.get(
    "/{ticket_office_id}/events/{event_id}/report.csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The report per performance."},
        **problem_responses(*OFFICE, EventNotFound),
    },
)
@declares(READ)
async def event_report_csv(
    event_id: uuid.UUID, office: OfficeAnalyst, session: Session
) -> Response:
    """The event's report as CSV, one line per performance and a total line, amounts in minor
    units with their currency. Needs the `statistics` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    report = await reports.event_report(session, office.office, event)
    return csv_response(reports.report_csv(report), f"report-{event.id}.csv")


@router.get("/{ticket_office_id}/orders", response_model=Page[TicketOrderRead])
@declares(READ, *OFFICE, 422)
async def list_orders(
    office: OfficeSeller,
    session: Session,
    page: Pagination,
    order_status: Annotated[TicketOrderStatus | None, Query(alias="status")] = None,
    event_id: uuid.UUID | None = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="An order or ticket number, or part of the customer's name or e-mail "
            "address (`%` and `_` are taken literally).",
        ),
    ] = None,
    shop_id: Annotated[
        uuid.UUID | None, Query(description="Only the orders placed in this online shop.")
    ] = None,
) -> dict[str, Any]:
    """The office's orders, newest first, with their tickets, filtered by status, event, online
    shop and the search field. Needs the `sell` right."""
    rows, cursor = await paginate(
        session,
        orders.as_reads(
            orders.orders_of(
                office.office.id, status=order_status, event_id=event_id, q=q, shop_id=shop_id
            )
        ),
        page,
    )
    return page_of(orders.order_reads(rows), cursor)


@router.get("/{ticket_office_id}/orders/{order_id}")
@declares(READ, *OFFICE, OrderNotFound)
async def read_order(
    order_id: uuid.UUID, office: OfficeSeller, session: Session
) -> TicketOrderRead:
    """An order of the office with its tickets, answers, payment deadlines and invoice. Needs
    the `sell` right."""
    return await orders.office_order_read(session, office.office.id, order_id)


@router.get(
    "/{ticket_office_id}/orders/{order_id}/cancellations", response_model=Page[CancellationRead]
)
@declares(READ, *OFFICE, OrderNotFound, 422)
async def list_cancellations(
    order_id: uuid.UUID, office: OfficeSeller, session: Session, page: Pagination
) -> dict[str, Any]:
    """The order's cancellations, newest first: the tickets each cancelled, the refund recorded
    (amount and method), the reason and who cancelled (none for an automatic cancellation).
    Needs the `sell` right."""
    order = await orders.get_order(session, office.office.id, order_id)
    rows, cursor = await paginate(session, orders.cancellations_of(order), page)
    return page_of(await orders.cancellation_reads(session, order, rows), cursor)


@router.post("/{ticket_office_id}/orders/{order_id}/tickets/{ticket_id}/exchange")
@declares(
    WRITE,
    *OFFICE,
    OrderNotFound,
    TicketNotFound,
    OrderAlreadyCancelled,
    OrderNotPaid,
    TicketNotExchangeable,
    SoldOut,
    UnknownTicketChoice,
    ExchangeUnchanged,
    422,
)
async def exchange_ticket(
    order_id: uuid.UUID,
    ticket_id: uuid.UUID,
    body: ExchangeCreate,
    office: OfficeSeller,
    session: Session,
) -> ExchangeRead:
    """Exchanges a valid, unused ticket of a paid order at the box office for one of another
    performance or category of the same event, seats permitting: the old ticket is cancelled
    and a new one issued (a `ticket.exchanged` event). A dearer ticket's difference is recorded
    as collected at the counter (`box_office`), a cheaper one's as the credit owed to the
    customer. Needs the `sell` right."""
    order = await orders.get_order(session, office.office.id, order_id, for_update=True)
    record = await orders.exchange(
        session,
        office.office,
        order,
        ticket_id,
        performance_id=body.performance_id,
        price_category_id=body.price_category_id,
        channel=Channel.box_office,
        by=office.actor,
    )
    return await orders.exchange_read(session, record, order)


@router.get(
    "/{ticket_office_id}/orders/{order_id}/tickets.pdf",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The valid tickets, one per page.",
        },
        **problem_responses(*OFFICE, OrderNotFound, TicketNotFound),
    },
)
@declares(READ)
async def order_tickets_pdf(
    order_id: uuid.UUID, office: OfficeSeller, session: Session
) -> Response:
    """The order's valid tickets as a PDF, one per page with its code, to print at the box
    office. Needs the `sell` right; an order without a valid ticket answers 404
    `ticket_not_found`."""
    order = await orders.get_order(session, office.office.id, order_id)
    return pdf_response(*await orders.tickets_pdf(session, office.office, order, None))


def csv_response(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def pdf_response(pdf: bytes, filename: str) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/{ticket_office_id}/scans")
@declares(WRITE, *OFFICE, PerformanceNotFound, 422)
async def scan(body: ScanCreate, office: OfficeController, session: Session) -> ScanRead:
    """Ticket control at the door: a valid ticket of this performance is accepted and marked
    used; any other is refused with the reason (`result`: already used, cancelled, unpaid,
    unknown, wrong performance). Every scan is kept and emitted as `ticket.scanned`. Needs the
    `check` right."""
    return await control.scan(
        session,
        office.office,
        performance_id=body.performance_id,
        number=body.ticket_number,
        by=office.actor,
    )


# --- Editing and deleting performances and price categories ---

PERFORMANCE = "/{ticket_office_id}/events/{event_id}/performances/{performance_id}"
PRICE_CATEGORY = "/{ticket_office_id}/events/{event_id}/price-categories/{price_category_id}"


@router.patch(PERFORMANCE)
@declares(
    WRITE,
    *OFFICE,
    EventNotFound,
    PerformanceNotFound,
    CapacityBelowSold,
    CapacitySetBySeatPlan,
    PerformanceDatesInvalid,
    422,
)
async def update_performance(
    event_id: uuid.UUID,
    performance_id: uuid.UUID,
    body: PerformanceUpdate,
    office: OfficeManager,
    session: Session,
) -> PerformanceRead:
    """Changes a performance's dates, venue or capacity; the properties left out are unchanged.
    Needs the `manage` right. A capacity below the valid tickets held is refused (409
    `capacity_below_sold`), as is one on a performance with a seat plan (409
    `capacity_set_by_seat_plan`); an end not after the start answers 422
    `performance_dates_invalid`. Moving the start of a performance that has tickets mails each
    holding order's customer the old and the new date, in the order's language."""
    event = await offices.get_event(session, office.office.id, event_id)
    performance = await editing.get_performance(session, event, performance_id, for_update=True)
    performance = await editing.update_performance(
        session,
        office.office,
        event,
        performance,
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        by=office.actor,
    )
    return offices.performance_read(performance)


@router.delete(PERFORMANCE, status_code=status.HTTP_204_NO_CONTENT)
@declares(WRITE, *OFFICE, EventNotFound, PerformanceNotFound, PerformanceHasTickets)
async def delete_performance(
    event_id: uuid.UUID, performance_id: uuid.UUID, office: OfficeManager, session: Session
) -> None:
    """Deletes a performance for which no ticket was ever sold (cancelled tickets count: they
    stay in their orders) nor scanned: otherwise 409 `performance_has_tickets`. Needs the
    `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    performance = await editing.get_performance(session, event, performance_id, for_update=True)
    await editing.delete_performance(session, office.office, event, performance, by=office.actor)


@router.patch(PRICE_CATEGORY)
@declares(WRITE, *OFFICE, EventNotFound, PriceCategoryNotFound, CurrencyMismatch, 422)
async def update_price_category(
    event_id: uuid.UUID,
    price_category_id: uuid.UUID,
    body: PriceCategoryUpdate,
    office: OfficeManager,
    session: Session,
) -> PriceCategoryRead:
    """Renames or reprices a price category; the properties left out are unchanged. Tickets
    already sold keep the price they were sold at; a new price applies to the next sales, in
    the office's currency (another one: 422 `currency_mismatch`). Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    category = await editing.get_price_category(session, event, price_category_id, for_update=True)
    category = await editing.update_price_category(
        session,
        office.office,
        event,
        category,
        changes=body.model_dump(exclude_unset=True, exclude_none=True),
        by=office.actor,
    )
    return offices.price_category_read(category, office.office.currency)


@router.delete(PRICE_CATEGORY, status_code=status.HTTP_204_NO_CONTENT)
@declares(WRITE, *OFFICE, EventNotFound, PriceCategoryNotFound, PriceCategoryHasTickets)
async def delete_price_category(
    event_id: uuid.UUID, price_category_id: uuid.UUID, office: OfficeManager, session: Session
) -> None:
    """Deletes a price category in which no ticket was ever sold (cancelled tickets count):
    otherwise 409 `price_category_has_tickets`. Its seats and the promotions restricted to it
    go with it. Needs the `manage` right."""
    event = await offices.get_event(session, office.office.id, event_id)
    category = await editing.get_price_category(session, event, price_category_id, for_update=True)
    await editing.delete_price_category(session, office.office, event, category, by=office.actor)
