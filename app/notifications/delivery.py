"""The worker job that sends due mails from the outbox, retrying failures with backoff.

A batch is claimed with ``FOR UPDATE SKIP LOCKED`` and its rows stay locked until each mail is
sent and marked, in one transaction: two workers never send the same mail. Should that
transaction fail to commit after sending, the mails are sent again (at least once, never lost).
"""

from datetime import timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock
from app.core.settings import Settings, get_settings
from app.notifications.models import MailMessage, MailStatus
from app.notifications.transport import TransportUnavailable, build_message, open_transport

log = structlog.get_logger("app.notifications")

BATCH_SIZE = 50
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
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
ERROR_MAX_LENGTH = 2000


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Sends up to ``batch_size`` due mails; returns how many were attempted (sent or not)."""
    settings = settings or get_settings()
    async with sessionmaker.begin() as session:
        mails = (
            await session.scalars(
                select(MailMessage)
                .where(
                    MailMessage.status == MailStatus.pending,
                    MailMessage.next_attempt_at <= clock.now(),
                )
                .order_by(MailMessage.next_attempt_at)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not mails:
            return 0
        async with open_transport(settings) as transport:
            unavailable: TransportUnavailable | None = None
            for mail in mails:
                if unavailable is not None:
                    # Not tried: the transport already failed for this batch.
                    _record_failure(mail, unavailable)
                    continue
                try:
                    await transport.send(
                        build_message(mail, sender=settings.mail_from, now=clock.now())
                    )
                except TransportUnavailable as error:
                    unavailable = error
                    _record_failure(mail, error)
                except Exception as error:
                    _record_failure(mail, error)
                else:
                    _record_sent(mail)
    return len(mails)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    return RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]


def _record_sent(mail: MailMessage) -> None:
    mail.attempts += 1
    mail.status = MailStatus.sent
    mail.sent_at = clock.now()
    mail.last_error = None
    log.info("mail_sent", mail_id=str(mail.id), template=mail.template, attempts=mail.attempts)


def _record_failure(mail: MailMessage, error: Exception) -> None:
    mail.attempts += 1
    mail.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    if mail.attempts >= MAX_ATTEMPTS:
        mail.status = MailStatus.failed
        log.error(
            "mail_failed",
            mail_id=str(mail.id),
            template=mail.template,
            attempts=mail.attempts,
            error=mail.last_error,
        )
        return
    mail.next_attempt_at = clock.now() + retry_delay(mail.attempts)
    log.warning(
        "mail_retry_scheduled",
        mail_id=str(mail.id),
        template=mail.template,
        attempts=mail.attempts,
        next_attempt_at=mail.next_attempt_at.isoformat(),
        error=mail.last_error,
    )
