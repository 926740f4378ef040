"""The caller's own account: profile, e-mail confirmation, avatar and security settings."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import newsletters, tokens
from app.accounts.errors import (
    AvatarNotFound,
    AvatarTooLarge,
    AvatarTypeNotSupported,
    EmailAlreadyConfirmed,
    InvalidLinkToken,
)
from app.accounts.mail import mail_account
from app.accounts.models import Account, AccountAvatar
from app.accounts.schemas import AccountRead, SecuritySettings
from app.accounts.types import TokenPurpose
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock

AVATAR_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}
AVATAR_MAX_BYTES = 1024 * 1024


async def account_read(session: AsyncSession, account: Account) -> AccountRead:
    return AccountRead.model_validate(
        {
            **{
                field: getattr(account, field)
                for field in AccountRead.model_fields
                if hasattr(account, field)
            },
            "email_confirmed": account.email_confirmed_at is not None,
            "recovery_email_confirmed": account.recovery_email_confirmed_at is not None,
            "recovery_phone_confirmed": account.recovery_phone_confirmed_at is not None,
            "phone_confirmed": account.phone_confirmed_at is not None,
            "two_factor_enabled": account.two_factor_enabled,
            "has_avatar": await has_avatar(session, account.id),
        }
    )


async def send_confirmation(session: AsyncSession, account: Account) -> None:
    if account.email_confirmed_at is not None:
        raise EmailAlreadyConfirmed("The e-mail address is already confirmed.")
    raw = await tokens.issue(
        session, account.id, TokenPurpose.confirm_email, {"email": account.email}
    )
    await mail_account(
        session,
        account,
        "account_confirm_email",
        {"confirm_url": tokens.link(TokenPurpose.confirm_email, raw)},
    )


async def confirm_email(session: AsyncSession, raw: str, *, ip: str | None = None) -> Account:
    """Confirms the login e-mail from the mailed link (whoever follows it acts as the account)."""
    token = await tokens.consume(session, raw, TokenPurpose.confirm_email)
    account = await session.get(Account, token.account_id, with_for_update=True)
    if account is None or account.email.lower() != str(token.data.get("email", "")).lower():
        raise InvalidLinkToken("This link is no longer valid.")
    account.email_confirmed_at = clock.now()
    await activity.record(
        session, Actor(account.id, ip=ip), "account.email_confirmed", account_id=account.id
    )
    return account


async def update_profile(
    session: AsyncSession, account: Account, changes: dict[str, Any], *, by: Actor
) -> Account:
    if "phone" in changes and changes["phone"] != account.phone:
        account.phone_confirmed_at = None
    for field, value in changes.items():
        if field != "newsletter_topics":
            setattr(account, field, value)
    if "newsletter_topics" in changes:  # after the language: consent is worded in it
        await newsletters.set_topics(session, account, changes["newsletter_topics"], by=by)
    account.updated_at = clock.now()
    await activity.record(
        session,
        by,
        "account.profile_updated",
        account_id=account.id,
        details={"fields": sorted(changes)},
    )
    return account


async def update_security(
    session: AsyncSession, account: Account, changes: dict[str, Any], *, by: Actor
) -> SecuritySettings:
    """Failed-attempt threshold and login alert e-mails."""
    for field, value in changes.items():
        setattr(account, field, value)
    await activity.record(session, by, "security.settings_updated", account_id=account.id)
    return SecuritySettings.model_validate(account)


def avatar_type(data: bytes) -> str:
    """The media type of an avatar image; refuses what is too large or not PNG/JPEG/WebP."""
    if len(data) > AVATAR_MAX_BYTES:
        raise AvatarTooLarge("The image is larger than 1 MiB.")
    content_type = next(
        (kind for magic, kind in AVATAR_TYPES.items() if data.startswith(magic)), None
    )
    if content_type == "image/webp" and data[8:12] != b"WEBP":
        content_type = None
    if content_type is None:
        raise AvatarTypeNotSupported("The avatar must be a PNG, JPEG or WebP image.")
    return content_type


async def set_avatar(session: AsyncSession, account: Account, data: bytes, *, by: Actor) -> None:
    """Checks and stores the image (``by`` is the account itself: not logged, as before)."""
    content_type = avatar_type(data)
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


async def get_avatar(
    session: AsyncSession, account_id: uuid.UUID, *, for_update: bool = False
) -> AccountAvatar:
    avatar = await session.get(AccountAvatar, account_id, with_for_update=for_update)
    if avatar is None:
        raise AvatarNotFound("No avatar.")
    return avatar


async def has_avatar(session: AsyncSession, account_id: uuid.UUID) -> bool:
    return bool(
        await session.scalar(select(func.count()).where(AccountAvatar.account_id == account_id))
    )
