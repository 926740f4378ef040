"""Mails before a performance: the organizer schedules a message (practical information…) some
hours before a performance starts; the worker's sweep sends it once to every holder of a valid
ticket or pass of that performance, in the buyer's language.

Sending is idempotent: a due message is claimed with ``FOR UPDATE SKIP LOCKED``, its mails are
queued in the outbox and its ``sent_at`` set in that one transaction, so two workers never send
it twice and a worker dying half-way sends nothing. Cancelled tickets, orders and passes are left
out; a buyer with several orders (or a pass too) gets the message once. A message still unsent
when its performance starts is not sent any more.
"""

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.notifications.service import queue_mail
from app.ticketing import control, offices
from app.ticketing.errors import PreEventMailNotFound, PreEventMailSent, PreEventMailTooLate
from app.ticketing.models import (
    Event,
    Performance,
    PreEventMail,
    SoldPass,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketOrderStatus,
    TicketStatus,
)
from app.ticketing.pass_schemas import (
    PreEventMailCreate,
    PreEventMailRead,
    PreEventMailUpdate,
)

HOUR: ColumnElement[timedelta] = literal_column("interval '1 hour'")


def _send_at(performance: Performance, hours_before: int) -> datetime:
    return performance.starts_at - timedelta(hours=hours_before)


def _check_in_time(performance: Performance, hours_before: int) -> None:
    if _send_at(performance, hours_before) <= clock.now():
        raise PreEventMailTooLate(
            "That moment has passed: schedule it fewer hours before the performance."
        )


async def create(
    session: AsyncSession, office: TicketOffice, *, body: PreEventMailCreate, by: Actor
) -> PreEventMail:
    performance = await control.performance_of(session, office, body.performance_id)
    _check_in_time(performance, body.hours_before)
    now = clock.now()
    mail = PreEventMail(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        performance_id=performance.id,
        hours_before=body.hours_before,
        subject=body.subject,
        body=body.body,
        translations={lang: text.model_dump() for lang, text in body.translations.items()},
        created_at=now,
        updated_at=now,
    )
    session.add(mail)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.pre_event_mail_scheduled",
        office,
        {"pre_event_mail_id": str(mail.id), "performance_id": str(performance.id)},
    )
    return mail


def mails_of(office_id: uuid.UUID, performance_id: uuid.UUID | None) -> Select[PreEventMail]:
    statement = select(PreEventMail).where(PreEventMail.ticket_office_id == office_id)
    if performance_id is not None:
        statement = statement.where(PreEventMail.performance_id == performance_id)
    return statement


async def get(
    session: AsyncSession, office_id: uuid.UUID, mail_id: uuid.UUID, *, for_update: bool = False
) -> PreEventMail:
    statement = select(PreEventMail).where(
        PreEventMail.id == mail_id, PreEventMail.ticket_office_id == office_id
    )
    return await one_or_raise(
        session,
        statement,
        PreEventMailNotFound("No such scheduled mail."),
        for_update=for_update,
    )


def _unsent(mail: PreEventMail) -> None:
    if mail.sent_at is not None:
        raise PreEventMailSent("This message was already sent.")


async def update(
    session: AsyncSession,
    office: TicketOffice,
    mail: PreEventMail,
    *,
    body: PreEventMailUpdate,
    by: Actor,
) -> PreEventMail:
    """Changes a message not sent yet (whose row the caller holds locked)."""
    _unsent(mail)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("hours_before") is not None:
        performance = await session.get(Performance, mail.performance_id)
        assert performance is not None
        _check_in_time(performance, body.hours_before or 0)
        mail.hours_before = body.hours_before or 0
    if body.subject is not None:
        mail.subject = body.subject
    if body.body is not None:
        mail.body = body.body
    if body.translations is not None:
        mail.translations = {lang: text.model_dump() for lang, text in body.translations.items()}
    mail.updated_at = clock.now()
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.pre_event_mail_updated",
        office,
        {"pre_event_mail_id": str(mail.id), "changes": sorted(changes)},
    )
    return mail


async def delete(
    session: AsyncSession, office: TicketOffice, mail: PreEventMail, *, by: Actor
) -> None:
    """Deletes a message not sent yet (whose row the caller holds locked)."""
    _unsent(mail)
    await session.delete(mail)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.pre_event_mail_deleted",
        office,
        {"pre_event_mail_id": str(mail.id), "performance_id": str(mail.performance_id)},
    )


async def reads(session: AsyncSession, mails: Sequence[PreEventMail]) -> list[PreEventMailRead]:
    starts = {}
    ids = {mail.performance_id for mail in mails}
    if ids:
        rows = await session.execute(
            select(Performance.id, Performance.starts_at).where(Performance.id.in_(ids))
        )
        starts = {row.id: row.starts_at for row in rows}
    return [
        PreEventMailRead.model_validate(
            {
                "id": mail.id,
                "ticket_office_id": mail.ticket_office_id,
                "performance_id": mail.performance_id,
                "hours_before": mail.hours_before,
                "subject": mail.subject,
                "body": mail.body,
                "translations": mail.translations,
                "send_at": starts[mail.performance_id] - timedelta(hours=mail.hours_before),
                "sent_at": mail.sent_at,
                "recipients": mail.recipients,
                "created_at": mail.created_at,
                "updated_at": mail.updated_at,
            }
        )
        for mail in mails
    ]


# --- The sweep (app/ticketing/jobs.py runs it) ---


async def claim_due(session: AsyncSession) -> PreEventMail | None:
    """One message due now and unsent, locked; those another worker holds are skipped."""
    now = clock.now()
    return await session.scalar(
        select(PreEventMail)
        .join(Performance, Performance.id == PreEventMail.performance_id)
        .where(
            PreEventMail.sent_at.is_(None),
            Performance.starts_at <= now + PreEventMail.hours_before * HOUR,
            Performance.starts_at > now,
        )
        .order_by(Performance.starts_at, PreEventMail.id)
        .limit(1)
        .with_for_update(of=PreEventMail, skip_locked=True)
    )


async def recipients(
    session: AsyncSession, performance_id: uuid.UUID
) -> list[tuple[str, str, str]]:
    """(e-mail, name, language) of every holder of a valid ticket or pass of the performance,
    each address once (its earliest purchase's name and language)."""
    ticket_buyers = await session.execute(
        select(
            TicketOrder.customer_email,
            TicketOrder.customer_name,
            TicketOrder.customer_language,
            TicketOrder.created_at,
        ).where(
            TicketOrder.status != TicketOrderStatus.cancelled,
            select(Ticket.id)
            .where(
                Ticket.order_id == TicketOrder.id,
                Ticket.performance_id == performance_id,
                Ticket.status == TicketStatus.valid,
            )
            .exists(),
        )
    )
    pass_holders = await session.execute(
        select(
            SoldPass.customer_email,
            SoldPass.customer_name,
            SoldPass.customer_language,
            SoldPass.created_at,
        ).where(
            SoldPass.status == TicketStatus.valid,
            SoldPass.performance_ids.contains([performance_id]),
        )
    )
    found: dict[str, tuple[str, str, str]] = {}
    for email, name, language, _ in sorted([*ticket_buyers, *pass_holders], key=lambda row: row[3]):
        found.setdefault(email.lower(), (email, name, language))
    return list(found.values())


async def send(session: AsyncSession, mail: PreEventMail) -> int:
    """Queues the message to every holder (in their language) and marks it sent."""
    row = (
        await session.execute(
            select(Performance, Event, TicketOffice)
            .join(Event, Event.id == Performance.event_id)
            .join(TicketOffice, TicketOffice.id == Event.ticket_office_id)
            .where(Performance.id == mail.performance_id)
        )
    ).one()
    performance, event, office = row
    starts_at = performance.starts_at.astimezone(ZoneInfo(office.time_zone))
    to = await recipients(session, performance.id)
    for email, name, language in to:
        text = mail.translations.get(language) or {"subject": mail.subject, "body": mail.body}
        await queue_mail(
            session,
            to=email,
            template="pre_event_message",
            language=language,
            context={
                "recipient_name": name,
                "subject": text["subject"],
                "message": text["body"],
                "event_name": event.name,
                "starts_at": starts_at.strftime("%Y-%m-%d %H:%M"),
                "venue": performance.venue,
            },
        )
    mail.sent_at = clock.now()
    mail.recipients = len(to)
    await session.flush()
    await offices.record(
        session,
        Actor.system(),
        "ticketing.pre_event_mail_sent",
        office,
        {"pre_event_mail_id": str(mail.id), "recipients": len(to)},
    )
    return len(to)
