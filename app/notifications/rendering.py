"""Rendering a catalog template into a subject, a text body and an HTML body."""

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale, dates, numbers

from app.notifications.catalog import DEFAULT_LANGUAGE, LANGUAGES, TEMPLATES

TEMPLATES_DIR = Path(__file__).parent / "templates"
PRODUCT_NAME = "Manager"
# Dates and times in mails are shown in the provider's time zone.
TIME_ZONE = ZoneInfo("Europe/Zurich")
# Swiss conventions where the language has them (24-hour clock, apostrophe as thousands separator).
LOCALES = {"fr": "fr_CH", "en": "en_CH", "de": "de_CH", "it": "it_CH", "es": "es"}
SUBJECT_MAX_LENGTH = 500
TEXT_WIDTH = 76


@dataclass(frozen=True)
class RenderedMail:
    language: str
    subject: str
    text: str
    html: str


@lru_cache(maxsize=256)
def pick_language(language: str | None) -> str:
    """The supported language for a tag such as ``fr``, ``de-CH`` or ``it_IT``; else the default."""
    primary = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def check_context(template: str, context: Mapping[str, Any]) -> None:
    """Raises ValueError unless ``context`` has exactly the catalog's variables for ``template``."""
    if template not in TEMPLATES:
        raise ValueError(f"unknown mail template {template!r}")
    expected = set(TEMPLATES[template])
    missing = expected - context.keys()
    if missing:
        raise ValueError(f"mail template {template!r} needs {', '.join(sorted(missing))}")
    unexpected = context.keys() - expected - {"recipient_name"}
    if unexpected:
        raise ValueError(
            f"mail template {template!r} does not take {', '.join(sorted(unexpected))}"
        )


def render(
    template: str, language: str, context: Mapping[str, Any], *, public_url: str
) -> RenderedMail:
    """Renders ``template`` in ``language`` (or the default language) with ``context``.

    Raises ValueError for an unknown template or a context that does not match the catalog, and
    ``jinja2.UndefinedError`` when a template uses a variable it was not given.
    """
    check_context(template, context)
    language = pick_language(language)
    locale = Locale.parse(LOCALES[language])
    variables = {key: _display(value, locale) for key, value in context.items()}
    variables.setdefault("recipient_name", "")
    variables["product_name"] = PRODUCT_NAME
    variables["public_url"] = public_url.rstrip("/")
    name = f"{language}/{template}"
    environment = _environment()
    subject = environment.get_template(f"{name}.subject.txt").render(variables)
    text = environment.get_template(f"{name}.txt").render(variables)
    html = environment.get_template(f"{name}.html").render(variables)
    return RenderedMail(
        language=language,
        subject=_one_line(subject)[:SUBJECT_MAX_LENGTH],
        text=_tidy_text(text),
        html=html.strip() + "\n",
    )


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """HTML templates are escaped, text ones are not."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def _display(value: Any, locale: Locale) -> Any:
    """Values as the reader expects them in their language; strings are left as they are."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value.astimezone(TIME_ZONE)
        day = dates.format_date(moment.date(), "long", locale=locale)
        time = dates.format_time(moment, "short", locale=locale)
        return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", time)
    if isinstance(value, date):
        return dates.format_date(value, "long", locale=locale)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return numbers.format_decimal(value, locale=locale)
    if isinstance(value, Decimal | float):
        return numbers.format_decimal(value, format="#,##0.00", locale=locale)
    if isinstance(value, list | tuple):
        return ", ".join(str(_display(item, locale)) for item in value)
    return value


def _one_line(text: str) -> str:
    # A subject is one header line: newlines in a value must not reach it.
    return " ".join(text.split())


def _tidy_text(text: str) -> str:
    """Wraps long lines (URLs stay whole) and keeps one blank line at most between paragraphs."""
    lines = [
        textwrap.fill(line.rstrip(), TEXT_WIDTH, break_long_words=False, break_on_hyphens=False)
        for line in text.splitlines()
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
