"""What other packages may call: queueing e-mails and text messages. Call within the
transaction that makes the change the message speaks of."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.settings import get_settings
from app.notifications.models import MailMessage, MailStatus
from app.notifications.rendering import render
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
) -> None:
    """Renders ``template`` (a key of ``catalog.TEMPLATES``) in ``language`` into the outbox.

    ``context`` holds exactly the template's catalog variables, plus ``recipient_name`` if known.
    An unsupported language falls back to ``catalog.DEFAULT_LANGUAGE``. Raises ValueError for an
    unknown template, a context that does not match the catalog or an unusable address. The mail
    is only added to ``session``: it is sent once the caller's transaction commits.
    """
    address = _checked_address(to)
    mail = render(template, language, context, public_url=get_settings().public_url)
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
        )
    )


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
