"""Rendering every catalog template, in every language, with the catalog's variables."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import jinja2
import pytest

from app.notifications import rendering
from app.notifications.catalog import DEFAULT_LANGUAGE, LANGUAGES, TEMPLATES
from app.notifications.rendering import pick_language, render
from tests.notifications.samples import sample_context, sample_value

PUBLIC_URL = "https://manager.example.test"
SHARED_TEMPLATES = {"layout.txt", "layout.html", "macros.html"}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_in_every_language(template: str, language: str) -> None:
    mail = render(template, language, sample_context(template), public_url=PUBLIC_URL)

    assert mail.language == language
    assert mail.subject
    assert "\n" not in mail.subject
    assert f'<html lang="{language}">' in mail.html
    for key in TEMPLATES[template]:
        assert sample_value(key) in mail.text, f"{key} missing from the text of {template}"
        assert sample_value(key) in mail.html, f"{key} missing from the HTML of {template}"
    for part in (mail.subject, mail.text, mail.html):
        assert "{{" not in part
        assert "{%" not in part
    assert PUBLIC_URL in mail.text
    assert "sample-" not in mail.text.split("\n", 1)[0], "the greeting has no name when none given"


def test_template_files_are_exactly_the_catalog() -> None:
    for language in LANGUAGES:
        files = {path.name for path in Path(rendering.TEMPLATES_DIR, language).iterdir()}
        expected = SHARED_TEMPLATES | {
            f"{name}{suffix}" for name in TEMPLATES for suffix in (".subject.txt", ".txt", ".html")
        }
        assert files == expected, language


def test_recipient_name_is_used_when_given() -> None:
    context = sample_context("password_reset", recipient_name="Ada")
    for language in LANGUAGES:
        mail = render("password_reset", language, context, public_url=PUBLIC_URL)
        assert "Ada" in mail.text.splitlines()[0]
        assert "Ada" in mail.html


def test_product_name_and_public_url_are_given_to_every_template() -> None:
    mail = render(
        "account_confirm_email",
        "en",
        sample_context("account_confirm_email"),
        public_url=PUBLIC_URL,
    )
    assert "Welcome to Manager" in mail.text
    assert "The Manager team" in mail.text
    assert f'href="{PUBLIC_URL}"' in mail.html


def test_a_missing_variable_is_an_error() -> None:
    context = sample_context("password_reset")
    del context["reset_url"]
    with pytest.raises(ValueError, match="reset_url"):
        render("password_reset", "en", context, public_url=PUBLIC_URL)


def test_an_unknown_variable_is_an_error() -> None:
    context = sample_context("password_reset", reset_link="https://example.test")
    with pytest.raises(ValueError, match="reset_link"):
        render("password_reset", "en", context, public_url=PUBLIC_URL)


def test_an_unknown_template_is_an_error() -> None:
    with pytest.raises(ValueError, match="no_such_mail"):
        render("no_such_mail", "en", {}, public_url=PUBLIC_URL)


def test_templates_may_not_use_undefined_variables() -> None:
    environment = rendering._environment()
    with pytest.raises(jinja2.UndefinedError):
        environment.from_string("Hello {{ not_given }}").render({})


@pytest.mark.parametrize(
    ("requested", "chosen"),
    [
        ("fr", "fr"),
        ("de-CH", "de"),
        ("it_IT", "it"),
        ("ES", "es"),
        ("pt-BR", DEFAULT_LANGUAGE),
        ("", DEFAULT_LANGUAGE),
    ],
)
def test_pick_language(requested: str, chosen: str) -> None:
    assert pick_language(requested) == chosen


def test_an_unsupported_language_falls_back_to_the_default() -> None:
    mail = render("password_reset", "pt-BR", sample_context("password_reset"), public_url="x")
    assert mail.language == DEFAULT_LANGUAGE == "en"
    assert mail.subject == "Reset your password"


def test_html_escapes_values_and_text_keeps_them() -> None:
    context = sample_context(
        "organization_invitation",
        recipient_name="<b>Ada</b>",
        organization_name="Acme & <script>alert(1)</script>",
        accept_url="https://console.example.test/accept?token=a&next=/home",
    )
    mail = render("organization_invitation", "en", context, public_url=PUBLIC_URL)

    assert "<script>" not in mail.html
    assert "Acme &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in mail.html
    assert "&lt;b&gt;Ada&lt;/b&gt;" in mail.html
    assert 'href="https://console.example.test/accept?token=a&amp;next=/home"' in mail.html
    assert "Acme & <script>alert(1)</script>" in " ".join(mail.text.split())
    assert "https://console.example.test/accept?token=a&next=/home" in mail.text


def test_text_lines_are_wrapped_but_links_stay_whole() -> None:
    long_url = "https://console.example.test/accept/" + "x" * 100
    context = sample_context("organization_invitation", accept_url=long_url)
    mail = render("organization_invitation", "en", context, public_url=PUBLIC_URL)
    assert long_url in mail.text.splitlines()
    assert max(len(line) for line in mail.text.splitlines() if line != long_url) <= 76


def test_the_subject_is_one_line_whatever_the_values() -> None:
    context = sample_context("organization_invitation", organization_name="Acme\r\nBcc: x@y.test")
    mail = render("organization_invitation", "en", context, public_url=PUBLIC_URL)
    assert mail.subject == "sample-inviter_name invites you to join Acme Bcc: x@y.test"


def test_optional_values_may_be_empty() -> None:
    context = sample_context("order_cancelled", reason=None, ticket_numbers=["T-1", "T-2"])
    mail = render("order_cancelled", "en", context, public_url=PUBLIC_URL)
    assert "Reason" not in mail.text
    assert "Reason" not in mail.html
    assert "Cancelled tickets: T-1, T-2" in mail.text
    assert "\n\n\n" not in mail.text


def test_dates_and_amounts_are_formatted_for_the_language() -> None:
    at = datetime(2026, 3, 5, 9, 7, tzinfo=UTC)  # 10:07 in Zurich
    login = sample_context("login_failed", at=at, failed_attempts=3)
    invoice = sample_context("invoice_issued", total=Decimal("1234.5"), due_date=date(2026, 4, 1))

    german = render("login_failed", "de", login, public_url=PUBLIC_URL)
    french = render("invoice_issued", "fr", invoice, public_url=PUBLIC_URL)

    assert "Letzter Versuch: 5. März 2026, 10:07" in german.text
    assert "Fehlgeschlagene Versuche: 3" in german.text
    assert "Montant\u00a0: 1\u202f234,50" in french.text
    assert "Échéance\u00a0: 1 avril 2026" in french.text
