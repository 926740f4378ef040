"""Text messages: queued in the caller's transaction, sent by the worker through an HTTP gateway.

The gateway is any SMS provider's HTTP API taking ``{"to", "from", "text"}`` as JSON with a bearer
token (most accept this shape, or a small adapter in front does). Without a gateway configured,
messages are written as files in ``data_dir/sms`` so a newcomer sees them.
"""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock, outbox
from app.core.settings import Settings, get_settings
from app.notifications.delivery import POLICY
from app.notifications.models import MailStatus, SmsMessage

log = structlog.get_logger("app.notifications.sms")

BATCH_SIZE = 50
TIMEOUT_SECONDS = 15.0
PER_GATEWAY = 4
"""Requests in flight at once to the gateway."""
PER_LANE = 10
TEXTS = {
    "recovery_phone_code": {
        "fr": "Votre code de confirmation Manager : {code}. Il expire dans 15 minutes.",
        "en": "Your Manager confirmation code: {code}. It expires in 15 minutes.",
        "de": "Ihr Manager-Bestätigungscode: {code}. Er läuft in 15 Minuten ab.",
        "it": "Il suo codice di conferma Manager: {code}. Scade tra 15 minuti.",
        "es": "Su código de confirmación de Manager: {code}. Caduca en 15 minutos.",
    },
    "password_reset_code": {
        "fr": "Code de réinitialisation du mot de passe Manager : {code}. Il expire dans 15 "
        "minutes. Si vous ne l'avez pas demandé, ignorez ce message.",
        "en": "Your Manager password reset code: {code}. It expires in 15 minutes. If you did "
        "not ask for it, ignore this message.",
        "de": "Ihr Manager-Code zum Zurücksetzen des Passworts: {code}. Er läuft in 15 Minuten "
        "ab. Falls Sie ihn nicht angefordert haben, ignorieren Sie diese Nachricht.",
        "it": "Il suo codice Manager per reimpostare la password: {code}. Scade tra 15 minuti. "
        "Se non l'ha richiesto, ignori questo messaggio.",
        "es": "Su código de Manager para restablecer la contraseña: {code}. Caduca en 15 "
        "minutos. Si no lo ha solicitado, ignore este mensaje.",
    },
}


async def queue_sms(
    session: AsyncSession, *, to: str, text: str, language: str, **values: str
) -> None:
    """Adds the message ``text`` (a key of ``TEXTS``) in ``language`` to the outbox."""
    versions = TEXTS[text]
    body = versions.get(language, versions["en"]).format(**values)
    session.add(
        SmsMessage(
            to_number=to,
            text=body,
            status=MailStatus.pending,
            attempts=0,
            next_attempt_at=clock.now(),
        )
    )


@dataclass(frozen=True)
class OutgoingSms:
    id: uuid.UUID
    to_number: str
    text: str


async def _prepare(
    session: AsyncSession, messages: Sequence[SmsMessage], settings: Settings
) -> list[OutgoingSms]:
    return [OutgoingSms(message.id, message.to_number, message.text) for message in messages]


def _target(message: OutgoingSms, settings: Settings) -> str:
    return settings.sms_gateway_url or "files"


@asynccontextmanager
async def _lane(target: str, settings: Settings) -> AsyncIterator[outbox.Sender[OutgoingSms]]:
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:

        async def send(claim: outbox.Claim[OutgoingSms]) -> outbox.Outcome:
            try:
                await _send(client, settings, claim.payload)
            except Exception as error:  # any failure is retried: a message is never lost
                log.warning("sms_failed", sms_id=str(claim.id), error=str(error))
                return outbox.Outcome(error=str(error) or type(error).__name__)
            return outbox.Outcome()

        yield send


SMS: outbox.Kind[OutgoingSms] = outbox.register(
    outbox.Kind(
        name="sms",
        model=SmsMessage,
        policy=POLICY,
        prepare=_prepare,
        target=_target,
        lane=_lane,
        done=MailStatus.sent,
        done_at="sent_at",
        lease=timedelta(seconds=120),
        per_target=PER_GATEWAY,
        lane_size=PER_LANE,
        batch_size=BATCH_SIZE,
    )
)


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Sends the due messages once (the worker runs the ``SMS`` kind continuously); failures are
    retried on the mail schedule. Returns how many were attempted."""
    return await outbox.run_once(
        SMS, sessionmaker, settings or get_settings(), batch_size=batch_size
    )


async def _send(client: httpx.AsyncClient, settings: Settings, message: OutgoingSms) -> None:
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
