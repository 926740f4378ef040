"""Sending the mail outbox: the ``mail`` kind of the outbox runner (``app.core.outbox``).

A due mail is leased in a short claiming transaction and rendered there from its template and
context (a mail queued before rendering moved here is sent with the subject and bodies it holds);
a mail that cannot be rendered is a failed attempt with its error, retried as any other. It is
sent outside that transaction over an SMTP connection
(one per lane; at most ``PER_SERVER`` lanes to the server), and its outcome recorded in another
short transaction. Two workers never send the same attempt; a worker killed mid-flight leaves a
mail that is retried (counted as an interrupted attempt) once its lease ends: at least once,
never lost.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock, outbox
from app.core.settings import Settings, get_settings
from app.notifications import context
from app.notifications.models import MailMessage, MailStatus
from app.notifications.rendering import render
from app.notifications.transport import (
    OutgoingMail,
    TransportUnavailable,
    build_message,
    open_transport,
)

log = structlog.get_logger("app.notifications")

BATCH_SIZE = 50
PER_SERVER = 2
"""SMTP connections open at once to the server."""
PER_CONNECTION = 25
"""Mails one connection takes before a second one is opened."""
LEASE = timedelta(minutes=10)
# The wait after the 1st, 2nd… failed attempt; the attempt after the last one is the final one.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
POLICY = outbox.RetryPolicy(RETRY_DELAYS)
MAX_ATTEMPTS = POLICY.max_attempts
ERROR_MAX_LENGTH = 2000


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return POLICY.delay(attempts)


def _error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]


def outgoing(mail: MailMessage, settings: Settings) -> OutgoingMail:
    """``mail`` as it is sent: rendered now, unless it holds its rendered subject and bodies.

    A mail that cannot be rendered comes back with its ``error`` (and nothing to send)."""
    if mail.subject is not None and mail.text_body is not None:
        return OutgoingMail.of(mail, mail.subject, mail.text_body, mail.html_body)
    try:
        if mail.context is None:
            raise ValueError("the mail holds neither a body nor a context")
        rendered = render(
            mail.template, mail.language, context.load(mail.context), public_url=settings.public_url
        )
    except Exception as error:  # any template, context or formatting failure
        return OutgoingMail.of(mail, "", "", None, error=f"rendering failed: {_error(error)}")
    return OutgoingMail.of(mail, rendered.subject, rendered.text, rendered.html)


async def _prepare(
    session: AsyncSession, mails: Sequence[MailMessage], settings: Settings
) -> list[OutgoingMail]:
    return [outgoing(mail, settings) for mail in mails]


def _target(mail: OutgoingMail, settings: Settings) -> str:
    if settings.smtp_host:
        return f"smtp://{settings.smtp_host}:{settings.smtp_port}"
    return "files"


@asynccontextmanager
async def _lane(target: str, settings: Settings) -> AsyncIterator[outbox.Sender[OutgoingMail]]:
    """One connection to the server; once it is unreachable, the lane's other mails are not
    tried (each is postponed with the same error)."""
    async with open_transport(settings) as transport:
        unavailable: TransportUnavailable | None = None

        async def send(claim: outbox.Claim[OutgoingMail]) -> outbox.Outcome:
            nonlocal unavailable
            if claim.payload.error is not None:
                return outbox.Outcome(error=claim.payload.error)
            if unavailable is not None:
                return outbox.Outcome(error=_error(unavailable))
            message = build_message(claim.payload, sender=settings.mail_from, now=clock.now())
            try:
                await transport.send(message)
            except TransportUnavailable as error:
                unavailable = error
                return outbox.Outcome(error=_error(error))
            except Exception as error:
                return outbox.Outcome(error=_error(error))
            return outbox.Outcome()

        yield send


async def _recorded(
    session: AsyncSession,
    mail: MailMessage,
    claim: outbox.Claim[Any],
    outcome: outbox.Outcome,
    now: datetime,
) -> None:
    if outcome.succeeded:
        log.info("mail_sent", mail_id=str(mail.id), template=mail.template, attempts=mail.attempts)
    elif mail.status == MailStatus.failed:
        log.error(
            "mail_failed",
            mail_id=str(mail.id),
            template=mail.template,
            attempts=mail.attempts,
            error=mail.last_error,
        )
    else:
        log.warning(
            "mail_retry_scheduled",
            mail_id=str(mail.id),
            template=mail.template,
            attempts=mail.attempts,
            next_attempt_at=mail.next_attempt_at.isoformat(),
            error=mail.last_error,
        )


MAIL: outbox.Kind[OutgoingMail] = outbox.register(
    outbox.Kind(
        name="mail",
        model=MailMessage,
        policy=POLICY,
        prepare=_prepare,
        target=_target,
        lane=_lane,
        done=MailStatus.sent,
        done_at="sent_at",
        lease=LEASE,
        per_target=PER_SERVER,
        lane_size=PER_CONNECTION,
        batch_size=BATCH_SIZE,
        on_recorded=_recorded,
        error_max_length=ERROR_MAX_LENGTH,
    )
)


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Sends up to ``batch_size`` due mails once; returns how many were attempted (sent or not).

    The worker runs the ``MAIL`` kind continuously (``outbox.Runner``); this is one round of it.
    """
    return await outbox.run_once(
        MAIL, sessionmaker, settings or get_settings(), batch_size=batch_size
    )
