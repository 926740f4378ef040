"""What other packages may call about accounts: sign-up and deletion (being moved to
``app/lifecycle.py``), the password check, unlocking, the directory of accounts and the
maintenance job. The caller's own use cases are in the topic modules (profile, credentials,
two_factor, pats, auth)."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth, password_policy, totp
from app.accounts.credentials import email_in_use, require_password
from app.accounts.directory import (
    AccountSummary,
    by_email,
    last_logins,
    summaries,
    summary,
    with_two_factor,
    without_two_factor,
)
from app.accounts.errors import EmailTaken
from app.accounts.models import Account, AccountAvatar
from app.accounts.profile import send_confirmation
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.security import passwords

__all__ = [
    "AccountSummary",
    "by_email",
    "erase_account",
    "last_logins",
    "purge_expired_tokens",
    "require_password",
    "sign_up",
    "summaries",
    "summary",
    "unlock_account",
    "with_two_factor",
    "without_two_factor",
]
purge_expired_tokens = auth.purge_expired_tokens


async def _new_support_code(session: AsyncSession) -> str:
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        if not await session.scalar(select(func.count()).where(Account.support_code == code)):
            return code


async def sign_up(
    session: AsyncSession,
    *,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
    phone: str | None,
    address: dict[str, Any] | None,
    language: str,
    time_zone: str,
    email_confirmed: bool = False,
) -> Account:
    """Creates the account (its organization, unless it is invited, comes from
    ``app.lifecycle.sign_up``).

    The address is confirmed by a mailed link, unless the caller already proved it
    (``email_confirmed``: an invitation link reached that address).
    """
    password_policy.check(password, email=email)
    if await email_in_use(session, email):
        raise EmailTaken("An account already uses this e-mail address.")
    now = clock.now()
    account = Account(
        id=uuid.uuid4(),
        email=email,
        password_hash=await passwords.hash_password(password),
        password_changed_at=now,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        address=address,
        language=language,
        time_zone=time_zone,
        newsletter_topics=[],
        support_code=await _new_support_code(session),
        created_at=now,
        updated_at=now,
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:
        raise EmailTaken("An account already uses this e-mail address.") from None
    await activity.record(session, Actor(account.id), "account.created", account_id=account.id)
    if email_confirmed:
        account.email_confirmed_at = now
    else:
        await send_confirmation(session, account)
    return account


async def erase_account(session: AsyncSession, account: Account) -> None:
    """Ends the account's sessions and erases its personal data (``app.lifecycle.delete_account``
    checks first that it may go and takes it out of its organizations)."""
    await auth.end_sessions(session, account.id, reason="account_deleted")
    now = clock.now()
    account.deleted_at = now
    account.email = f"deleted+{account.id}@invalid"
    account.password_hash = "!"
    account.recovery_email = None
    account.recovery_phone = None
    account.phone = None
    account.address = None
    account.first_name = ""
    account.last_name = ""
    await totp.disable(session, account)
    avatar = await session.get(AccountAvatar, account.id)
    if avatar is not None:
        await session.delete(avatar)
    await activity.record(session, Actor(account.id), "account.deleted", account_id=account.id)


async def unlock_account(session: AsyncSession, account_id: uuid.UUID, *, by: Actor) -> None:
    """Unlocks a locked account on behalf of ``by`` (an administrator of one of its
    organizations); nothing happens for an unknown account."""
    account = await auth.find_account(session, account_id, for_update=True)
    if account is not None:
        await auth.unlock(session, account, by=by)


# --- used by billing ---


@dataclass(frozen=True)
class Recipient:
    """Where and how to mail an account."""

    account_id: uuid.UUID
    email: str
    language: str
    full_name: str


async def recipients(session: AsyncSession, account_ids: Sequence[uuid.UUID]) -> list[Recipient]:
    """The mail recipients among ``account_ids`` (deleted accounts left out)."""
    if not account_ids:
        return []
    accounts = await session.scalars(
        select(Account).where(Account.id.in_(list(account_ids)), Account.deleted_at.is_(None))
    )
    return [
        Recipient(
            account_id=account.id,
            email=account.email,
            language=account.language,
            full_name=account.full_name,
        )
        for account in accounts
    ]


async def make_platform_staff(session: AsyncSession, email: str, *, by: Actor) -> None:
    """Makes the account with this login e-mail platform staff (`manager demo`, operators)."""
    account = await session.scalar(
        select(Account).where(func.lower(Account.email) == email.lower()).with_for_update()
    )
    if account is None:
        raise LookupError(f"no account {email}")
    account.is_platform_staff = True
    await activity.record(session, by, "account.platform_staff_granted", account_id=account.id)
