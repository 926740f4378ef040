"""What other packages may call about accounts: sign-up and deletion (being moved to
``app/lifecycle.py``), the password check, unlocking, the directory of accounts and the
maintenance job. The caller's own use cases are in the topic modules (profile, credentials,
two_factor, pats, auth)."""

import secrets
import uuid
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
from app.core.errors import Conflict
from app.core.security import passwords
from app.organizations import service as organizations

__all__ = [
    "AccountSummary",
    "by_email",
    "delete_account",
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
    create_organization: bool = True,
    email_confirmed: bool = False,
) -> Account:
    """Creates the account and, unless invited, an organization it represents.

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
    if create_organization:
        await organizations.create_organization(
            session,
            name=account.full_name,
            legal_representative_id=account.id,
            address=address,
            phone=phone,
        )
    await activity.record_entry(
        session, "account.created", account_id=account.id, actor_account_id=account.id
    )
    if email_confirmed:
        account.email_confirmed_at = now
    else:
        await send_confirmation(session, account)
    return account


async def delete_account(session: AsyncSession, account: Account, *, password: str) -> None:
    await require_password(account, password)
    blockers = await organizations.account_deletion_blockers(session, account.id)
    if blockers:
        raise Conflict(
            "You are the only legal representative of: "
            + ", ".join(blockers)
            + ". Hand over legal representation first.",
            code="sole_legal_representative",
            organizations=blockers,
        )
    await organizations.leave_all(session, account.id)
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
    await activity.record_entry(
        session, "account.deleted", account_id=account.id, actor_account_id=account.id
    )


async def unlock_account(session: AsyncSession, account_id: uuid.UUID, *, by: Actor) -> None:
    """Unlocks a locked account on behalf of ``by`` (an administrator of one of its
    organizations); nothing happens for an unknown account."""
    account = await auth.find_account(session, account_id, for_update=True)
    if account is not None:
        await auth.unlock(session, account, by=by)
