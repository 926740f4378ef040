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
) -> None:
    await queue_mail(
        session,
        to=to or account.email,
        template=template,
        language=account.language,
        context={"recipient_name": account.first_name, **context},
    )


def stamp() -> str:
    """Now, as mails show it."""
    return clock.now().strftime("%Y-%m-%d %H:%M UTC")
