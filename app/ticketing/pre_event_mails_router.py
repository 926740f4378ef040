"""/v1/organizations/{organization_id}/ticket-offices/{ticket_office_id}/pre-event-mails:
messages the office's managers schedule to a performance's ticket and pass holders."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.core.db import Session
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.ticketing import pre_event_mails
from app.ticketing.deps import READ, WRITE, OfficeManager
from app.ticketing.errors import (
    PerformanceNotFound,
    PreEventMailNotFound,
    PreEventMailSent,
    PreEventMailTooLate,
)
from app.ticketing.pass_schemas import PreEventMailCreate, PreEventMailRead, PreEventMailUpdate
from app.ticketing.router import OFFICE

router = APIRouter(
    prefix="/organizations/{organization_id}/ticket-offices/{ticket_office_id}/pre-event-mails",
    tags=["ticketing"],
    route_class=AppRoute,
)


@router.post("", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *OFFICE, PerformanceNotFound, PreEventMailTooLate, 422)
async def schedule_pre_event_mail(
    body: PreEventMailCreate, office: OfficeManager, session: Session
) -> PreEventMailRead:
    """Schedules a message to the holders of valid tickets and passes of a performance,
    `hours_before` it starts (48: two days before): the worker sends it once to each address,
    in the buyer's language when a translation is given (else the default text); cancelled
    tickets and passes are left out. Needs the `manage` right; a moment already past answers
    422 `pre_event_mail_too_late`."""
    mail = await pre_event_mails.create(session, office.office, body=body, by=office.actor)
    return (await pre_event_mails.reads(session, [mail]))[0]


@router.get("", response_model=Page[PreEventMailRead])
@declares(READ, *OFFICE, 422)
async def list_pre_event_mails(
    office: OfficeManager,
    session: Session,
    page: Pagination,
    performance_id: Annotated[
        uuid.UUID | None, Query(description="Only the messages of this performance.")
    ] = None,
) -> dict[str, Any]:
    """The office's scheduled messages, sent or not, newest first. Needs the `manage` right."""
    rows, cursor = await paginate(
        session, pre_event_mails.mails_of(office.office.id, performance_id), page
    )
    return page_of(await pre_event_mails.reads(session, rows), cursor)


@router.get("/{pre_event_mail_id}")
@declares(READ, *OFFICE, PreEventMailNotFound)
async def read_pre_event_mail(
    pre_event_mail_id: uuid.UUID, office: OfficeManager, session: Session
) -> PreEventMailRead:
    """One scheduled message, with when it is due and, once sent, to how many addresses.
    Needs the `manage` right."""
    mail = await pre_event_mails.get(session, office.office.id, pre_event_mail_id)
    return (await pre_event_mails.reads(session, [mail]))[0]


@router.patch("/{pre_event_mail_id}")
@declares(WRITE, *OFFICE, PreEventMailNotFound, PreEventMailSent, PreEventMailTooLate, 422)
async def update_pre_event_mail(
    pre_event_mail_id: uuid.UUID,
    body: PreEventMailUpdate,
    office: OfficeManager,
    session: Session,
) -> PreEventMailRead:
    """Changes a message's timing, text or translations until it is sent (then 409
    `pre_event_mail_sent`). Needs the `manage` right."""
    mail = await pre_event_mails.get(session, office.office.id, pre_event_mail_id, for_update=True)
    await pre_event_mails.update(session, office.office, mail, body=body, by=office.actor)
    return (await pre_event_mails.reads(session, [mail]))[0]


@router.delete("/{pre_event_mail_id}", status_code=status.HTTP_204_NO_CONTENT)
@declares(WRITE, *OFFICE, PreEventMailNotFound, PreEventMailSent)
async def delete_pre_event_mail(
    pre_event_mail_id: uuid.UUID, office: OfficeManager, session: Session
) -> None:
    """Deletes a message not sent yet (a sent one stays, as a record: 409
    `pre_event_mail_sent`). Needs the `manage` right."""
    mail = await pre_event_mails.get(session, office.office.id, pre_event_mail_id, for_update=True)
    await pre_event_mails.delete(session, office.office, mail, by=office.actor)
