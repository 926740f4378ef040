"""Sign-up, e-mail confirmation, profile, passwords, recovery, login e-mail change and deletion."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth, password_policy, tokens, totp
from app.accounts.models import Account, AccountAvatar
from app.accounts.types import TokenPurpose
from app.activity import service as activity
from app.core import clock
from app.core.errors import Conflict, Forbidden, Unprocessable
from app.core.security import passwords
from app.notifications.service import queue_mail
from app.notifications.sms import queue_sms


class EmailTaken(Conflict):
    code = "email_already_registered"


class WrongPassword(Forbidden):
    code = "wrong_password"


class SecondFactorRequired(Forbidden):
    code = "two_factor_code_required"


async def _mail(
    session: AsyncSession,
    account: Account,
    template: str,
    context: dict[str, Any],
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


async def _new_support_code(session: AsyncSession) -> str:
    while True:
        code = f"{secrets.randbelow(10**8):08d}"
        if not await session.scalar(select(func.count()).where(Account.support_code == code)):
            return code


async def email_in_use(
    session: AsyncSession, email: str, *, besides: uuid.UUID | None = None
) -> bool:
    statement = select(func.count()).where(func.lower(Account.email) == email.lower())
    if besides is not None:
        statement = statement.where(Account.id != besides)
    return bool(await session.scalar(statement))


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
    """Creates the account (its organization, when it is not invited, comes from
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
    await activity.record_entry(
        session, "account.created", account_id=account.id, actor_account_id=account.id
    )
    if email_confirmed:
        account.email_confirmed_at = now
    else:
        await send_confirmation(session, account)
    return account


async def send_confirmation(session: AsyncSession, account: Account) -> None:
    if account.email_confirmed_at is not None:
        raise Conflict("The e-mail address is already confirmed.", code="email_already_confirmed")
    raw = await tokens.issue(
        session, account.id, TokenPurpose.confirm_email, {"email": account.email}
    )
    await _mail(
        session,
        account,
        "account_confirm_email",
        {"confirm_url": tokens.link(TokenPurpose.confirm_email, raw)},
    )


async def confirm_email(session: AsyncSession, raw: str) -> Account:
    token = await tokens.consume(session, raw, TokenPurpose.confirm_email)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if account is None or account.email.lower() != str(token.data.get("email", "")).lower():
        raise tokens.InvalidLinkToken("This link is no longer valid.")
    account.email_confirmed_at = clock.now()
    await activity.record_entry(
        session, "account.email_confirmed", account_id=account.id, actor_account_id=account.id
    )
    return account


async def update_profile(
    session: AsyncSession, account: Account, changes: dict[str, Any]
) -> Account:
    for field, value in changes.items():
        setattr(account, field, value)
    account.updated_at = clock.now()
    await activity.record_entry(
        session,
        "account.profile_updated",
        account_id=account.id,
        actor_account_id=account.id,
        details={"fields": sorted(changes)},
    )
    return account


async def require_password(account: Account, password: str) -> None:
    if not await passwords.verify_password(account.password_hash, password):
        raise WrongPassword("The password is not correct.")


async def change_password(
    session: AsyncSession,
    account: Account,
    *,
    current: str,
    new: str,
    keep_session: uuid.UUID | None,
) -> None:
    await require_password(account, current)
    await _set_password(session, account, new)
    await auth.end_sessions(session, account.id, reason="password_changed", keep=keep_session)


async def _set_password(session: AsyncSession, account: Account, new: str) -> None:
    password_policy.check(new, email=account.email)
    account.password_hash = await passwords.hash_password(new)
    account.password_changed_at = clock.now()
    await activity.record_entry(
        session, "security.password_changed", account_id=account.id, actor_account_id=account.id
    )
    await _mail(
        session,
        account,
        "password_changed",
        {"changed_at": clock.now().strftime("%Y-%m-%d %H:%M UTC")},
    )


async def request_password_reset(session: AsyncSession, email: str) -> None:
    """Mails a reset link to the recovery address (when confirmed) or else the login one."""
    account = await auth.account_by_email(session, email)
    if account is None:
        return
    raw = await tokens.issue(session, account.id, TokenPurpose.password_reset)
    to = account.recovery_email if account.recovery_email_confirmed_at else account.email
    await _mail(
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
) -> None:
    """Sets a new password from a reset link; 2FA still applies; every session ends."""
    token = await tokens.consume(session, raw, TokenPurpose.password_reset)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if account is None or account.deleted_at is not None:
        raise tokens.InvalidLinkToken("This link is no longer valid.")
    if account.two_factor_enabled and not await totp.verify_second_factor(
        session, account, code=code, emergency_code=emergency_code
    ):
        raise SecondFactorRequired("A valid two-factor code is required to reset the password.")
    await _set_password(session, account, new_password)
    account.failed_login_count = 0
    await auth.end_sessions(session, account.id, reason="password_reset")


async def request_login_email_change(
    session: AsyncSession, account: Account, *, password: str, new_email: str, confirmation: str
) -> None:
    await require_password(account, password)
    if new_email.lower() != confirmation.lower():
        raise Unprocessable("The two addresses differ.", code="email_confirmation_mismatch")
    if new_email.lower() == account.email.lower():
        raise Unprocessable("This is already your login address.", code="email_unchanged")
    if account.recovery_email and new_email.lower() == account.recovery_email.lower():
        raise Unprocessable(
            "The login address must differ from the recovery address.",
            code="email_is_recovery_email",
        )
    if await email_in_use(session, new_email, besides=account.id):
        raise EmailTaken("Another account uses this e-mail address.")
    raw = await tokens.issue(
        session, account.id, TokenPurpose.login_email_change, {"email": new_email}
    )
    await _mail(
        session,
        account,
        "login_email_change_confirm",
        {"confirm_url": tokens.link(TokenPurpose.login_email_change, raw), "new_email": new_email},
        to=new_email,
    )


async def confirm_login_email_change(session: AsyncSession, raw: str) -> Account:
    token = await tokens.consume(session, raw, TokenPurpose.login_email_change)
    account = await session.get(Account, token.account_id, with_for_update=True)
    new_email = str(token.data["email"])
    if account is None:
        raise tokens.InvalidLinkToken("This link is no longer valid.")
    if await email_in_use(session, new_email, besides=account.id):
        raise EmailTaken("Another account uses this e-mail address.")
    old_email = account.email
    account.email = new_email
    account.email_confirmed_at = clock.now()
    await activity.record_entry(
        session,
        "security.login_email_changed",
        account_id=account.id,
        actor_account_id=account.id,
        details={"from": old_email, "to": new_email},
    )
    return account


async def set_recovery_email(session: AsyncSession, account: Account, email: str) -> None:
    if email.lower() == account.email.lower():
        raise Unprocessable(
            "The recovery address must differ from the login address.", code="email_is_login_email"
        )
    account.recovery_email = email
    account.recovery_email_confirmed_at = None
    raw = await tokens.issue(session, account.id, TokenPurpose.recovery_email, {"email": email})
    await _mail(
        session,
        account,
        "recovery_email_confirm",
        {"confirm_url": tokens.link(TokenPurpose.recovery_email, raw)},
        to=email,
    )
    await activity.record_entry(
        session, "security.recovery_email_set", account_id=account.id, actor_account_id=account.id
    )


async def confirm_recovery_email(session: AsyncSession, raw: str) -> Account:
    token = await tokens.consume(session, raw, TokenPurpose.recovery_email)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if (
        account is None
        or (account.recovery_email or "").lower() != str(token.data.get("email", "")).lower()
    ):
        raise tokens.InvalidLinkToken("This link is no longer valid.")
    account.recovery_email_confirmed_at = clock.now()
    return account


async def set_recovery_phone(session: AsyncSession, account: Account, phone: str) -> None:
    """Texts a 6-digit code to ``phone``; the number counts once the code is confirmed."""
    code = f"{secrets.randbelow(10**6):06d}"
    account.recovery_phone = phone
    account.recovery_phone_confirmed_at = None
    await tokens.issue(
        session,
        account.id,
        TokenPurpose.recovery_phone,
        {"phone": phone},
        raw=_phone_code_key(account, code),
    )
    await queue_sms(
        session, to=phone, text="recovery_phone_code", language=account.language, code=code
    )
    await activity.record_entry(
        session, "security.recovery_phone_set", account_id=account.id, actor_account_id=account.id
    )


def _phone_code_key(account: Account, code: str) -> str:
    # A 6-digit code is only unique per account: the stored digest covers both.
    return f"{account.id}:{code}"


async def confirm_recovery_phone(session: AsyncSession, account: Account, code: str) -> None:
    token = await tokens.consume(
        session, _phone_code_key(account, code), TokenPurpose.recovery_phone, account_id=account.id
    )
    if token.data.get("phone") != account.recovery_phone:
        raise tokens.InvalidLinkToken("This code is no longer valid.")
    account.recovery_phone_confirmed_at = clock.now()


async def set_avatar(
    session: AsyncSession, account: Account, *, content_type: str, data: bytes
) -> None:
    avatar = await session.get(AccountAvatar, account.id)
    if avatar is None:
        session.add(
            AccountAvatar(
                account_id=account.id, content_type=content_type, data=data, updated_at=clock.now()
            )
        )
    else:
        avatar.content_type, avatar.data, avatar.updated_at = content_type, data, clock.now()
    await session.flush()


async def has_avatar(session: AsyncSession, account_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(select(func.count()).where(AccountAvatar.account_id == account_id))
    )


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
    await activity.record_entry(
        session, "account.deleted", account_id=account.id, actor_account_id=account.id
    )


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
