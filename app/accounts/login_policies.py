"""Who may not log in with a password: checks that higher layers register (an organization that
requires single sign-on for its members), asked by the password login after the password matched.

Accounts cannot call upward, so the checks come to it: ``app.main`` registers them at start.
"""

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

PasswordLoginCheck = Callable[[AsyncSession, uuid.UUID, str], Awaitable[str | None]]
"""``(session, account_id, email)`` → why a password login is refused (a sentence), or None."""

_checks: dict[str, PasswordLoginCheck] = {}


def refuse_password_login_when(name: str, check: PasswordLoginCheck) -> None:
    """Registers ``check`` under ``name`` (registering the same name again replaces it)."""
    _checks[name] = check


async def password_login_refusal(
    session: AsyncSession, account_id: uuid.UUID, email: str
) -> str | None:
    """Why this account may not log in with its password, or None when it may."""
    for check in _checks.values():
        reason = await check(session, account_id, email)
        if reason is not None:
            return reason
    return None
