"""Mail to an account, in its language, addressed by its first name."""

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account
from app.core import clock
from app.notifications.service import queue_mail


async def mail_account(
    session: AsyncSession,
    account: Account,
    template: str,
    context: Mapping[str, object],
    *,
    to: str | None = None,
    language: str | None = None,
    unsubscribe_url: str | None = None,
) -> None:
    """``language``: another than the account's (a newsletter's version); ``unsubscribe_url``:
    for newsletter-type templates, the recipient's one-click unsubscribe URL."""
    await queue_mail(
        session,
        to=to or account.email,
        template=template,
        language=language or account.language,
        context={"recipient_name": account.first_name, **context},
        unsubscribe_url=unsubscribe_url,
    )


def stamp() -> str:
    """Now, as mails show it."""
    return clock.now().strftime("%Y-%m-%d %H:%M UTC")
