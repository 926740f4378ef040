"""Handing messages over: to an SMTP server, or to .eml files when no server is configured."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import Policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

import aiosmtplib

from app.core import clock
from app.core.settings import Settings
from app.notifications.models import MailMessage


class TransportUnavailable(Exception):
    """No message can be handed over now (e.g. the SMTP server cannot be reached)."""


@dataclass(frozen=True)
class OutgoingMail:
    """What a claimed outbox mail needs to be sent, read (and rendered) in the claiming
    transaction. ``error``: it could not be rendered; there is nothing to send."""

    id: uuid.UUID
    to_address: str
    subject: str
    text_body: str
    html_body: str | None
    language: str
    template: str
    unsubscribe_url: str | None = None
    error: str | None = None

    @classmethod
    def of(
        cls,
        mail: MailMessage,
        subject: str,
        text_body: str,
        html_body: str | None,
        *,
        error: str | None = None,
    ) -> "OutgoingMail":
        return cls(
            id=mail.id,
            to_address=mail.to_address,
            subject=subject,
            text_body=text_body,
            html_body=html_body,
            language=mail.language,
            template=mail.template,
            unsubscribe_url=mail.unsubscribe_url,
            error=error,
        )


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hands ``message`` over; raises on failure."""

    async def close(self) -> None: ...


def build_message(mail: OutgoingMail, *, sender: str, now: datetime) -> EmailMessage:
    """The MIME message for ``mail``: text, and HTML as an alternative when it has one; a
    newsletter-type mail (with an unsubscribe URL) carries the one-click unsubscribe headers of
    RFC 8058 and is marked as bulk mail."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(now)
    # Derived from the outbox id, so a retried message keeps its Message-ID.
    message["Message-ID"] = f"<{mail.id}@{_domain_of(sender)}>"
    message["Auto-Submitted"] = "auto-generated"
    # Asks Exchange/Outlook not to answer with out-of-office replies.
    message["X-Auto-Response-Suppress"] = "All"
    if mail.unsubscribe_url:
        message.set_raw("List-Unsubscribe", _Verbatim("List-Unsubscribe", mail.unsubscribe_url))
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["Precedence"] = "bulk"
    message.set_content(mail.text_body)
    if mail.html_body:
        message.add_alternative(mail.html_body, subtype="html")
    # After the content: setting it drops every Content-* header.
    message["Content-Language"] = mail.language
    return message


class _Verbatim(str):
    """A header written on one line as it is: the email package would otherwise fold a URL
    longer than a line into RFC 2047 encoded words, which mail programs do not read as a URL in
    ``List-Unsubscribe`` (RFC 2369: ``<url>``; a line may hold 998 characters)."""

    name: str

    def __new__(cls, name: str, url: str) -> "_Verbatim":
        if any(character in url for character in "\r\n<> ") or len(url) > 900:
            raise ValueError(f"not a usable header URL: {url!r}")
        value = super().__new__(cls, f"<{url}>")
        value.name = name
        return value

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


@asynccontextmanager
async def open_transport(settings: Settings) -> AsyncIterator[Transport]:
    """SMTP when ``settings.smtp_host`` is set, otherwise files in ``data_dir/mail``."""
    transport: Transport
    if settings.smtp_host:
        transport = SmtpTransport(settings)
    else:
        transport = FileTransport(settings.data_dir / "mail")
    try:
        yield transport
    finally:
        await transport.close()


class SmtpTransport:
    """One SMTP connection, opened at the first message and reused for the following ones."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> None:
        client = self._client or await self._connect()
        try:
            await client.send_message(message)
        except Exception:
            # The session may be in any state: the next message starts on a fresh connection.
            await self.close()
            raise

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError):
            client.close()

    async def _connect(self) -> aiosmtplib.SMTP:
        settings = self._settings
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        client = aiosmtplib.SMTP(
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=password,
            use_tls=settings.smtp_security == "tls",
            start_tls=settings.smtp_security == "starttls",
            timeout=settings.smtp_timeout_seconds,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            client.close()
            raise TransportUnavailable(
                f"cannot reach SMTP server {settings.smtp_host}:{settings.smtp_port}: {error}"
            ) from error
        self._client = client
        return client


class FileTransport:
    """Development: each message becomes an .eml file that any mail program opens."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        message_id = str(message["Message-ID"]).strip("<>").split("@")[0]
        path = self.directory / f"{clock.now():%Y%m%d-%H%M%S}-{message_id}.eml"
        await asyncio.to_thread(self._write, path, bytes(message))

    async def close(self) -> None:
        return None

    def _write(self, path: Path, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"
