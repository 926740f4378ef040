"""The worker renders a mail when it sends it, from the template and context stored when it was
queued; a mail queued before that change is sent with the bodies it holds; a mail that cannot be
rendered is a failed attempt, and the others go out."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import jinja2
import pytest
import time_machine
from sqlalchemy import update

from app.core.db import Database
from app.notifications import rendering
from app.notifications.models import MailMessage, MailStatus
from app.notifications.service import Mail, queue_mail, queue_mails
from tests.mail import Mailbox
from tests.notifications.samples import outbox_by_address, queue_samples, sample_context

pytestmark = pytest.mark.usefixtures("empty_outbox")

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
RESET = sample_context("password_reset")


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


async def test_a_template_changed_after_queueing_is_the_one_sent(
    db: Database, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    await queue_samples(db, "ada@example.test")
    changed = jinja2.Environment(
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        loader=jinja2.ChoiceLoader(
            [
                jinja2.DictLoader({"en/password_reset.subject.txt": "New words, {{ reset_url }}"}),
                jinja2.FileSystemLoader(rendering.TEMPLATES_DIR),
            ]
        ),
        undefined=jinja2.StrictUndefined,
    )
    monkeypatch.setattr(rendering, "_environment", lambda: changed)

    assert await mailbox.deliver(db.sessionmaker) == 1

    message = mailbox.last_to("ada@example.test")
    assert message["Subject"] == "New words, https://console.example.test/reset/abc123"
    assert Mailbox.text(message).startswith("Hello Ada,")


async def test_a_mail_queued_with_its_bodies_is_sent_as_it_is(
    db: Database, mailbox: Mailbox
) -> None:
    async with db.sessionmaker.begin() as session:  # as the outbox held it before the upgrade
        session.add(
            MailMessage(
                to_address="ada@example.test",
                template="password_reset",
                language="en",
                subject="Rendered when queued",
                text_body="Hello Ada,\nthe body rendered when queued.\n",
                html_body="<p>Hello Ada</p>\n",
                context=None,
                status=MailStatus.pending,
                attempts=0,
            )
        )

    assert await mailbox.deliver(db.sessionmaker) == 1

    message = mailbox.last_to("ada@example.test")
    assert message["Subject"] == "Rendered when queued"
    assert Mailbox.text(message).splitlines() == ["Hello Ada,", "the body rendered when queued."]
    assert (await outbox_by_address(db))["ada@example.test"].status == MailStatus.sent


async def test_a_mail_that_cannot_be_rendered_is_a_failed_attempt_and_the_others_go(
    db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    await queue_samples(db, "ada@example.test", "bob@example.test")
    async with db.sessionmaker.begin() as session:  # e.g. a template that lost a variable
        await session.execute(
            update(MailMessage)
            .where(MailMessage.to_address == "bob@example.test")
            .values(context={"recipient_name": "Bob"})
        )

    assert await mailbox.deliver(db.sessionmaker) == 2

    assert [m["To"] for m in mailbox.server.messages] == ["ada@example.test"]
    outbox = await outbox_by_address(db)
    assert outbox["ada@example.test"].status == MailStatus.sent
    failed = outbox["bob@example.test"]
    assert (failed.status, failed.attempts) == (MailStatus.pending, 1)
    assert failed.next_attempt_at == START + timedelta(minutes=1)
    assert failed.last_error is not None
    assert failed.last_error.startswith("rendering failed: ValueError:")
    assert "needs expires_minutes, reset_url" in failed.last_error


async def test_context_values_render_at_delivery_as_they_would_have_when_queued(
    db: Database, mailbox: Mailbox
) -> None:
    context = sample_context(
        "pass_confirmation",
        recipient_name="Ada",
        performances=12345,
        first_date=date(2026, 5, 1),
        last_date=datetime(2026, 6, 30, 18, 30, tzinfo=UTC),
        total=Decimal("1234.5"),
        pass_name=["Saison", "Abo"],
    )
    async with db.sessionmaker.begin() as session:
        await queue_mail(
            session,
            to="ada@example.test",
            template="pass_confirmation",
            language="de",
            context=context,
        )

    await mailbox.deliver(db.sessionmaker)

    public_url = mailbox.settings.public_url
    at_once = rendering.render("pass_confirmation", "de", context, public_url=public_url)
    message = mailbox.last_to("ada@example.test")
    assert message["Subject"] == at_once.subject
    assert Mailbox.text(message).splitlines() == at_once.text.splitlines()
    assert "1. Mai 2026" in at_once.text  # formatted, not the ISO date


async def test_a_context_value_that_cannot_be_stored_is_refused_when_queued(db: Database) -> None:
    async with db.sessionmaker() as session:
        with pytest.raises(ValueError, match="'token_name' of type object cannot be stored"):
            await queue_mail(
                session,
                to="ada@example.test",
                template="token_created",
                language="en",
                context=sample_context("token_created", token_name=object()),
            )
        with pytest.raises(ValueError, match="needs"):
            await queue_mails(
                session,
                [
                    Mail("ada@example.test", "password_reset", "en", RESET),
                    Mail("bob@example.test", "password_reset", "en", {}),
                ],
            )
        assert not session.new
    assert await outbox_by_address(db) == {}


async def test_mails_queued_together_are_sent_as_each_one_queued_alone(
    db: Database, mailbox: Mailbox
) -> None:
    async with db.sessionmaker.begin() as session:
        assert (
            await queue_mails(
                session,
                [
                    Mail("ada@example.test", "password_reset", "fr-CH", RESET),
                    Mail("bob@example.test", "password_reset", "it", RESET),
                ],
            )
            == 2
        )

    assert await mailbox.deliver(db.sessionmaker) == 2
    french = mailbox.last_to("ada@example.test")
    assert french["Subject"] == "Réinitialisation de votre mot de passe"
    assert mailbox.last_to("bob@example.test")["Content-Language"] == "it"
