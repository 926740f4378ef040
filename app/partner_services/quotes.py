"""On-site quotes: written by partner staff, sent to the client, accepted (signed) by one of the
client's legal representatives or administrators. An accepted quote is invoiced once, with the
first invoice after the on-site work it covers."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import check_currency, format_minor
from app.organizations import service as organizations
from app.partner_services import journal, rate_cards
from app.partner_services.errors import QuoteAlreadyAccepted, QuoteNotFound, QuoteNotSent
from app.partner_services.models import Quote, SupportRequest
from app.partner_services.schemas import QuoteCreate, QuoteLineRead, QuoteRead, read_model
from app.partner_services.types import QuoteStatus


def quotes_of(partner_id: uuid.UUID, client_id: uuid.UUID) -> Select[Quote]:
    return select(Quote).where(
        Quote.partner_organization_id == partner_id, Quote.client_organization_id == client_id
    )


async def get_quote(
    session: AsyncSession,
    partner_id: uuid.UUID,
    client_id: uuid.UUID,
    quote_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Quote:
    return await one_or_raise(
        session,
        quotes_of(partner_id, client_id).where(Quote.id == quote_id),
        QuoteNotFound("No such quote."),
        for_update=for_update,
    )


def read(quote: Quote) -> QuoteRead:
    lines = [
        QuoteLineRead.model_validate({**line, "currency": quote.currency}) for line in quote.lines
    ]
    return read_model(QuoteRead, quote, lines=lines)


async def create(
    session: AsyncSession, request: SupportRequest, body: QuoteCreate, *, by: Actor
) -> QuoteRead:
    """A draft quote in the rate card's currency (each line's ``currency``, when given, must
    be it)."""
    card = await rate_cards.card_of(session, request.partner_organization_id)
    for line in body.lines:
        check_currency(line.currency, card.currency)
    lines = [line.model_dump(exclude={"currency"}) for line in body.lines]
    quote = Quote(
        id=uuid.uuid4(),
        partner_organization_id=request.partner_organization_id,
        client_organization_id=request.client_organization_id,
        request_id=request.id,
        title=body.title,
        lines=lines,
        net_minor=sum(line.quantity * line.unit_minor for line in body.lines),
        currency=card.currency,
        status=QuoteStatus.draft,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(quote)
    await session.flush()
    await _journal(session, quote, by, "quote_created")
    return read(quote)


async def send(session: AsyncSession, quote: Quote, *, by: Actor) -> QuoteRead:
    if quote.status == QuoteStatus.accepted:
        raise QuoteAlreadyAccepted("This quote is accepted already.")
    quote.status = QuoteStatus.sent
    quote.sent_at = quote.updated_at = clock.now()
    await session.flush()
    await _journal(session, quote, by, "quote_sent")
    partner = await organizations.organization_name(session, quote.partner_organization_id)
    await journal.mail_client(
        session,
        quote.client_organization_id,
        "partner_quote_sent",
        {
            "partner_name": partner or "",
            "quote_title": quote.title,
            "total": format_minor(quote.net_minor, quote.currency),
            "quote_url": journal.link(f"/partner-services/quotes/{quote.id}"),
        },
    )
    return read(quote)


async def accept(session: AsyncSession, quote: Quote, *, by: Actor) -> QuoteRead:
    """The client's signature (the route lets only its legal representatives and
    administrators, as members, call this)."""
    if quote.status == QuoteStatus.accepted:
        raise QuoteAlreadyAccepted("This quote is accepted already.")
    if quote.status != QuoteStatus.sent:
        raise QuoteNotSent("The partner has not sent this quote yet.")
    quote.status = QuoteStatus.accepted
    quote.accepted_at = quote.updated_at = clock.now()
    quote.accepted_by = by.account_id
    await session.flush()
    await _journal(session, quote, by, "quote_accepted", event="quote.accepted")
    return read(quote)


async def _journal(
    session: AsyncSession, quote: Quote, by: Actor, action: str, *, event: str | None = None
) -> None:
    await journal.record(
        session,
        by,
        action,
        partner_id=quote.partner_organization_id,
        client_id=quote.client_organization_id,
        details={"quote_id": str(quote.id), "net_minor": quote.net_minor},
        event=event,
        payload=read(quote),
    )
