"""/v1/organizations/{organization_id}/partner-services: a partner's own services to the client
organization in the path (and, on the partner's own organization, its rate card)."""

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Response, status

from app.core import clock
from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations.permissions import ACCESS_ERRORS, PARTNER_ERRORS, PartnerManager
from app.partner_services import (
    contracts,
    interventions,
    invoices,
    quotes,
    rate_cards,
    requests,
)
from app.partner_services.deps import (
    READ,
    WRITE,
    ClientMember,
    InvoiceReader,
    Involved,
    PartnerStaff,
    Signatory,
)
from app.partner_services.errors import (
    NothingToInvoice,
    PartnerInvoiceNotFound,
    QuoteAlreadyAccepted,
    QuoteNotForRequest,
    QuoteNotFound,
    QuoteNotSent,
    RequestClosed,
    RequestNotFound,
    UnknownCountry,
    WorkAfterStop,
)
from app.partner_services.schemas import (
    ContractCreate,
    ContractRead,
    ContractStatus,
    InterventionCreate,
    InterventionRead,
    PartnerInvoiceRead,
    QuoteCreate,
    QuoteRead,
    RateCardRead,
    RateCardUpdate,
    ReminderRead,
    ReplyCreate,
    RequestCreate,
    RequestRead,
)

router = APIRouter(
    prefix="/organizations/{organization_id}/partner-services",
    tags=["partner_services"],
    route_class=AppRoute,
)
CREATED = status.HTTP_201_CREATED
LIST = (*ACCESS_ERRORS, InvalidCursor, 422)


# --- the partner's own rate card ---


@router.get("/rate-card")
@declares(READ, *PARTNER_ERRORS)
async def read_rate_card(access: PartnerManager, session: Session) -> RateCardRead:
    """The partner's rates (excl. VAT), time zone, country and invoice numbering."""
    return rate_cards.read(await rate_cards.card_of(session, access.organization.id))


@router.patch("/rate-card")
@declares(WRITE, *PARTNER_ERRORS, UnknownCountry, 422)
async def update_rate_card(
    body: RateCardUpdate, access: PartnerManager, session: Session
) -> RateCardRead:
    card = await rate_cards.update(session, access.organization.id, body, by=access.actor)
    return rate_cards.read(card)


# --- contracts ---


@router.post("/contracts", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, 422)
async def create_contract(
    body: ContractCreate, scope: PartnerStaff, session: Session
) -> ContractRead:
    """Records the client's commitment (monthly amount, start, end, included minutes)."""
    return await contracts.create(
        session, partner_id=scope.partner_id, client_id=scope.client_id, body=body, by=scope.actor
    )


@router.get("/contracts", response_model=Page[ContractRead])
@declares(READ, *LIST)
async def list_contracts(scope: Involved, session: Session, page: Pagination) -> dict[str, Any]:
    card = await rate_cards.card_of(session, scope.partner_id)
    rows, cursor = await paginate(
        session, contracts.contracts_of(scope.partner_id, scope.client_id), page
    )
    return page_of([contracts.read(row, card) for row in rows], cursor)


@router.get("/contract-status")
@declares(READ, *ACCESS_ERRORS, 422)
async def read_contract_status(
    scope: Involved, session: Session, on: date | None = Query(default=None)
) -> ContractStatus:
    """Whether the client is under contract (derived from its contracts) on a day (today)."""
    day = on or clock.now().date()
    return ContractStatus(
        partner_organization_id=scope.partner_id,
        client_organization_id=scope.client_id,
        under_contract=await contracts.under_contract(
            session, scope.partner_id, scope.client_id, day
        ),
        on=day,
    )


# --- support requests ---


@router.post("/requests", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, 422)
async def open_request(body: RequestCreate, scope: Involved, session: Session) -> RequestRead:
    """A client's member writes a request; partner staff record one from a call or a chat
    (``channel``), which then awaits the client's written confirmation."""
    return await requests.open_request(
        session,
        partner_id=scope.partner_id,
        client_id=scope.client_id,
        body=body,
        by_staff=scope.staff,
        by=scope.actor,
    )


@router.get("/requests", response_model=Page[RequestRead])
@declares(READ, *LIST)
async def list_requests(scope: Involved, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session, requests.requests_of(scope.partner_id, scope.client_id), page
    )
    return page_of([await requests.read(session, row, steps=False) for row in rows], cursor)


@router.get("/requests/{request_id}")
@declares(READ, *ACCESS_ERRORS, RequestNotFound)
async def read_request(request_id: uuid.UUID, scope: Involved, session: Session) -> RequestRead:
    """The request's state and each step with the time spent so far."""
    found = await requests.get_request(session, scope.partner_id, scope.client_id, request_id)
    return await requests.read(session, found)


@router.post("/requests/{request_id}/replies", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, RequestClosed, 422)
async def reply_to_request(
    request_id: uuid.UUID, body: ReplyCreate, scope: Involved, session: Session
) -> RequestRead:
    """A message; the client's asking to go on confirms a phone or chat request in writing."""
    found = await requests.get_request(
        session, scope.partner_id, scope.client_id, request_id, for_update=True
    )
    return await requests.reply(
        session,
        found,
        message=body.message,
        go_on=body.go_on,
        from_client=not scope.staff,
        by=scope.actor,
    )


@router.post("/requests/{request_id}/stop")
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, RequestClosed)
async def stop_request(request_id: uuid.UUID, scope: ClientMember, session: Session) -> RequestRead:
    """The client asks to stop: no time after now is due."""
    found = await requests.get_request(
        session, scope.partner_id, scope.client_id, request_id, for_update=True
    )
    return await requests.stop(session, found, by=scope.actor)


@router.post("/requests/{request_id}/close")
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, RequestClosed)
async def close_request(
    request_id: uuid.UUID, scope: PartnerStaff, session: Session
) -> RequestRead:
    found = await requests.get_request(
        session, scope.partner_id, scope.client_id, request_id, for_update=True
    )
    return await requests.close(session, found, by=scope.actor)


# --- interventions ---


@router.post("/requests/{request_id}/interventions", status_code=CREATED)
@declares(
    WRITE,
    *ACCESS_ERRORS,
    RequestNotFound,
    RequestClosed,
    WorkAfterStop,
    QuoteNotFound,
    QuoteNotForRequest,
    422,
)
async def log_intervention(
    request_id: uuid.UUID, body: InterventionCreate, scope: PartnerStaff, session: Session
) -> InterventionRead:
    """Time worked (start, end, remote or on site; the trip for on-site work)."""
    found = await requests.get_request(
        session, scope.partner_id, scope.client_id, request_id, for_update=True
    )
    return await interventions.log(session, found, body, by=scope.actor)


@router.get("/requests/{request_id}/interventions", response_model=Page[InterventionRead])
@declares(READ, *LIST, RequestNotFound)
async def list_interventions(
    request_id: uuid.UUID, scope: Involved, session: Session, page: Pagination
) -> dict[str, Any]:
    found = await requests.get_request(session, scope.partner_id, scope.client_id, request_id)
    rows, cursor = await paginate(session, interventions.interventions_of(found.id), page)
    return page_of([await interventions.read(session, row, found) for row in rows], cursor)


# --- quotes ---


@router.post("/quotes", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, 422)
async def create_quote(body: QuoteCreate, scope: PartnerStaff, session: Session) -> QuoteRead:
    found = await requests.get_request(session, scope.partner_id, scope.client_id, body.request_id)
    return await quotes.create(session, found, body, by=scope.actor)


@router.get("/quotes", response_model=Page[QuoteRead])
@declares(READ, *LIST)
async def list_quotes(scope: Involved, session: Session, page: Pagination) -> dict[str, Any]:
    rows, cursor = await paginate(
        session, quotes.quotes_of(scope.partner_id, scope.client_id), page
    )
    return page_of([quotes.read(row) for row in rows], cursor)


@router.post("/quotes/{quote_id}/send")
@declares(WRITE, *ACCESS_ERRORS, QuoteNotFound, QuoteAlreadyAccepted)
async def send_quote(quote_id: uuid.UUID, scope: PartnerStaff, session: Session) -> QuoteRead:
    quote = await quotes.get_quote(
        session, scope.partner_id, scope.client_id, quote_id, for_update=True
    )
    return await quotes.send(session, quote, by=scope.actor)


@router.post("/quotes/{quote_id}/accept")
@declares(WRITE, *ACCESS_ERRORS, QuoteNotFound, QuoteNotSent, QuoteAlreadyAccepted)
async def accept_quote(quote_id: uuid.UUID, scope: Signatory, session: Session) -> QuoteRead:
    """The client's legal representative or administrator signs the quote."""
    quote = await quotes.get_quote(
        session, scope.partner_id, scope.client_id, quote_id, for_update=True
    )
    return await quotes.accept(session, quote, by=scope.actor)


# --- invoices ---


@router.post("/invoices", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, NothingToInvoice)
async def issue_invoice(scope: PartnerStaff, session: Session) -> PartnerInvoiceRead:
    """Invoices in the partner's name everything due by the client and not invoiced yet."""
    invoice = await invoices.issue(
        session, partner_id=scope.partner_id, client_id=scope.client_id, by=scope.actor
    )
    return await invoices.read(session, invoice)


@router.get("/invoices", response_model=Page[PartnerInvoiceRead])
@declares(READ, *LIST)
async def list_invoices(
    reader: InvoiceReader, session: Session, page: Pagination
) -> dict[str, Any]:
    """The partner invoices of the client (never the platform's: those are under /invoices)."""
    rows, cursor = await paginate(
        session, invoices.invoices_of(reader.client_id, reader.partner_id), page
    )
    return page_of([invoices.summary(row) for row in rows], cursor)


@router.get("/invoices/{invoice_id}")
@declares(READ, *ACCESS_ERRORS, PartnerInvoiceNotFound)
async def read_invoice(
    invoice_id: uuid.UUID, reader: InvoiceReader, session: Session
) -> PartnerInvoiceRead:
    invoice = await invoices.get_invoice(
        session, reader.client_id, invoice_id, partner_id=reader.partner_id
    )
    return await invoices.read(session, invoice)


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **problem_responses(*ACCESS_ERRORS, PartnerInvoiceNotFound),
    },
)
@declares(READ)
async def download_invoice(
    invoice_id: uuid.UUID, reader: InvoiceReader, session: Session
) -> Response:
    invoice = await invoices.get_invoice(
        session, reader.client_id, invoice_id, partner_id=reader.partner_id
    )
    return Response(
        await invoices.pdf_of(session, invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="invoice-{invoice.number}.pdf"'},
    )


@router.get("/invoices/{invoice_id}/reminders", response_model=Page[ReminderRead])
@declares(READ, *LIST, PartnerInvoiceNotFound)
async def list_reminders(
    invoice_id: uuid.UUID, reader: InvoiceReader, session: Session, page: Pagination
) -> dict[str, Any]:
    """The reminders of a late invoice, each with the penalties owed at its date."""
    invoice = await invoices.get_invoice(
        session, reader.client_id, invoice_id, partner_id=reader.partner_id
    )
    rows, cursor = await paginate(session, invoices.reminders_of(invoice.id), page)
    return page_of([invoices.reminder_read(row) for row in rows], cursor)
