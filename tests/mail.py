"""Pytest plugin: a real SMTP server on loopback that receives what the worker sends.

A test queues mails the way the product does (through the API or a service), then::

    async def test_reset_link(db, mailbox):
        ...  # e.g. POST /v1/password-reset for ada@example.com
        await mailbox.deliver(db.sessionmaker)
        reset_url = mailbox.link_to("ada@example.com", "reset-password")

``mailbox.deliver`` runs the real delivery job (``deliver_due``) against the server, so what the
test reads is what a user would receive: headers, both parts, links. A test that reads a queued
mail's subject and bodies without sending it takes ``rendered(mail)``: the outbox holds the
template and its context, the worker renders them.
"""

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.settings import Settings, get_settings
from app.notifications.delivery import deliver_due, outgoing
from app.notifications.models import MailMessage
from app.notifications.transport import OutgoingMail

_URL = re.compile(r"https?://[^\s<>\"']+")


def rendered(mail: MailMessage, settings: Settings | None = None) -> OutgoingMail:
    """The outbox ``mail`` as the worker would send it now: subject, text and HTML bodies."""
    sent = outgoing(mail, settings or get_settings())
    assert sent.error is None, sent.error
    return sent


@dataclass
class SmtpServer:
    """An SMTP server listening on ``host``:``port`` that keeps every message it accepts."""

    host: str
    port: int
    received: list[tuple[tuple[str, ...], EmailMessage]] = field(default_factory=list)
    refuse_with: str | None = None
    """When set (e.g. ``"451 4.3.0 Try again later"``), every message is answered with this
    reply instead of being accepted."""
    refused_recipients: set[str] = field(default_factory=set)
    """Addresses (lower case) refused with ``550`` when a message is addressed to them."""

    @property
    def messages(self) -> list[EmailMessage]:
        """Every accepted message, oldest first."""
        return [message for _, message in self.received]

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refused_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        if self.refuse_with:
            return self.refuse_with
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        message = BytesParser(policy=policy.default).parsebytes(content)
        assert isinstance(message, EmailMessage)
        recipients = tuple(address.lower() for address in envelope.rcpt_tos)
        self.received.append((recipients, message))
        return "250 2.0.0 Message accepted"


@dataclass
class Mailbox:
    """Delivers the outbox to ``server`` and reads what arrived there."""

    server: SmtpServer
    settings: Settings
    """The application settings pointing at ``server`` (plain SMTP, no authentication)."""

    async def deliver(self, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        """Runs the delivery job until nothing is due; returns how many mails it attempted.

        Pass ``db.sessionmaker`` (or ``committed_db.sessionmaker``): mails queued in the test's
        transaction are delivered from it.
        """
        attempted = 0
        while handled := await deliver_due(sessionmaker, self.settings):
            attempted += handled
        return attempted

    def messages_to(self, address: str) -> list[EmailMessage]:
        """The messages received for ``address`` (any case), oldest first."""
        wanted = address.lower()
        return [message for recipients, message in self.server.received if wanted in recipients]

    def last_to(self, address: str) -> EmailMessage:
        """The latest message received for ``address``; fails the test when there is none."""
        messages = self.messages_to(address)
        if not messages:
            received_by = sorted({r for recipients, _ in self.server.received for r in recipients})
            raise AssertionError(f"no mail for {address}; mails went to {received_by or 'nobody'}")
        return messages[-1]

    def link_to(self, address: str, fragment: str) -> str:
        """The link containing ``fragment`` in the latest mail to ``address`` that has one.

        Mails queued together are sent concurrently, so the one a test looks for is not always
        the last to arrive: it is found by its link, not by its place.
        """
        for message in reversed(self.messages_to(address)):
            if found := [link for link in self.links(message) if fragment in link]:
                return found[0]
        raise AssertionError(f"no mail to {address} has a link containing {fragment!r}")

    @staticmethod
    def text(message: EmailMessage) -> str:
        """The plain-text part of ``message``."""
        part = message.get_body(preferencelist=("plain",))
        assert part is not None, "the message has no text part"
        content: str = part.get_content()
        return content

    @staticmethod
    def links(message: EmailMessage) -> list[str]:
        """The http(s) URLs in the text part, in order of appearance, each once.

        The action link of a mail comes first; the footer's link to the service comes last.
        """
        urls = (url.rstrip(".,;:!?)") for url in _URL.findall(Mailbox.text(message)))
        return list(dict.fromkeys(urls))


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, on a free port, for the test's duration."""
    recorder = SmtpServer(host="127.0.0.1", port=0)

    def protocol() -> Any:
        return SMTP(recorder, hostname="localhost", ident="test SMTP server")

    server = await asyncio.get_running_loop().create_server(protocol, recorder.host, 0)
    recorder.port = server.sockets[0].getsockname()[1]
    try:
        yield recorder
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
def mailbox(smtp_server: SmtpServer, settings: Settings) -> Mailbox:
    """Delivery to ``smtp_server`` with the test settings, and helpers to read the mails."""
    smtp_settings = settings.model_copy(
        update={
            "smtp_host": smtp_server.host,
            "smtp_port": smtp_server.port,
            "smtp_security": "none",
            "smtp_username": None,
            "smtp_password": None,
            "smtp_timeout_seconds": 5.0,
        }
    )
    return Mailbox(smtp_server, smtp_settings)
