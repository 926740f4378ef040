"""Personal access tokens (application passwords) for integrators and sync tools.

A token works only while its account is neither locked nor deleted."""

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.errors import ExpiryInPast, TokenNotFound
from app.accounts.mail import mail_account, stamp
from app.accounts.models import Account, PersonalAccessToken
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.tokens import digest, new_token

PREFIX = "mgr_pat_"
_TOUCH_EVERY = timedelta(minutes=1)


async def create(
    session: AsyncSession,
    account: Account,
    *,
    name: str,
    scopes: list[str],
    expires_at: datetime | None,
    by: Actor,
) -> tuple[PersonalAccessToken, str]:
    if expires_at is not None and expires_at <= clock.now():
        raise ExpiryInPast("The expiry must be in the future.")
    raw = new_token(PREFIX)
    token = PersonalAccessToken(
        account_id=account.id,
        name=name,
        scopes=sorted(set(scopes)),
        token_digest=digest(raw),
        prefix=raw[: len(PREFIX) + 4],
        expires_at=expires_at,
    )
    session.add(token)
    await session.flush()
    await activity.record(
        session,
        by,
        "security.token_created",
        account_id=account.id,
        details={"token_id": str(token.id), "name": token.name, "scopes": token.scopes},
    )
    await mail_account(
        session,
        account,
        "token_created",
        {"token_name": token.name, "scopes": ", ".join(token.scopes), "at": stamp()},
    )
    return token, raw


def active_of(account_id: uuid.UUID) -> Select[PersonalAccessToken]:
    return select(PersonalAccessToken).where(
        PersonalAccessToken.account_id == account_id, PersonalAccessToken.revoked_at.is_(None)
    )


async def get_token(
    session: AsyncSession, account_id: uuid.UUID, token_id: uuid.UUID, *, for_update: bool = False
) -> PersonalAccessToken:
    """One not revoked token of the account."""
    statement = select(PersonalAccessToken).where(
        PersonalAccessToken.id == token_id,
        PersonalAccessToken.account_id == account_id,
        PersonalAccessToken.revoked_at.is_(None),
    )
    return await one_or_raise(
        session, statement, TokenNotFound("No such token."), for_update=for_update
    )


async def revoke(
    session: AsyncSession, account_id: uuid.UUID, token_id: uuid.UUID, *, by: Actor
) -> PersonalAccessToken:
    token = await get_token(session, account_id, token_id)
    token.revoked_at = clock.now()
    await activity.record(
        session,
        by,
        "security.token_revoked",
        account_id=account_id,
        details={"token_id": str(token.id), "name": token.name},
    )
    return token


async def revoke_all(session: AsyncSession, account_id: uuid.UUID) -> None:
    """Revokes every token of the account (it is being deleted)."""
    await session.execute(
        update(PersonalAccessToken)
        .where(
            PersonalAccessToken.account_id == account_id,
            PersonalAccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )


BEARER = (
    select(PersonalAccessToken, Account)
    .join(Account, Account.id == PersonalAccessToken.account_id)
    .where(
        PersonalAccessToken.token_digest == bindparam("caller_token_digest"),
        PersonalAccessToken.revoked_at.is_(None),
        Account.deleted_at.is_(None),
        Account.locked_at.is_(None),
    )
)
"""The token of digest ``caller_token_digest`` (``bearer_parameters``) and its account, unless
revoked, deleted or locked (``accepted`` tells the rest); a caller's statement may load more
beside them."""


def bearer_parameters(raw: str) -> dict[str, Any]:
    return {"caller_token_digest": digest(raw)}


async def accepted(session: AsyncSession, token: PersonalAccessToken) -> bool:
    """Whether the token found by ``BEARER`` has not expired; marks it used (at most
    once a minute)."""
    now = clock.now()
    if token.expires_at is not None and token.expires_at <= now:
        return False
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        await session.execute(
            update(PersonalAccessToken)
            .where(PersonalAccessToken.id == token.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )
        token.last_used_at = now
    return True


async def authenticate(
    session: AsyncSession, raw: str
) -> tuple[PersonalAccessToken, Account] | None:
    row = (await session.execute(BEARER, bearer_parameters(raw))).one_or_none()
    if row is None or not await accepted(session, row[0]):
        return None
    return row[0], row[1]
