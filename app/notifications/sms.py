"""Text messages: queued in the caller's transaction, sent by the worker through an HTTP gateway.

The gateway is any SMS provider's HTTP API taking ``{"to", "from", "text"}`` as JSON with a bearer
token (most accept this shape, or a small adapter in front does). Without a gateway configured,
messages are written as files in ``data_dir/sms`` so a newcomer sees them.
"""

import uuid

import httpx
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock
from app.core.settings import Settings, get_settings
from app.notifications.delivery import MAX_ATTEMPTS, RETRY_DELAYS
from app.notifications.models import MailStatus, SmsMessage

log = structlog.get_logger("app.notifications.sms")

BATCH_SIZE = 50
TEXTS = {
    "recovery_phone_code": {
        "fr": "Votre code de confirmation Manager : {code}. Il expire dans 15 minutes.",
        "en": "Your Manager confirmation code: {code}. It expires in 15 minutes.",
        "de": "Ihr Manager-Bestätigungscode: {code}. Er läuft in 15 Minuten ab.",
        "it": "Il suo codice di conferma Manager: {code}. Scade tra 15 minuti.",
        "es": "Su código de confirmación de Manager: {code}. Caduca en 15 minutos.",
    }
}


async def queue_sms(
    session: AsyncSession, *, to: str, text: str, language: str, **values: str
) -> None:
    """Adds the message ``text`` (a key of ``TEXTS``) in ``language`` to the outbox."""
    versions = TEXTS[text]
    body = versions.get(language, versions["en"]).format(**values)
    session.add(
        SmsMessage(
            id=uuid.uuid4(),
            to_number=to,
            text=body,
            status=MailStatus.pending,
            attempts=0,
            next_attempt_at=clock.now(),
            created_at=clock.now(),
        )
    )


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings | None = None
) -> int:
    """Sends the due messages (claimed with SKIP LOCKED); failures are retried with backoff."""
    settings = settings or get_settings()
    async with sessionmaker.begin() as session:
        messages = (
            await session.scalars(
                select(SmsMessage)
                .where(
                    SmsMessage.status == MailStatus.pending,
                    SmsMessage.next_attempt_at <= clock.now(),
                )
                .order_by(SmsMessage.next_attempt_at)
                .limit(BATCH_SIZE)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not messages:
            return 0
        async with httpx.AsyncClient(timeout=15, follow_redirects=False) as client:
            for message in messages:
                message.attempts += 1
                try:
                    await _send(client, settings, message)
                except Exception as error:  # any failure is retried: a message is never lost
                    log.warning("sms_failed", sms_id=str(message.id), error=str(error))
                    message.last_error = str(error)[:2000]
                    if message.attempts >= MAX_ATTEMPTS:
                        message.status = MailStatus.failed
                    else:
                        message.next_attempt_at = clock.now() + RETRY_DELAYS[message.attempts - 1]
                    continue
                message.status = MailStatus.sent
                message.sent_at = clock.now()
    return len(messages)


async def _send(client: httpx.AsyncClient, settings: Settings, message: SmsMessage) -> None:
    if settings.sms_gateway_url is None:
        folder = settings.data_dir / "sms"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id}.txt").write_text(f"To: {message.to_number}\n\n{message.text}\n")
        return
    token = settings.sms_gateway_token.get_secret_value() if settings.sms_gateway_token else ""
    response = await client.post(
        settings.sms_gateway_url,
        json={"to": message.to_number, "from": settings.sms_sender, "text": message.text},
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    response.raise_for_status()
