"""What other packages may call about accounts: sign-up and deletion (being moved to
``app/lifecycle.py``), the password check, unlocking, the directory of accounts and the
maintenance job. The caller's own use cases are in the topic modules (profile, credentials,
two_factor, pats, auth)."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth, federated, onboarding, passkeys, password_policy, pats, totp
from app.accounts.auth import Client, IssuedTokens
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
from app.accounts.errors import AccountNotFound, EmailTaken
from app.accounts.mail import mail_account
from app.accounts.models import Account, AccountAvatar, LoginAttempt
from app.accounts.profile import send_confirmation
from app.accounts.types import Language
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.security import passwords
from app.core.security.tokens import new_token
from app.core.settings import get_settings

__all__ = [
    "AccountSummary",
    "Client",
    "IssuedTokens",
    "account_id_for_email",
    "by_email",
    "create_federated_account",
    "end_account_sessions",
    "erase_account",
    "federated_sign_in",
    "last_logins",
    "open_account_for_client",
    "purge_expired_tokens",
    "require_password",
    "send_activation",
    "send_phone_code",
    "sign_up",
    "sign_up_taken",
    "summaries",
    "summary",
    "unlock_account",
    "with_two_factor",
    "without_two_factor",
]
purge_expired_tokens = auth.purge_expired_tokens
federated_sign_in = federated.sign_in
send_activation = onboarding.send_activation
send_phone_code = onboarding.send_phone_code
account_id_for_email = federated.account_id_for


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
    mail_confirmation: bool = True,
) -> Account:
    """Creates the account (its organization, unless it is invited, comes from
    ``app.lifecycle.sign_up``).

    The address is confirmed by a mailed link, unless the caller already proved it
    (``email_confirmed``: an invitation link reached that address) or mails its own link
    (``mail_confirmation`` off: an account a partner opens is activated by another mail).
    """
    password_policy.check(password, email=email)
    if await email_in_use(session, email):
        raise EmailTaken("An account already uses this e-mail address.")
    now = clock.now()
    account = Account(
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
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:
        raise EmailTaken("An account already uses this e-mail address.") from None
    await activity.record(session, Actor(account.id), "account.created", account_id=account.id)
    if email_confirmed:
        account.email_confirmed_at = now
    elif mail_confirmation:
        await send_confirmation(session, account)
    return account


async def open_account_for_client(
    session: AsyncSession,
    *,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    address: dict[str, Any] | None,
    language: str,
    initial_password: str | None,
    by: Actor,
) -> Account:
    """An account a partner opens in its client's name (``app.lifecycle``): unusable until the
    client activates it (mailed link and texted code), its password the client's own (an initial
    one set by the partner must be changed at the first login), 2FA enrolled at the first login.
    The activation goes out with ``send_activation`` once the organization exists."""
    account = await sign_up(
        session,
        first_name=first_name,
        last_name=last_name,
        email=email,
        password=initial_password or new_token("unset_"),
        phone=phone,
        address=address,
        language=language,
        time_zone="Europe/Zurich",
        mail_confirmation=False,
    )
    account.activation_required = True
    account.password_change_required = initial_password is not None
    account.two_factor_enrollment_required = True
    await activity.record(
        session,
        by,
        "account.opened_by_partner",
        account_id=account.id,
        details={"initial_password_set": initial_password is not None},
    )
    return account


async def create_federated_account(
    session: AsyncSession, *, email: str, first_name: str, last_name: str, language: str
) -> Account:
    """A new account for an address an organization's identity provider verified (confirmed
    already). Its password is random and unknown: it logs in through the provider, or sets one
    through a reset link."""
    return await sign_up(
        session,
        first_name=first_name or email.split("@", 1)[0],
        last_name=last_name,
        email=email,
        password=new_token("sso_"),
        phone=None,
        address=None,
        language=language if language in set(Language) else Language.en,
        time_zone="Europe/Zurich",
        email_confirmed=True,
    )


async def sign_up_taken(session: AsyncSession, *, email: str, password: str) -> bool:
    """When ``email`` is already an account's login: mails its owner (sign in or reset the
    password) instead of telling the caller, and returns True. It spends the time of the
    password hash a new account would, so the answer does not tell either."""
    password_policy.check(password, email=email)
    account = await auth.account_by_email(session, email)
    if account is None:
        return False
    await passwords.hash_password(password)
    base = get_settings().links_base
    await mail_account(
        session,
        account,
        "signup_address_taken",
        {"login_url": f"{base}/login", "reset_url": f"{base}/account/forgot-password"},
    )
    return True


async def erase_account(session: AsyncSession, account: Account) -> None:
    """Ends the account's sessions and erases its personal data (``app.lifecycle.delete_account``
    checks first that it may go and takes it out of its organizations)."""
    await auth.end_sessions(session, account.id, reason="account_deleted")
    await pats.revoke_all(session, account.id)
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
    await passkeys.remove_all(session, account.id)
    avatar = await session.get(AccountAvatar, account.id)
    if avatar is not None:
        await session.delete(avatar)
    await activity.record(session, Actor(account.id), "account.deleted", account_id=account.id)


async def end_account_sessions(session: AsyncSession, account_id: uuid.UUID, *, by: Actor) -> int:
    """Ends every session of the account on behalf of ``by`` (an administrator of one of its
    organizations, or platform staff); returns how many ended. Its personal access tokens
    stay (the account revokes them)."""
    account = await auth.find_account(session, account_id)
    if account is None or account.deleted_at is not None:
        raise AccountNotFound("No such account.")
    ended = await auth.end_sessions(session, account_id, reason="ended_by_administrator")
    await activity.record(
        session, by, "security.sessions_ended", account_id=account_id, details={"sessions": ended}
    )
    return ended


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


async def logged_in_from(
    session: AsyncSession, account_ids: Sequence[uuid.UUID], ip: str | None
) -> bool:
    """Whether one of ``account_ids`` has ever signed in successfully from ``ip`` (the
    affiliate programme does not pay an affiliate for its own orders)."""
    if not ip or not account_ids:
        return False
    found = await session.scalar(
        select(LoginAttempt.id)
        .where(
            LoginAttempt.account_id.in_(list(account_ids)),
            LoginAttempt.succeeded.is_(True),
            LoginAttempt.ip == ip,
        )
        .limit(1)
    )
    return found is not None


async def created_before(session: AsyncSession, account_id: uuid.UUID, moment: datetime) -> bool:
    """Whether the account existed before ``moment`` (an affiliate earns on new customers only)."""
    created_at = await session.scalar(select(Account.created_at).where(Account.id == account_id))
    return created_at is not None and created_at < moment


async def make_platform_staff(session: AsyncSession, email: str, *, by: Actor) -> None:
    """Makes the account with this login e-mail platform staff (`manager demo`, operators)."""
    account = await session.scalar(
        select(Account).where(func.lower(Account.email) == email.lower()).with_for_update()
    )
    if account is None:
        raise LookupError(f"no account {email}")
    account.is_platform_staff = True
    await activity.record(session, by, "account.platform_staff_granted", account_id=account.id)
