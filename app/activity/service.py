"""Recording and listing activity. Record within the transaction that makes the change."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.models import ActivityEntry
from app.activity.types import Actor, Via
from app.core import bulk, clock
from app.core.pagination import PageParams, paginate

_UNMARKED = frozenset({Via.account, Via.member, Via.customer})


async def record(
    session: AsyncSession,
    by: Actor,
    action: str,
    *,
    account_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> ActivityEntry:
    """Records ``action``: in ``account_id``'s log and/or ``organization_id``'s, done by ``by``
    (its account, as whom, and how: partner, support and system actions are marked ``via``)."""
    entry = ActivityEntry(
        **_values(by, action, Entry(account_id, organization_id, product_id, details or {}))
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Entry:
    """One entry of ``record_many``: whose logs it goes in, and its details."""

    account_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    product_id: uuid.UUID | None = None
    details: dict[str, Any] = field(default_factory=dict)


async def record_many(
    session: AsyncSession,
    by: Actor,
    action: str,
    entries: Iterable[Entry],
    *,
    now: datetime | None = None,
) -> int:
    """Records ``action`` once per entry, as ``record`` does, in one INSERT (a batch job's
    entries); returns how many."""
    created_at = now or clock.now()
    rows = [
        _values(by, action, entry) | {"id": uuid.uuid4(), "created_at": created_at}
        for entry in entries
    ]
    if rows:
        await bulk.insert_rows(session, ActivityEntry, rows)
    return len(rows)


def _values(by: Actor, action: str, entry: Entry) -> dict[str, Any]:
    details = dict(entry.details)
    if by.via not in _UNMARKED:
        details["via"] = by.via.value
    if by.token:
        details["token"] = True
    return {
        "action": action,
        "account_id": entry.account_id,
        "organization_id": entry.organization_id,
        "product_id": entry.product_id,
        "actor_account_id": by.account_id,
        "actor_organization_id": by.organization_id,
        "ip": by.ip if by.ip and by.ip != "unknown" else None,
        "details": details,
    }


def query(
    *,
    account_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    action: str | None = None,
    product_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[ActivityEntry]:
    """Entries of one account's or one organization's log, filtered; paginate the result."""
    statement = select(ActivityEntry)
    if account_id is not None:
        statement = statement.where(ActivityEntry.account_id == account_id)
    if organization_id is not None:
        statement = statement.where(ActivityEntry.organization_id == organization_id)
    if action:
        statement = statement.where(ActivityEntry.action.startswith(action))
    if product_id is not None:
        statement = statement.where(ActivityEntry.product_id == product_id)
    if since is not None:
        statement = statement.where(ActivityEntry.created_at >= since)
    if until is not None:
        statement = statement.where(ActivityEntry.created_at < until)
    return statement


async def page(
    session: AsyncSession, statement: Select[ActivityEntry], params: PageParams
) -> tuple[Sequence[ActivityEntry], str | None]:
    """One page of a ``query(...)``, newest first."""
    return await paginate(session, statement, params)


def by_actor(
    statement: Select[ActivityEntry],
    *,
    account_id: uuid.UUID | None = None,
    actor_account_id: uuid.UUID | None = None,
    actor_organization_id: uuid.UUID | None = None,
) -> Select[ActivityEntry]:
    """Narrows a ``query(...)`` to entries about an account, or done by an actor."""
    if account_id is not None:
        statement = statement.where(ActivityEntry.account_id == account_id)
    if actor_account_id is not None:
        statement = statement.where(ActivityEntry.actor_account_id == actor_account_id)
    if actor_organization_id is not None:
        statement = statement.where(ActivityEntry.actor_organization_id == actor_organization_id)
    return statement
