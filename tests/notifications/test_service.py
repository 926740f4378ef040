"""queue_mail: checked now, stored as pending in the caller's transaction with its template and
context, rendered by the worker."""

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from app.core.db import Database
from app.notifications.models import MailMessage, MailStatus
from app.notifications.service import queue_mail
from tests.mail import rendered
from tests.notifications.samples import sample_context

pytestmark = pytest.mark.usefixtures("empty_outbox")


async def _outbox(db: Database) -> list[MailMessage]:
    async with db.sessionmaker() as session:
        return list((await session.scalars(select(MailMessage))).all())


async def test_queue_mail_stores_the_mail_as_pending_and_renders_nothing(db: Database) -> None:
    queued_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(queued_at, tick=False):
        async with db.sessionmaker.begin() as session:
            await queue_mail(
                session,
                to="ada@example.test",
                template="password_reset",
                language="fr-CH",
                context=sample_context("password_reset", recipient_name="Ada"),
            )

    [mail] = await _outbox(db)
    assert mail.to_address == "ada@example.test"
    assert mail.template == "password_reset"
    assert mail.language == "fr"
    assert (mail.subject, mail.text_body, mail.html_body) == (None, None, None)
    assert mail.context == sample_context("password_reset", recipient_name="Ada")
    sent = rendered(mail)
    assert sent.subject == "Réinitialisation de votre mot de passe"
    assert sent.text_body.startswith("Bonjour Ada,\n")
    assert sent.html_body is not None
    assert "https://console.example.test/reset/abc123" in sent.html_body
    assert mail.status == MailStatus.pending
    assert mail.attempts == 0
    assert mail.next_attempt_at == queued_at
    assert mail.created_at == queued_at
    assert mail.sent_at is None


async def test_the_mail_belongs_to_the_callers_transaction(db: Database) -> None:
    async with db.sessionmaker() as session:
        await queue_mail(
            session,
            to="ada@example.test",
            template="account_confirm_email",
            language="en",
            context=sample_context("account_confirm_email"),
        )
        await session.rollback()

    assert await _outbox(db) == []


async def test_an_unsupported_language_is_stored_as_the_default(db: Database) -> None:
    async with db.sessionmaker.begin() as session:
        await queue_mail(
            session,
            to="ada@example.test",
            template="account_confirm_email",
            language="pt",
            context=sample_context("account_confirm_email"),
        )
    [mail] = await _outbox(db)
    assert mail.language == "en"


@pytest.mark.parametrize(
    ("to", "template", "context", "error"),
    [
        ("ada@example.test", "no_such_mail", {}, "unknown mail template"),
        ("ada@example.test", "password_reset", {"reset_url": "https://x.test"}, "needs"),
        ("no-at-sign", "account_confirm_email", sample_context("account_confirm_email"), "address"),
        ("ada@example.test\r\nBcc: eve@example.test", "account_confirm_email", {}, "address"),
    ],
    ids=["unknown template", "missing variable", "no @", "header injection"],
)
async def test_queue_mail_refuses_what_it_cannot_send(
    db: Database, to: str, template: str, context: dict[str, str], error: str
) -> None:
    async with db.sessionmaker() as session:
        with pytest.raises(ValueError, match=error):
            await queue_mail(session, to=to, template=template, language="en", context=context)
        assert not session.new


async def test_a_newsletter_needs_its_recipient_s_unsubscribe_url_and_other_mails_take_none(
    db: Database,
) -> None:
    async with db.sessionmaker() as session:
        with pytest.raises(ValueError, match="needs an unsubscribe URL"):
            await queue_mail(
                session,
                to="ada@example.test",
                template="newsletter",
                language="en",
                context=sample_context("newsletter"),
            )
        with pytest.raises(ValueError, match="takes no unsubscribe URL"):
            await queue_mail(
                session,
                to="ada@example.test",
                template="password_reset",
                language="en",
                context=sample_context("password_reset"),
                unsubscribe_url="https://manager.example.test/v1/newsletters/unsubscribe?token=x",
            )
        assert not session.new
