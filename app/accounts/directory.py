"""What other domains need to read or change about accounts, without touching their tables."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import Account, LoginAttempt
from app.core.schemas import from_attributes


@dataclass(frozen=True)
class AccountSummary:
    id: uuid.UUID
    email: str
    first_name: str
    last_name: str
    language: str
    two_factor_enabled: bool
    locked: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _summary(account: Account) -> AccountSummary:
    return from_attributes(AccountSummary, account, locked=account.locked_at is not None)


async def summaries(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, AccountSummary]:
    """Name, address, language and security status of each (not deleted) account."""
    ids = list(set(account_ids))
    if not ids:
        return {}
    accounts = await session.scalars(
        select(Account).where(Account.id.in_(ids), Account.deleted_at.is_(None))
    )
    return {account.id: _summary(account) for account in accounts}


async def summary(session: AsyncSession, account_id: uuid.UUID) -> AccountSummary | None:
    return (await summaries(session, [account_id])).get(account_id)


async def by_email(session: AsyncSession, email: str) -> AccountSummary | None:
    """The (not deleted) account whose login is ``email``, in any case."""
    account = await session.scalar(
        select(Account).where(
            func.lower(Account.email) == email.strip().lower(), Account.deleted_at.is_(None)
        )
    )
    return _summary(account) if account is not None else None


async def last_logins(
    session: AsyncSession, account_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each account last logged in successfully (accounts that never did are absent)."""
    ids = list(set(account_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(LoginAttempt.account_id, func.max(LoginAttempt.created_at))
        .where(LoginAttempt.account_id.in_(ids), LoginAttempt.succeeded.is_(True))
        .group_by(LoginAttempt.account_id)
    )
    return {row[0]: row[1] for row in rows}


def without_two_factor(account_id: Any) -> ColumnElement[bool]:
    """A filter on a column of account ids: the accounts that have not turned 2FA on."""
    return account_id.in_(select(Account.id).where(Account.totp_enabled_at.is_(None)))  # type: ignore[no-any-return]


def with_two_factor(account_id: Any) -> ColumnElement[bool]:
    return account_id.in_(select(Account.id).where(Account.totp_enabled_at.is_not(None)))  # type: ignore[no-any-return]
