"""What other packages may call: queueing e-mails and text messages. Call within the
transaction that makes the change the message speaks of.

A mail is checked when it is queued (template, context, address, unsubscribe URL) and stored with
its context; the worker renders it when it sends it (``delivery``), so queueing costs no
rendering."""

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import bulk, clock
from app.core.settings import get_settings
from app.notifications import context as stored_context
from app.notifications.catalog import NEWSLETTERS
from app.notifications.models import MailMessage, MailStatus
from app.notifications.rendering import check_context, pick_language
from app.notifications.sms import queue_sms

__all__ = ["Mail", "queue_mail", "queue_mails", "queue_sms"]
ADDRESS_MAX_LENGTH = 320
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")


@dataclass(frozen=True)
class Mail:
    """One mail to queue, as ``queue_mail`` takes it."""

    to: str
    template: str
    language: str
    context: Mapping[str, Any]
    unsubscribe_url: str | None = None


async def queue_mail(
    session: AsyncSession,
    *,
    to: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
    unsubscribe_url: str | None = None,
) -> None:
    """Queues ``template`` (a key of ``catalog.TEMPLATES``) in ``language`` into the outbox.

    ``context`` holds exactly the template's catalog variables, plus ``recipient_name`` if known:
    strings, numbers, dates and times, UUIDs, None, or lists of them (``context`` module). An
    unsupported language falls back to ``catalog.DEFAULT_LANGUAGE``. A newsletter-type
    template (``catalog.NEWSLETTERS``) needs ``unsubscribe_url``, the recipient's own one-click
    unsubscribe URL (an https URL taking a POST, RFC 8058); no other template takes one. Raises
    ValueError for an unknown template, a context that does not match the catalog or holds a
    value that cannot be stored, a missing or misplaced unsubscribe URL or an unusable address.
    The mail is only added to ``session``: it is sent once the caller's transaction commits.
    """
    mail = Mail(to, template, language, context, unsubscribe_url)
    session.add(MailMessage(**_row(mail, _Queueing.current())))


async def queue_mails(session: AsyncSession, mails: Iterable[Mail]) -> int:
    """Queues each of ``mails`` as ``queue_mail`` does, in one INSERT; returns how many.

    Every mail is checked first: on a ValueError none is queued."""
    queueing = _Queueing.current()
    rows = [{"id": uuid.uuid4()} | _row(mail, queueing) for mail in mails]
    if rows:
        await bulk.insert_rows(session, MailMessage, rows)
    return len(rows)


@dataclass(frozen=True)
class _Queueing:
    """What every mail queued at once shares."""

    at: datetime
    public_url: str
    localize: bool
    """The links lead to this service's own pages (no front-end): they take the mail's language."""

    @classmethod
    def current(cls) -> "_Queueing":
        settings = get_settings()
        return cls(clock.now(), settings.public_url, settings.frontend_url is None)


def _row(mail: Mail, queueing: _Queueing) -> dict[str, Any]:
    """The outbox row of ``mail``; raises ValueError for what could not be sent."""
    address = _checked_address(mail.to)
    template = mail.template
    if (template in NEWSLETTERS) != (mail.unsubscribe_url is not None):
        needs = "needs an" if template in NEWSLETTERS else "takes no"
        raise ValueError(f"mail template {template!r} {needs} unsubscribe URL")
    check_context(template, mail.context)
    language = pick_language(mail.language)
    context = mail.context
    if queueing.localize:
        context = _links_in_language(context, language, queueing.public_url)
    return {
        "to_address": address,
        "template": template,
        "language": language,
        "context": stored_context.dump(context),
        "status": MailStatus.pending,
        "attempts": 0,
        "next_attempt_at": queueing.at,
        "created_at": queueing.at,
        "unsubscribe_url": mail.unsubscribe_url,
    }


def _links_in_language(
    context: Mapping[str, Any], language: str, public_url: str
) -> dict[str, Any]:
    """``context`` with ``lang=<language>`` added to the links to this service's pages."""
    localized = dict(context)
    for name, value in context.items():
        if name.endswith("_url") and isinstance(value, str) and value.startswith(public_url):
            # First, so that the link's other parameters (its token) stay at its end.
            path, _, query = value.partition("?")
            localized[name] = f"{path}?lang={language}" + (f"&{query}" if query else "")
    return localized


def _checked_address(to: str) -> str:
    address = to.strip()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or not domain
        or len(address) > ADDRESS_MAX_LENGTH
        or _SPACE_OR_CONTROL.search(address)
    ):
        raise ValueError(f"not a usable e-mail address: {to!r}")
    return address
