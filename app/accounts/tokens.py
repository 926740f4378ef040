"""Single-use secrets sent by e-mail (confirmation, reset, unlock and change links) or texted
(phone codes, keyed by account: ``credentials.phone_code_key``)."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.errors import InvalidLinkToken
from app.accounts.models import AccountToken
from app.accounts.types import TokenPurpose
from app.core import clock
from app.core.security.tokens import digest, new_token
from app.core.settings import get_settings

LIFETIMES = {
    TokenPurpose.confirm_email: timedelta(days=7),
    TokenPurpose.password_reset: timedelta(minutes=60),
    TokenPurpose.password_reset_sms: timedelta(minutes=15),
    TokenPurpose.unlock: timedelta(days=1),
    TokenPurpose.recovery_email: timedelta(days=7),
    TokenPurpose.login_email_change: timedelta(days=1),
    TokenPurpose.login_email_undo: timedelta(days=7),
    TokenPurpose.recovery_phone: timedelta(minutes=15),
    TokenPurpose.phone_confirmation: timedelta(minutes=15),
    TokenPurpose.account_activation: timedelta(days=14),
}
PATHS = {
    TokenPurpose.confirm_email: "/account/confirm-email",
    TokenPurpose.password_reset: "/account/reset-password",
    TokenPurpose.unlock: "/account/unlock",
    TokenPurpose.recovery_email: "/account/confirm-recovery-email",
    TokenPurpose.login_email_change: "/account/confirm-login-email",
    TokenPurpose.account_activation: "/account/activate",
    TokenPurpose.login_email_undo: "/account/undo-login-email",
}


async def issue(
    session: AsyncSession,
    account_id: uuid.UUID,
    purpose: TokenPurpose,
    data: dict[str, Any] | None = None,
    *,
    raw: str | None = None,
) -> str:
    """Stores a new token (earlier unused ones of the same purpose stop working) and returns it."""
    now = clock.now()
    for earlier in await session.scalars(
        select(AccountToken).where(
            AccountToken.account_id == account_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
    ):
        earlier.used_at = now
    raw = raw or new_token()
    session.add(
        AccountToken(
            account_id=account_id,
            purpose=purpose,
            token_digest=digest(raw),
            data=data or {},
            expires_at=now + LIFETIMES[purpose],
        )
    )
    await session.flush()
    return raw


def link(purpose: TokenPurpose, raw: str) -> str:
    return f"{get_settings().links_base}{PATHS[purpose]}?token={raw}"


async def peek(session: AsyncSession, raw: str, purpose: TokenPurpose) -> AccountToken:
    """The token, still usable, without using it up (locked until the transaction ends)."""
    token = await session.scalar(
        select(AccountToken)
        .where(AccountToken.token_digest == digest(raw), AccountToken.purpose == purpose)
        .with_for_update()
    )
    if token is None or token.used_at is not None or token.expires_at <= clock.now():
        raise InvalidLinkToken("This link is invalid, expired or already used.")
    return token


async def consume(
    session: AsyncSession, raw: str, purpose: TokenPurpose, *, account_id: uuid.UUID | None = None
) -> AccountToken:
    """Marks the token used and returns it; a used, expired or unknown one is refused."""
    token = await session.scalar(
        select(AccountToken)
        .where(AccountToken.token_digest == digest(raw), AccountToken.purpose == purpose)
        .with_for_update()
    )
    if (
        token is None
        or token.used_at is not None
        or token.expires_at <= clock.now()
        or (account_id is not None and token.account_id != account_id)
    ):
        raise InvalidLinkToken("This link is invalid, expired or already used.")
    token.used_at = clock.now()
    return token
