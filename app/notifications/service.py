"""What other packages may call: queueing e-mails and text messages. Call within the
transaction that makes the change the message speaks of."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.settings import get_settings
from app.notifications.catalog import NEWSLETTERS
from app.notifications.models import MailMessage, MailStatus
from app.notifications.rendering import pick_language, render
from app.notifications.sms import queue_sms

__all__ = ["queue_mail", "queue_sms"]
ADDRESS_MAX_LENGTH = 320


async def queue_mail(
    session: AsyncSession,
    *,
    to: str,
    template: str,
    language: str,
    context: Mapping[str, Any],
    unsubscribe_url: str | None = None,
) -> None:
    """Renders ``template`` (a key of ``catalog.TEMPLATES``) in ``language`` into the outbox.

    ``context`` holds exactly the template's catalog variables, plus ``recipient_name`` if known.
    An unsupported language falls back to ``catalog.DEFAULT_LANGUAGE``. A newsletter-type
    template (``catalog.NEWSLETTERS``) needs ``unsubscribe_url``, the recipient's own one-click
    unsubscribe URL (an https URL taking a POST, RFC 8058); no other template takes one. Raises
    ValueError for an unknown template, a context that does not match the catalog, a missing or
    misplaced unsubscribe URL or an unusable address. The mail is only added to ``session``: it
    is sent once the caller's transaction commits.
    """
    address = _checked_address(to)
    if (template in NEWSLETTERS) != (unsubscribe_url is not None):
        needs = "needs an" if template in NEWSLETTERS else "takes no"
        raise ValueError(f"mail template {template!r} {needs} unsubscribe URL")
    settings = get_settings()
    if settings.frontend_url is None:  # the service's own pages: they take the mail's language
        context = _links_in_language(context, pick_language(language), settings.public_url)
    mail = render(template, language, context, public_url=settings.public_url)
    now = clock.now()
    session.add(
        MailMessage(
            to_address=address,
            template=template,
            language=mail.language,
            subject=mail.subject,
            text_body=mail.text,
            html_body=mail.html,
            status=MailStatus.pending,
            attempts=0,
            next_attempt_at=now,
            unsubscribe_url=unsubscribe_url,
        )
    )


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
        or any(character.isspace() or ord(character) < 32 for character in address)
    ):
        raise ValueError(f"not a usable e-mail address: {to!r}")
    return address
