"""Support requests and their steps.

A client's member opens a request through the API: it is confirmed in writing from the start.
Partner staff record one from a phone call or a chat: it awaits the client's written
confirmation, and no time on it is due until then; a client's reply asking to go on is that
confirmation (and then all the time logged on it is due). The client may ask to stop at any
time: no time after the stop is due, and no work starting after it may be logged. Each step is
shown to the client with the time spent so far, and mailed to it in each reader's language.
"""

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.partner_services import journal, rate_cards
from app.partner_services.errors import RequestClosed, RequestNotFound
from app.partner_services.models import Intervention, RequestStep, SupportRequest
from app.partner_services.schemas import RequestCreate, RequestRead, StepRead, read_model
from app.partner_services.timing import Calendar, Quarters, quarters
from app.partner_services.types import Location, RequestChannel, RequestStatus, StepKind

FINISHED = frozenset({RequestStatus.stopped, RequestStatus.closed})


def requests_of(partner_id: uuid.UUID, client_id: uuid.UUID) -> Select[SupportRequest]:
    return select(SupportRequest).where(
        SupportRequest.partner_organization_id == partner_id,
        SupportRequest.client_organization_id == client_id,
    )


async def get_request(
    session: AsyncSession,
    partner_id: uuid.UUID,
    client_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> SupportRequest:
    return await one_or_raise(
        session,
        requests_of(partner_id, client_id).where(SupportRequest.id == request_id),
        RequestNotFound("No such support request."),
        for_update=for_update,
    )


def due_quarters(
    intervention: Intervention, request: SupportRequest, calendar: Calendar
) -> Quarters:
    """The quarter hours of remote work due: none before the written confirmation, none
    after a stop."""
    if request.confirmed_at is None or intervention.location != Location.remote:
        return Quarters()
    end = intervention.ended_at
    if request.stopped_at is not None:
        end = min(end, request.stopped_at)
    return quarters(intervention.started_at, end, calendar)


async def time_spent(session: AsyncSession, request: SupportRequest) -> int:
    card = await rate_cards.card_of(session, request.partner_organization_id)
    calendar = rate_cards.calendar_of(card)
    work = await session.scalars(select(Intervention).where(Intervention.request_id == request.id))
    return sum(due_quarters(item, request, calendar).minutes for item in work)


async def read(
    session: AsyncSession, request: SupportRequest, *, steps: bool = True
) -> RequestRead:
    found: Sequence[RequestStep] = []
    if steps:
        found = list(
            await session.scalars(
                select(RequestStep)
                .where(RequestStep.request_id == request.id)
                .order_by(RequestStep.position)
            )
        )
    return read_model(
        RequestRead,
        request,
        time_spent_minutes=await time_spent(session, request),
        steps=[StepRead.model_validate(step) for step in found],
    )


async def add_step(
    session: AsyncSession,
    request: SupportRequest,
    kind: StepKind,
    *,
    by: Actor,
    message: str | None = None,
    event: str,
    payload: Any = None,
) -> RequestRead:
    """Records the step, logs it in both organizations, emits ``event`` (with ``payload``, by
    default the request with its steps) and mails the client."""
    await session.flush()
    spent = await time_spent(session, request)
    steps = await session.scalar(select(func.count()).where(RequestStep.request_id == request.id))
    session.add(
        RequestStep(
            id=uuid.uuid4(),
            request_id=request.id,
            position=(steps or 0) + 1,
            kind=kind,
            status=request.status,
            message=message,
            account_id=by.account_id,
            time_spent_minutes=spent,
            at=clock.now(),
        )
    )
    await session.flush()
    result = await read(session, request)
    await journal.record(
        session,
        by,
        f"request_{kind.value}",
        partner_id=request.partner_organization_id,
        client_id=request.client_organization_id,
        details={"request_id": str(request.id), "status": str(request.status)},
        event=event,
        payload=result if payload is None else payload,
    )
    await journal.mail_client(
        session,
        request.client_organization_id,
        "service_request_updated",
        {
            "subject": request.subject,
            "step": kind.value,
            "status": str(request.status),
            "time_spent_minutes": spent,
            "request_url": journal.link(f"/partner-services/requests/{request.id}"),
        },
    )
    return result


async def open_request(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    client_id: uuid.UUID,
    body: RequestCreate,
    by_staff: bool,
    by: Actor,
) -> RequestRead:
    """A request written by a client's member, or recorded by partner staff from a call or a
    chat (then awaiting the client's written confirmation)."""
    channel = body.channel if by_staff else RequestChannel.api
    if by_staff and channel == RequestChannel.api:
        channel = RequestChannel.phone
    now = clock.now()
    written = channel == RequestChannel.api
    request = SupportRequest(
        id=uuid.uuid4(),
        partner_organization_id=partner_id,
        client_organization_id=client_id,
        subject=body.subject,
        description=body.description,
        channel=channel,
        status=RequestStatus.open if written else RequestStatus.awaiting_confirmation,
        opened_by=by.account_id,
        confirmed_at=now if written else None,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    return await add_step(
        session,
        request,
        StepKind.opened,
        by=by,
        message=body.description or None,
        event="service_request.opened",
    )


async def reply(
    session: AsyncSession,
    request: SupportRequest,
    *,
    message: str,
    go_on: bool,
    from_client: bool,
    by: Actor,
) -> RequestRead:
    """A message on the request; the client's asking to go on confirms a phone or chat one."""
    if request.status in FINISHED:
        raise RequestClosed("This request is stopped or closed.")
    confirms = from_client and go_on and request.status == RequestStatus.awaiting_confirmation
    if confirms:
        request.status = RequestStatus.open
        request.confirmed_at = clock.now()
    request.updated_at = clock.now()
    return await add_step(
        session,
        request,
        StepKind.confirmed if confirms else StepKind.replied,
        by=by,
        message=message,
        event="service_request.confirmed" if confirms else "service_request.replied",
    )


async def stop(session: AsyncSession, request: SupportRequest, *, by: Actor) -> RequestRead:
    """The client asks to stop: from now on no time is due."""
    if request.status in FINISHED:
        raise RequestClosed("This request is stopped or closed.")
    request.status = RequestStatus.stopped
    request.stopped_at = request.updated_at = clock.now()
    return await add_step(
        session, request, StepKind.stopped, by=by, event="service_request.stopped"
    )


async def close(session: AsyncSession, request: SupportRequest, *, by: Actor) -> RequestRead:
    """The partner closes a finished request (its time stays due)."""
    if request.status == RequestStatus.closed:
        raise RequestClosed("This request is closed.")
    request.status = RequestStatus.closed
    request.closed_at = request.updated_at = clock.now()
    return await add_step(session, request, StepKind.closed, by=by, event="service_request.closed")
