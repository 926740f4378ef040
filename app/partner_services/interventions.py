"""Interventions: time partner staff log on a request (start, end, remote or on site).

Remote work is due by started quarter hour (``timing``). On-site work is quoted first: with an
accepted quote, the quote is invoiced; without one, only the trip (``rules.price_travel``).
Nothing may be logged on a closed request, nor work starting after the client's stop.
"""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.partner_services import quotes, rate_cards, requests
from app.partner_services.errors import QuoteNotForRequest, RequestClosed, WorkAfterStop
from app.partner_services.models import Intervention, SupportRequest
from app.partner_services.schemas import InterventionCreate, InterventionRead, read_model
from app.partner_services.types import Location, RequestStatus, StepKind


def interventions_of(request_id: uuid.UUID) -> Select[Intervention]:
    return select(Intervention).where(Intervention.request_id == request_id)


async def read(
    session: AsyncSession, item: Intervention, request: SupportRequest
) -> InterventionRead:
    calendar = rate_cards.calendar_of(
        await rate_cards.card_of(session, item.partner_organization_id)
    )
    due = requests.due_quarters(item, request, calendar)
    return read_model(
        InterventionRead,
        item,
        due_minutes=due.minutes,
        off_hours_minutes=15 * due.off_hours_count,
    )


async def log(
    session: AsyncSession, request: SupportRequest, body: InterventionCreate, *, by: Actor
) -> InterventionRead:
    if request.status == RequestStatus.closed:
        raise RequestClosed("This request is closed.")
    if request.stopped_at is not None and body.started_at >= request.stopped_at:
        raise WorkAfterStop("The client asked to stop before this work started.")
    if body.quote_id is not None:
        quote = await quotes.get_quote(
            session, request.partner_organization_id, request.client_organization_id, body.quote_id
        )
        if quote.request_id != request.id or body.location != Location.on_site:
            raise QuoteNotForRequest("The quote is for another request, or the work is remote.")
    item = Intervention(
        id=uuid.uuid4(),
        request_id=request.id,
        partner_organization_id=request.partner_organization_id,
        client_organization_id=request.client_organization_id,
        staff_account_id=by.account_id,
        started_at=body.started_at,
        ended_at=body.ended_at,
        location=body.location,
        description=body.description,
        quote_id=body.quote_id,
        distance_km=body.distance_km,
        travel_minutes=body.travel_minutes,
    )
    session.add(item)
    await session.flush()
    logged = await read(session, item, request)
    await requests.add_step(
        session,
        request,
        StepKind.intervention,
        by=by,
        message=body.description or None,
        event="intervention.logged",
        payload=logged,
    )
    return logged
