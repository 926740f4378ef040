"""deliver_due: the outbox sent through a real SMTP server, retried with backoff, never twice."""

import email.utils
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import aiosmtplib
import pytest
import time_machine

from app.core import clock, outbox
from app.core.db import Database
from app.core.jobs import Service
from app.core.settings import Settings
from app.notifications.delivery import (
    LEASE,
    MAIL,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    deliver_due,
    retry_delay,
)
from app.notifications.models import MailStatus
from app.notifications.transport import SmtpTransport
from app.worker import JOBS, KINDS
from tests.mail import Mailbox
from tests.notifications.samples import outbox_by_address, queue_samples

pytestmark = pytest.mark.usefixtures("empty_outbox")

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stopped at START; tests move it with ``traveller.shift``."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_mail_arrives_with_headers_text_and_html(
    db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    await queue_samples(db, "ada@example.test")
    traveller.shift(timedelta(seconds=5))

    assert await mailbox.deliver(db.sessionmaker) == 1

    message = mailbox.last_to("ada@example.test")
    [mail] = (await outbox_by_address(db)).values()
    assert message["From"] == "Manager <no-reply@manager.localhost>"
    assert message["To"] == "ada@example.test"
    assert message["Subject"] == "Reset your password"
    assert email.utils.parsedate_to_datetime(message["Date"]) == START + timedelta(seconds=5)
    assert message["Message-ID"] == f"<{mail.id}@manager.localhost>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Content-Language"] == "en"
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    assert "<h1" in html_part.get_content()
    assert Mailbox.text(message).startswith("Hello Ada,")
    assert mailbox.links(message) == [
        "https://console.example.test/reset/abc123",
        "http://127.0.0.1:8000",
    ]
    assert mail.status == MailStatus.sent
    assert mail.sent_at == START + timedelta(seconds=5)
    assert mail.attempts == 1
    assert mail.last_error is None


async def test_a_sent_mail_is_not_sent_again(db: Database, mailbox: Mailbox) -> None:
    await queue_samples(db, "ada@example.test", "bob@example.test")

    assert await mailbox.deliver(db.sessionmaker) == 2
    assert await mailbox.deliver(db.sessionmaker) == 0
    assert await deliver_due(db.sessionmaker, mailbox.settings) == 0

    assert len(mailbox.server.messages) == 2
    assert len(mailbox.messages_to("ADA@example.test")) == 1


async def test_a_batch_is_sent_over_one_connection(
    db: Database, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    connects = 0
    original_connect = SmtpTransport._connect

    async def counting_connect(self: SmtpTransport) -> aiosmtplib.SMTP:
        nonlocal connects
        connects += 1
        return await original_connect(self)

    monkeypatch.setattr(SmtpTransport, "_connect", counting_connect)
    await queue_samples(db, *(f"user{i}@example.test" for i in range(5)))

    assert await deliver_due(db.sessionmaker, mailbox.settings) == 5
    assert connects == 1
    assert len(mailbox.server.messages) == 5


async def test_a_refused_mail_is_retried_with_backoff(
    db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    await queue_samples(db, "ada@example.test")
    mailbox.server.refuse_with = "451 4.3.0 Try again later"

    assert await mailbox.deliver(db.sessionmaker) == 1
    mail = (await outbox_by_address(db))["ada@example.test"]
    assert mail.status == MailStatus.pending
    assert mail.attempts == 1
    assert mail.next_attempt_at == START + timedelta(minutes=1)
    assert mail.last_error is not None
    assert "Try again later" in mail.last_error

    traveller.shift(timedelta(seconds=59))
    assert await mailbox.deliver(db.sessionmaker) == 0

    mailbox.server.refuse_with = None
    traveller.shift(timedelta(seconds=1))
    assert await mailbox.deliver(db.sessionmaker) == 1
    mail = (await outbox_by_address(db))["ada@example.test"]
    assert mail.status == MailStatus.sent
    assert mail.attempts == 2
    assert mail.last_error is None
    assert len(mailbox.messages_to("ada@example.test")) == 1


async def test_a_mail_fails_for_good_after_the_last_attempt(
    db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    await queue_samples(db, "ada@example.test")
    mailbox.server.refuse_with = "451 4.3.0 Try again later"

    for attempt, delay in enumerate(RETRY_DELAYS, start=1):
        assert await mailbox.deliver(db.sessionmaker) == 1
        mail = (await outbox_by_address(db))["ada@example.test"]
        assert (mail.attempts, mail.status) == (attempt, MailStatus.pending)
        assert mail.next_attempt_at - clock.now() == delay
        traveller.shift(delay)

    assert await mailbox.deliver(db.sessionmaker) == 1
    mail = (await outbox_by_address(db))["ada@example.test"]
    assert (mail.attempts, mail.status) == (MAX_ATTEMPTS, MailStatus.failed)
    traveller.shift(timedelta(days=30))
    assert await mailbox.deliver(db.sessionmaker) == 0
    assert mailbox.server.messages == []


def test_retry_delays_grow() -> None:
    assert [retry_delay(attempt) for attempt in (1, 2, 3, 4, 5)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=6),
    ]
    assert MAX_ATTEMPTS == 8


async def test_one_refused_recipient_does_not_stop_the_others(
    db: Database, mailbox: Mailbox
) -> None:
    await queue_samples(db, "ada@example.test", "bob@example.test", "eve@example.test")
    mailbox.server.refused_recipients.add("bob@example.test")

    assert await mailbox.deliver(db.sessionmaker) == 3

    outbox = await outbox_by_address(db)
    assert outbox["ada@example.test"].status == MailStatus.sent
    assert outbox["eve@example.test"].status == MailStatus.sent
    refused = outbox["bob@example.test"]
    assert (refused.status, refused.attempts) == (MailStatus.pending, 1)
    assert refused.last_error is not None
    assert "550" in refused.last_error
    assert sorted(str(message["To"]) for message in mailbox.server.messages) == [
        "ada@example.test",
        "eve@example.test",
    ]


async def test_an_unreachable_server_postpones_the_whole_batch(
    db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    await queue_samples(db, "ada@example.test", "bob@example.test")
    down = mailbox.settings.model_copy(update={"smtp_port": _closed_port()})

    assert await deliver_due(db.sessionmaker, down) == 2

    for mail in (await outbox_by_address(db)).values():
        assert (mail.status, mail.attempts) == (MailStatus.pending, 1)
        assert mail.next_attempt_at == START + timedelta(minutes=1)
        assert mail.last_error is not None
        assert "cannot reach SMTP server" in mail.last_error

    traveller.shift(timedelta(minutes=1))
    assert await mailbox.deliver(db.sessionmaker) == 2
    assert {mail.status for mail in (await outbox_by_address(db)).values()} == {MailStatus.sent}


async def test_without_smtp_host_mails_are_written_as_eml_files(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    await queue_samples(db, "ada@example.test")
    development = settings.model_copy(update={"smtp_host": None, "data_dir": tmp_path})

    assert await deliver_due(db.sessionmaker, development) == 1

    [path] = (tmp_path / "mail").glob("*.eml")
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert message["To"] == "ada@example.test"
    assert message["Subject"] == "Reset your password"
    assert message.get_content_type() == "multipart/alternative"
    assert (await outbox_by_address(db))["ada@example.test"].status == MailStatus.sent


def test_the_worker_runs_the_outbox_for_mail_sms_and_webhooks() -> None:
    assert [job.name for job in JOBS if isinstance(job, Service)] == ["outbox"]
    assert [kind.name for kind in KINDS] == ["mail", "sms", "webhooks"]
    assert MAIL in KINDS


async def test_a_mail_whose_attempt_was_interrupted_is_counted_and_sent_after_its_lease(
    db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    await queue_samples(db, "ada@example.test")
    async with db.sessionmaker.begin() as session:  # a worker claims it, then dies mid-send
        [claim] = await outbox.claim_due(MAIL, session, mailbox.settings, limit=10)

    traveller.shift(LEASE - timedelta(seconds=1))
    assert await mailbox.deliver(db.sessionmaker) == 0  # still leased: nobody else sends it

    traveller.shift(timedelta(seconds=2))
    async with db.sessionmaker.begin() as session:  # the next worker finds the lease expired
        [retry] = await outbox.claim_due(MAIL, session, mailbox.settings, limit=10)
    interrupted = (await outbox_by_address(db))["ada@example.test"]
    assert (interrupted.attempts, interrupted.last_error) == (1, "interrupted")
    assert retry.attempt == 2
    assert retry.lease_token != claim.lease_token

    async with db.sessionmaker.begin() as session:  # the dead worker's late outcome is ignored
        assert not await outbox.record(MAIL, session, claim, outbox.Outcome())
    traveller.shift(LEASE + timedelta(seconds=1))  # that worker died too
    assert await mailbox.deliver(db.sessionmaker) == 1
    mail = (await outbox_by_address(db))["ada@example.test"]
    assert (mail.status, mail.attempts, mail.last_error) == (MailStatus.sent, 3, None)
    assert len(mailbox.messages_to("ada@example.test")) == 1
