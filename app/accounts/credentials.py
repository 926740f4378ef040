"""Passwords (change, reset), the login e-mail change and the recovery e-mail and phone."""

import secrets
import uuid
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth, password_policy, pats, tokens, totp
from app.accounts.auth import Client
from app.accounts.errors import (
    EmailConfirmationMismatch,
    EmailIsLoginEmail,
    EmailIsRecoveryEmail,
    EmailTaken,
    EmailUnchanged,
    InvalidLinkToken,
    PasswordUnchanged,
    SecondFactorRequired,
    WrongPassword,
)
from app.accounts.mail import mail_account, stamp
from app.accounts.models import Account, AuthSession
from app.accounts.types import TokenPurpose
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.security import passwords
from app.notifications.service import queue_sms

ResetChannel = Literal["email", "sms"]


async def email_in_use(
    session: AsyncSession, email: str, *, besides: uuid.UUID | None = None
) -> bool:
    statement = select(func.count()).where(func.lower(Account.email) == email.lower())
    if besides is not None:
        statement = statement.where(Account.id != besides)
    return bool(await session.scalar(statement))


async def require_password(account: Account, password: str) -> None:
    if not await passwords.verify_password(account.password_hash, password):
        raise WrongPassword("The password is not correct.")


async def confirm_secrets(
    session: AsyncSession,
    account: Account,
    client: Client,
    *,
    password: str,
    second_factor: bool = False,
    code: str | None = None,
    emergency_code: str | None = None,
) -> None:
    """The password (and, when ``second_factor``, a code) of a signed-in caller. A wrong one
    counts as a failed login (alert, lockout at the account's threshold) and is kept though
    the request fails: guesses behind a session are no cheaper than at the login."""
    if not await passwords.verify_password(account.password_hash, password):
        await auth.count_failure(session, account, client, reason="wrong_password")
        raise WrongPassword("The password is not correct.", keep_changes=True)
    if not second_factor:
        return
    if not code and not emergency_code:
        raise SecondFactorRequired("A valid two-factor code is required.")
    if not await totp.verify_second_factor(
        session, account, code=code, emergency_code=emergency_code
    ):
        await auth.count_failure(session, account, client, reason="wrong_code")
        raise SecondFactorRequired("A valid two-factor code is required.", keep_changes=True)


async def change_password(
    session: AsyncSession,
    account: Account,
    client: Client,
    *,
    current: str,
    new: str,
    keep_session: uuid.UUID | None,
    by: Actor,
) -> None:
    await confirm_secrets(session, account, client, password=current)
    await _set_password(session, account, new, by=by)
    await auth.end_sessions(session, account.id, reason="password_changed", keep=keep_session)


async def replace_password(session: AsyncSession, account: Account, new: str, *, by: Actor) -> None:
    """Sets ``new`` for an account that proved itself otherwise (a first login replacing the
    initial password, an activation choosing one); must differ from the current one."""
    if await passwords.verify_password(account.password_hash, new):
        raise PasswordUnchanged("Choose a password other than the current one.")
    await _set_password(session, account, new, by=by)
    account.password_change_required = False


async def _set_password(session: AsyncSession, account: Account, new: str, *, by: Actor) -> None:
    password_policy.check(new, email=account.email)
    account.password_hash = await passwords.hash_password(new)
    account.password_changed_at = clock.now()
    await activity.record(session, by, "security.password_changed", account_id=account.id)
    await mail_account(session, account, "password_changed", {"changed_at": stamp()})


async def request_password_reset(
    session: AsyncSession, email: str, *, channel: ResetChannel = "email"
) -> None:
    """Mails a reset link to the recovery address (when confirmed) or else the login one; with
    ``channel`` ``sms`` and a confirmed recovery phone, texts that phone a 6-digit code instead
    (``exchange_reset_code`` turns it into the link's token). Nothing for an unknown address."""
    account = await auth.account_by_email(session, email)
    if account is None:
        return
    if channel == "sms" and account.recovery_phone and account.recovery_phone_confirmed_at:
        await _text_reset_code(session, account, account.recovery_phone)
        return
    confirmed_recovery = account.recovery_email if account.recovery_email_confirmed_at else None
    await _mail_reset_link(session, account, to=confirmed_recovery or account.email)


async def _text_reset_code(session: AsyncSession, account: Account, phone: str) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    await tokens.issue(
        session,
        account.id,
        TokenPurpose.password_reset_sms,
        {"phone": phone},
        raw=phone_code_key(account, code),
    )
    await queue_sms(
        session, to=phone, text="password_reset_code", language=account.language, code=code
    )


async def exchange_reset_code(
    session: AsyncSession, *, email: str, code: str, ip: str | None = None
) -> str:
    """The token of a reset link, for the code texted to the account's confirmed recovery phone
    (single use, 15 minutes); the reset itself (``reset_password``) still asks for the second
    factor. A wrong, used or expired code, or one sent to a number no longer the confirmed
    recovery phone, is refused alike."""
    account = await auth.account_by_email(session, email)
    if account is None:
        raise InvalidLinkToken("This code is invalid, expired or already used.")
    token = await tokens.consume(
        session,
        phone_code_key(account, code),
        TokenPurpose.password_reset_sms,
        account_id=account.id,
    )
    if (
        token.data.get("phone") != account.recovery_phone
        or account.recovery_phone_confirmed_at is None
    ):
        raise InvalidLinkToken("This code is no longer valid.")
    await activity.record(
        session,
        Actor(account.id, ip=ip),
        "security.password_reset_code_confirmed",
        account_id=account.id,
    )
    return await tokens.issue(session, account.id, TokenPurpose.password_reset)


async def _mail_reset_link(session: AsyncSession, account: Account, *, to: str) -> None:
    raw = await tokens.issue(session, account.id, TokenPurpose.password_reset)
    await mail_account(
        session,
        account,
        "password_reset",
        {"reset_url": tokens.link(TokenPurpose.password_reset, raw), "expires_minutes": 60},
        to=to,
    )


async def reset_password(
    session: AsyncSession,
    *,
    raw: str,
    new_password: str,
    code: str | None,
    emergency_code: str | None,
    ip: str | None = None,
) -> None:
    """Sets a new password from a reset link; 2FA still applies; every session ends.

    Whoever follows the link acts as the account (from ``ip``)."""
    token = await tokens.consume(session, raw, TokenPurpose.password_reset)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if account is None or account.deleted_at is not None:
        raise InvalidLinkToken("This link is no longer valid.")
    if account.two_factor_enabled and not await totp.verify_second_factor(
        session, account, code=code, emergency_code=emergency_code
    ):
        raise SecondFactorRequired("A valid two-factor code is required to reset the password.")
    await _set_password(session, account, new_password, by=Actor(account.id, ip=ip))
    account.failed_login_count = 0
    await auth.end_sessions(session, account.id, reason="password_reset")


async def request_login_email_change(
    session: AsyncSession, account: Account, *, password: str, new_email: str, confirmation: str
) -> None:
    await require_password(account, password)
    if new_email.lower() != confirmation.lower():
        raise EmailConfirmationMismatch("The two addresses differ.")
    if new_email.lower() == account.email.lower():
        raise EmailUnchanged("This is already your login address.")
    if account.recovery_email and new_email.lower() == account.recovery_email.lower():
        raise EmailIsRecoveryEmail("The login address must differ from the recovery address.")
    if await email_in_use(session, new_email, besides=account.id):
        raise EmailTaken("Another account uses this e-mail address.")
    raw = await tokens.issue(
        session, account.id, TokenPurpose.login_email_change, {"email": new_email}
    )
    await mail_account(
        session,
        account,
        "login_email_change_confirm",
        {"confirm_url": tokens.link(TokenPurpose.login_email_change, raw), "new_email": new_email},
        to=new_email,
    )


async def _switch_login_email(
    session: AsyncSession, raw: str, purpose: TokenPurpose, *, action: str, ip: str | None
) -> tuple[Account, str]:
    """Makes the address a mailed link carries the account's confirmed login, recorded as
    ``action``; returns the account and the address it had."""
    token = await tokens.consume(session, raw, purpose)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if account is None or account.deleted_at is not None:
        raise InvalidLinkToken("This link is no longer valid.")
    email = str(token.data["email"])
    if await email_in_use(session, email, besides=account.id):
        raise EmailTaken("Another account uses this e-mail address.")
    previous = account.email
    account.email = email
    account.email_confirmed_at = clock.now()
    await activity.record(
        session,
        Actor(account.id, ip=ip),
        action,
        account_id=account.id,
        details={"from": previous, "to": email},
    )
    return account, previous


async def confirm_login_email_change(
    session: AsyncSession, raw: str, *, ip: str | None = None
) -> Account:
    """The new address becomes the login; the old one is mailed a link to undo it."""
    account, old_email = await _switch_login_email(
        session, raw, TokenPurpose.login_email_change, action="security.login_email_changed", ip=ip
    )
    new_email = account.email
    undo = await tokens.issue(
        session, account.id, TokenPurpose.login_email_undo, {"email": old_email}
    )
    await mail_account(
        session,
        account,
        "login_email_changed",
        {
            "new_email": new_email,
            "undo_url": tokens.link(TokenPurpose.login_email_undo, undo),
            "at": stamp(),
        },
        to=old_email,
    )
    return account


async def undo_login_email_change(session: AsyncSession, raw: str, *, ip: str | None) -> None:
    """The link mailed to the former login address: it is the login again, every session
    ends, every personal access token is revoked and a password reset link goes to it (the
    change may have been someone else's, who may know the password)."""
    account, _ = await _switch_login_email(
        session,
        raw,
        TokenPurpose.login_email_undo,
        action="security.login_email_change_undone",
        ip=ip,
    )
    await auth.end_sessions(session, account.id, reason="login_email_change_undone")
    await pats.revoke_all(session, account.id)
    await _mail_reset_link(session, account, to=account.email)


async def set_recovery_email(
    session: AsyncSession, account: Account, email: str, *, by: Actor
) -> None:
    if email.lower() == account.email.lower():
        raise EmailIsLoginEmail("The recovery address must differ from the login address.")
    account.recovery_email = email
    account.recovery_email_confirmed_at = None
    raw = await tokens.issue(session, account.id, TokenPurpose.recovery_email, {"email": email})
    await mail_account(
        session,
        account,
        "recovery_email_confirm",
        {"confirm_url": tokens.link(TokenPurpose.recovery_email, raw)},
        to=email,
    )
    await mail_account(
        session, account, "recovery_email_changed", {"recovery_email": email, "at": stamp()}
    )
    await activity.record(session, by, "security.recovery_email_set", account_id=account.id)


async def confirm_recovery_email(session: AsyncSession, raw: str) -> Account:
    token = await tokens.consume(session, raw, TokenPurpose.recovery_email)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if (
        account is None
        or (account.recovery_email or "").lower() != str(token.data.get("email", "")).lower()
    ):
        raise InvalidLinkToken("This link is no longer valid.")
    account.recovery_email_confirmed_at = clock.now()
    return account


async def set_recovery_phone(
    session: AsyncSession, account: Account, phone: str, *, by: Actor
) -> None:
    """Texts a 6-digit code to ``phone``; the number counts once the code is confirmed."""
    code = f"{secrets.randbelow(10**6):06d}"
    account.recovery_phone = phone
    account.recovery_phone_confirmed_at = None
    await tokens.issue(
        session,
        account.id,
        TokenPurpose.recovery_phone,
        {"phone": phone},
        raw=phone_code_key(account, code),
    )
    await queue_sms(
        session, to=phone, text="recovery_phone_code", language=account.language, code=code
    )
    await activity.record(session, by, "security.recovery_phone_set", account_id=account.id)


def phone_code_key(account: Account, code: str) -> str:
    """The stored form of a texted code: a 6-digit code is only unique per account, so the
    stored digest covers both."""
    return f"{account.id}:{code}"


async def confirm_recovery_phone(session: AsyncSession, account: Account, code: str) -> None:
    token = await tokens.consume(
        session, phone_code_key(account, code), TokenPurpose.recovery_phone, account_id=account.id
    )
    if token.data.get("phone") != account.recovery_phone:
        raise InvalidLinkToken("This code is no longer valid.")
    account.recovery_phone_confirmed_at = clock.now()


async def reauthenticate(
    session: AsyncSession,
    account: Account,
    auth_session: AuthSession,
    client: Client,
    *,
    password: str,
    code: str | None,
    emergency_code: str | None,
) -> None:
    """Confirms the password (and a code with 2FA on): the session counts as fresh again."""
    await confirm_secrets(
        session,
        account,
        client,
        password=password,
        second_factor=account.two_factor_enabled,
        code=code,
        emergency_code=emergency_code,
    )
    if not account.two_factor_enabled and await auth.second_factors(session, account):
        raise SecondFactorRequired(
            "Confirm with a passkey instead (POST /v1/auth/reauthenticate/passkey)."
        )
    auth_session.authenticated_at = clock.now()
