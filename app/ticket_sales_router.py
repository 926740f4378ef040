"""The routes of ``app.ticket_sales``: placing, paying and cancelling ticket orders (an order on
invoice has a billing invoice), their invoice PDFs, and the import of bank notifications that pay
them. Paths, tags and operation ids are those of the domains the routes belong to."""

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from app import ticket_sales
from app.accounts.deps import PUBLIC
from app.billing.deps import Staff
from app.billing.errors import InvalidNotification, UnsupportedMediaType
from app.billing.schemas import TransferImport
from app.billing.staff_router import STAFF_ERRORS, write_scope
from app.core.db import Session
from app.core.errors import CurrencyMismatch, TooManyRequests, problem_responses
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.organizations.types import Role
from app.ticketing import offices, orders
from app.ticketing.deps import READ, WRITE, OfficeSeller, ShopCustomer, office_event
from app.ticketing.errors import (
    PLACING_ERRORS,
    EventNotFound,
    InvoiceOrderPartialCancel,
    OrderAlreadyCancelled,
    OrderAlreadyPaid,
    OrderCancelled,
    OrderNotFound,
    OrderWithoutInvoice,
    RefundExceedsTickets,
    RefundThroughInsurer,
    ResellerChannelReserved,
    ResellerQuotaExceeded,
    TicketAlreadyCancelled,
    TicketCheckedIn,
    UnknownTicket,
)
from app.ticketing.models import Channel, TicketOrder
from app.ticketing.router import OFFICE, pdf_response
from app.ticketing.schemas import (
    BoxOfficeOrderCreate,
    CancellationCreate,
    CancellationRead,
    MarkPaid,
    PlacedTicketOrder,
    TicketOrderCreate,
    TicketOrderRead,
)

CREATED = status.HTTP_201_CREATED
PLACING = (EventNotFound, *PLACING_ERRORS, 422)
"""What placing an order may answer, at the shop as at the box office."""
PDF = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}

shop_router = APIRouter(prefix="/shop", tags=["shop"], route_class=AppRoute)
office_router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices",
    tags=["ticketing"],
    route_class=AppRoute,
)
staff_router = APIRouter(prefix="/admin", tags=["billing_admin"], route_class=AppRoute)


async def _placed(session: Session, order: TicketOrder, key: str) -> PlacedTicketOrder:
    read = await orders.order_read(session, order)
    return PlacedTicketOrder.model_validate({**read.model_dump(), "access_key": key})


@shop_router.post(
    "/events/{event_id}/orders",
    status_code=CREATED,
    dependencies=[Depends(per_ip("shop_order", limit=20, per_seconds=60))],
)
@declares(PUBLIC, *PLACING, TooManyRequests)
async def place_order(
    event_id: uuid.UUID, body: TicketOrderCreate, by: ShopCustomer, session: Session
) -> PlacedTicketOrder:
    """Orders tickets of a published event with just an e-mail address, no account; the answer
    carries the order's secret `access_key`, and the confirmation mail its link.

    Paid by card at once, or on invoice: the order's invoice (with the Swiss QR-bill for CHF) is
    linked from the mail and the order; reminders follow, then automatic cancellation if unpaid.
    Emits `order.created` (and `order.paid` when paid). Limited to 20 orders a minute per IP.
    """
    event, office = await offices.get_published_event(session, event_id)
    order, access_key = await ticket_sales.place_order(
        session, office, event, body=body, channel=Channel.online, by=by
    )
    return await _placed(session, order, access_key)


@shop_router.get(
    "/orders/{access_key}/invoice.pdf",
    response_class=Response,
    responses={200: PDF, **problem_responses(OrderNotFound, OrderWithoutInvoice)},
)
@declares(PUBLIC)
async def download_invoice(access_key: str, session: Session) -> Response:
    """The invoice PDF of an order on invoice, from the order's secret link: with its payment
    slip (QR-bill for CHF) while unpaid, stamped paid once paid. Public; an order not on invoice
    answers 404 `order_invoice_not_found`."""
    order = await orders.get_order_by_access_key(session, access_key)
    return pdf_response(*await ticket_sales.invoice_pdf(session, order))


@office_router.post("/{ticket_office_id}/events/{event_id}/orders", status_code=CREATED)
@declares(WRITE, *OFFICE, *PLACING, ResellerQuotaExceeded, ResellerChannelReserved)
async def sell(
    event_id: uuid.UUID,
    body: BoxOfficeOrderCreate,
    office: OfficeSeller,
    session: Session,
    request: Request,
) -> PlacedTicketOrder:
    """Sells tickets at the box office, or as a reseller, published event or not, by a member
    with the `sell` right, paid by any of the office's methods: on invoice the order gets its
    invoice as in the shop, any other method counts as paid at once. The customer is mailed the
    confirmation with the order's link; emits `order.created` (and `order.paid`).

    An external member (a reseller) always sells on the `reseller` channel, within its own
    quota for each performance set by the organizer (beyond it: 409
    `reseller_quota_exceeded`, nothing sold); the channel is the resellers' own, so another
    member asking for it gets 422 `reseller_channel_reserved`."""
    event = await office_event(request, session, office.office, event_id)
    if office.access.role == Role.external:
        channel = Channel.reseller
    elif body.channel == Channel.reseller:
        raise ResellerChannelReserved("Only resellers (external members) sell as resellers.")
    else:
        channel = Channel.box_office
    order, access_key = await ticket_sales.place_order(
        session, office.office, event, body=body, channel=channel, by=office.actor
    )
    return await _placed(session, order, access_key)


@office_router.post("/{ticket_office_id}/orders/{order_id}/mark-paid")
@declares(WRITE, *OFFICE, OrderNotFound, OrderCancelled, OrderAlreadyPaid, 422)
async def mark_paid(
    order_id: uuid.UUID, body: MarkPaid, office: OfficeSeller, session: Session
) -> TicketOrderRead:
    """Records the payment of an order on invoice received by other means (a transfer matched by
    hand, cash): the order and its invoice are paid, its reminders and automatic cancellation
    are off, and `order.paid` is emitted. Needs the `sell` right."""
    order = await orders.get_order(session, office.office.id, order_id, for_update=True)
    await ticket_sales.mark_paid(session, order, reference=body.payment_reference, by=office.actor)
    return await orders.order_read(session, order)


@office_router.post("/{ticket_office_id}/orders/{order_id}/cancel")
@declares(
    WRITE,
    *OFFICE,
    OrderNotFound,
    OrderAlreadyCancelled,
    InvoiceOrderPartialCancel,
    TicketAlreadyCancelled,
    TicketCheckedIn,
    UnknownTicket,
    RefundExceedsTickets,
    CurrencyMismatch,
    RefundThroughInsurer,
    422,
)
async def cancel_order(
    order_id: uuid.UUID, body: CancellationCreate, office: OfficeSeller, session: Session
) -> CancellationRead:
    """Cancels the whole order (and its invoice, by a credit note) or chosen tickets of a paid
    one: the tickets become invalid at control, their seats are freed, a gift card paid with is
    credited back; the commission stays due. Refunds are only recorded: the organizer refunds by
    its own means. Mails the customer if asked; emits `order.cancelled` or `ticket.cancelled`.
    Tickets already checked in need `include_checked_in`. A paid order with cancellation
    insurance is refunded by the insurer, not the organizer: the cancellation records it
    (`refund_by` insurer, with the policy), the customer's mail gives the insurer's contact, and
    recording an organizer refund on it is refused (409 `refund_through_insurer`). Needs the
    `sell` right."""
    order = await orders.get_order(session, office.office.id, order_id, for_update=True)
    cancellation = await ticket_sales.cancel(session, order, body=body, by=office.actor)
    tickets = (await orders.tickets_of(session, [order.id]))[order.id]
    return orders.cancellation_read(cancellation, tickets, order.currency)


@office_router.get(
    "/{ticket_office_id}/orders/{order_id}/invoice.pdf",
    response_class=Response,
    responses={200: PDF, **problem_responses(*OFFICE, OrderNotFound, OrderWithoutInvoice)},
)
@declares(READ)
async def order_invoice_pdf(
    order_id: uuid.UUID, office: OfficeSeller, session: Session
) -> Response:
    """The invoice PDF of an order on invoice, as its customer gets it (with its payment slip
    while unpaid). Needs the `sell` right; an order not on invoice answers 404
    `order_invoice_not_found`."""
    order = await orders.get_order(session, office.office.id, order_id)
    return pdf_response(*await ticket_sales.invoice_pdf(session, order))


@staff_router.post(
    "/bank-transfers",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string"}}},
        }
    },
)
@declares(write_scope, 400, *STAFF_ERRORS, 413, UnsupportedMediaType, InvalidNotification)
async def import_bank_transfers(request: Request, by: Staff, session: Session) -> TransferImport:
    """Imports an ISO 20022 camt.054 or camt.053 bank file (the raw XML as the request body),
    by platform billing staff; entries already imported are counted as duplicates, not twice.
    Each credit is matched to an invoice by its reference; the answer tells what became of each
    (invoice paid, credited to a prepaid account, unassigned…). A credit paying a ticket order's
    invoice pays the order (its reminders stop, `order.paid` is emitted)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in ("application/xml", "text/xml"):
        raise UnsupportedMediaType("Send the camt file as application/xml.")
    return await ticket_sales.import_bank_transfers(session, await request.body(), by=by)
