"""Accounts whose identity another party proved: an organization's OpenID Connect provider
asserted the e-mail address. They get the service's own session and tokens as any login does."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import auth
from app.accounts.auth import Client, IssuedTokens
from app.accounts.errors import InvalidCredentials
from app.activity import service as activity
from app.activity.types import Actor
from app.core.security.jwt import KeyRing
from app.core.settings import Settings


async def account_id_for(session: AsyncSession, email: str) -> uuid.UUID | None:
    account = await auth.account_by_email(session, email)
    return account.id if account else None


async def sign_in(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    provider: str,
    client: Client,
    keyring: KeyRing,
    settings: Settings,
) -> IssuedTokens:
    """A session for the account the provider vouched for (a locked account is refused)."""
    account = await auth.find_account(session, account_id, for_update=True)
    if account is None or account.deleted_at is not None or account.locked_at is not None:
        raise InvalidCredentials
    await activity.record(
        session,
        Actor(account.id, ip=client.ip),
        "security.single_sign_on",
        account_id=account.id,
        details={"provider": provider},
    )
    return await auth.sign_in(session, account, client, keyring, settings)
