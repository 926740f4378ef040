"""/v1/organizations/{organization_id}/partner-services: a partner's own services to the client
organization in the path (and, on the partner's own organization, its rate card)."""

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Query, Response, status

from app.core import clock
from app.core.db import Session
from app.core.errors import CurrencyMismatch, problem_responses
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
    """The partner's rate card: its rates (excl. VAT), time zone, country and invoice
    numbering (the provider's terms until it sets its own). Called on the partner's own
    organization, by its legal representatives and administrators."""
    return rate_cards.read(await rate_cards.card_of(session, access.organization.id))


@router.patch("/rate-card")
@declares(WRITE, *PARTNER_ERRORS, UnknownCountry, 422)
async def update_rate_card(
    body: RateCardUpdate, access: PartnerManager, session: Session
) -> RateCardRead:
    """Changes the fields given of the partner's rate card (audited); work invoiced from now
    on uses them, what is already invoiced keeps its amounts. Called on the partner's own
    organization, by its legal representatives and administrators; 422
    `unknown_partner_country` for a country (or region) whose VAT or public holidays are not
    known."""
    card = await rate_cards.update(session, access.organization.id, body, by=access.actor)
    return rate_cards.read(card)


# --- contracts ---


@router.post("/contracts", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, CurrencyMismatch, 422)
async def create_contract(
    body: ContractCreate, scope: PartnerStaff, session: Session
) -> ContractRead:
    """Records the client's commitment to the partner (monthly amount in the rate card's
    currency, start, end, included minutes): each contract month is invoiced once, and a
    commitment of at least the card's threshold for a year puts the client under contract.
    For the partner's staff acting for the client; a `currency` other than the card's is
    refused (422 `currency_mismatch`)."""
    return await contracts.create(
        session, partner_id=scope.partner_id, client_id=scope.client_id, body=body, by=scope.actor
    )


@router.get("/contracts", response_model=Page[ContractRead])
@declares(READ, *LIST)
async def list_contracts(scope: Involved, session: Session, page: Pagination) -> dict[str, Any]:
    """The client's contracts with its partner, newest first. For the partner's staff and the
    client's members."""
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
    """Whether the client is under contract with its partner on a day (today by default),
    derived from its contracts: its work is then billed at the rates under contract. For the
    partner's staff and the client's members."""
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
    """Opens a support request to the partner: a client's member writes one (open at once);
    partner staff record one from a call or a chat (`channel`), which then awaits the client's
    written confirmation before any time is due. Emits `service_request.opened` to both
    organizations and mails the client's legal representatives and administrators."""
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
    """The client's support requests to its partner, newest first, without their steps. For
    the partner's staff and the client's members."""
    rows, cursor = await paginate(
        session, requests.requests_of(scope.partner_id, scope.client_id), page
    )
    return page_of([await requests.read(session, row, steps=False) for row in rows], cursor)


@router.get("/requests/{request_id}")
@declares(READ, *ACCESS_ERRORS, RequestNotFound)
async def read_request(request_id: uuid.UUID, scope: Involved, session: Session) -> RequestRead:
    """A support request with its status and each step with the time spent so far. For the
    partner's staff and the client's members."""
    found = await requests.get_request(session, scope.partner_id, scope.client_id, request_id)
    return await requests.read(session, found)


@router.post("/requests/{request_id}/replies", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, RequestClosed, 422)
async def reply_to_request(
    request_id: uuid.UUID, body: ReplyCreate, scope: Involved, session: Session
) -> RequestRead:
    """Adds a message to a request, from the partner's staff or a client's member; a client's
    reply asking to go on (`go_on`) confirms a phone or chat request in writing, making its
    work due. Emits `service_request.replied` (or `.confirmed`) and mails the client; 409
    `service_request_closed` once stopped or closed."""
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
    """The client asks the partner to stop: no work started after now is due. For the
    client's own members; emits `service_request.stopped` and mails the client; 409
    `service_request_closed` once stopped or closed."""
    found = await requests.get_request(
        session, scope.partner_id, scope.client_id, request_id, for_update=True
    )
    return await requests.stop(session, found, by=scope.actor)


@router.post("/requests/{request_id}/close")
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, RequestClosed)
async def close_request(
    request_id: uuid.UUID, scope: PartnerStaff, session: Session
) -> RequestRead:
    """Closes a finished request (the time logged stays due; nothing more can be logged). For
    the partner's staff acting for the client; emits `service_request.closed` and mails the
    client."""
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
    """Logs time worked on a request (start, end, remote or on site; the trip for on-site
    work), due by started quarter hour once the request is confirmed, 20 % more outside
    business hours. For the partner's staff acting for the client; emits
    `intervention.logged`. 409 `work_after_stop` for work starting after the client's stop."""
    found = await requests.get_request(
        session, scope.partner_id, scope.client_id, request_id, for_update=True
    )
    return await interventions.log(session, found, body, by=scope.actor)


@router.get("/requests/{request_id}/interventions", response_model=Page[InterventionRead])
@declares(READ, *LIST, RequestNotFound)
async def list_interventions(
    request_id: uuid.UUID, scope: Involved, session: Session, page: Pagination
) -> dict[str, Any]:
    """The time logged on a request, newest first, with the minutes due. For the partner's
    staff and the client's members."""
    found = await requests.get_request(session, scope.partner_id, scope.client_id, request_id)
    rows, cursor = await paginate(session, interventions.interventions_of(found.id), page)
    return page_of([await interventions.read(session, row, found) for row in rows], cursor)


# --- quotes ---


@router.post("/quotes", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, RequestNotFound, CurrencyMismatch, 422)
async def create_quote(body: QuoteCreate, scope: PartnerStaff, session: Session) -> QuoteRead:
    """Writes a draft quote for on-site work on a request, in the rate card's currency. For
    the partner's staff acting for the client; a line `currency` other than the card's is
    refused (422 `currency_mismatch`)."""
    found = await requests.get_request(session, scope.partner_id, scope.client_id, body.request_id)
    return await quotes.create(session, found, body, by=scope.actor)


@router.get("/quotes", response_model=Page[QuoteRead])
@declares(READ, *LIST)
async def list_quotes(scope: Involved, session: Session, page: Pagination) -> dict[str, Any]:
    """The partner's quotes to the client, newest first. For the partner's staff and the
    client's members."""
    rows, cursor = await paginate(
        session, quotes.quotes_of(scope.partner_id, scope.client_id), page
    )
    return page_of([quotes.read(row) for row in rows], cursor)


@router.post("/quotes/{quote_id}/send")
@declares(WRITE, *ACCESS_ERRORS, QuoteNotFound, QuoteAlreadyAccepted)
async def send_quote(quote_id: uuid.UUID, scope: PartnerStaff, session: Session) -> QuoteRead:
    """Sends the quote to the client (again, if already sent): its legal representatives and
    administrators are mailed it to sign. For the partner's staff acting for the client; 409
    `quote_already_accepted` once signed."""
    quote = await quotes.get_quote(
        session, scope.partner_id, scope.client_id, quote_id, for_update=True
    )
    return await quotes.send(session, quote, by=scope.actor)


@router.post("/quotes/{quote_id}/accept")
@declares(WRITE, *ACCESS_ERRORS, QuoteNotFound, QuoteNotSent, QuoteAlreadyAccepted)
async def accept_quote(quote_id: uuid.UUID, scope: Signatory, session: Session) -> QuoteRead:
    """Signs the quote: the on-site work it covers is invoiced at the quoted amount, with the
    first invoice after that work. For the client's own legal representatives and
    administrators; emits `quote.accepted`. 409 `quote_not_sent` before the partner sends it,
    `quote_already_accepted` once signed."""
    quote = await quotes.get_quote(
        session, scope.partner_id, scope.client_id, quote_id, for_update=True
    )
    return await quotes.accept(session, quote, by=scope.actor)


# --- invoices ---


@router.post("/invoices", status_code=CREATED)
@declares(WRITE, *ACCESS_ERRORS, NothingToInvoice)
async def issue_invoice(scope: PartnerStaff, session: Session) -> PartnerInvoiceRead:
    """Invoices in the partner's name everything due by the client and not invoiced yet
    (contract months begun, confirmed work, accepted quotes, travel), with the VAT of the
    partner's country, due in 30 days. For the partner's staff acting for the client; emits
    `partner_invoice.issued` and mails the client. 409 `nothing_to_invoice` when nothing is
    due."""
    invoice = await invoices.issue(
        session, partner_id=scope.partner_id, client_id=scope.client_id, by=scope.actor
    )
    return await invoices.read(session, invoice)


@router.get("/invoices", response_model=Page[PartnerInvoiceRead])
@declares(READ, *LIST)
async def list_invoices(
    reader: InvoiceReader, session: Session, page: Pagination
) -> dict[str, Any]:
    """The partner invoices of the client, newest first, without their lines (never the
    platform's: those are under /invoices). For the partner's staff (their partner's only)
    and the client's legal representatives and administrators, even once the partnership has
    ended."""
    rows, cursor = await paginate(
        session, invoices.invoices_of(reader.client_id, reader.partner_id), page
    )
    return page_of([invoices.summary(row) for row in rows], cursor)


@router.get("/invoices/{invoice_id}")
@declares(READ, *ACCESS_ERRORS, PartnerInvoiceNotFound)
async def read_invoice(
    invoice_id: uuid.UUID, reader: InvoiceReader, session: Session
) -> PartnerInvoiceRead:
    """A partner invoice with its lines. For the partner's staff (their partner's only) and the
    client's legal representatives and administrators."""
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
    """A partner invoice as a PDF, in the partner's name, with its payment reference. For the
    partner's staff (their partner's only) and the client's legal representatives and
    administrators."""
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
    """The reminders of a late invoice, newest first, each with the penalties owed at its
    date. For the partner's staff (their partner's only) and the client's legal
    representatives and administrators."""
    invoice = await invoices.get_invoice(
        session, reader.client_id, invoice_id, partner_id=reader.partner_id
    )
    rows, cursor = await paginate(session, invoices.reminders_of(invoice.id), page)
    return page_of([invoices.reminder_read(row, invoice) for row in rows], cursor)
