"""Worker purges: used MFA token ids, stale mailed links and old rate-limit windows go away."""

import uuid
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from app.accounts.auth import purge_expired_tokens
from app.accounts.models import AccountToken, ConsumedToken
from app.core import clock, ratelimit
from app.core.db import Database
from app.core.ratelimit import RateLimitCounter
from tests.factories import sign_up


async def _count(db: Database, model: type) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_purge_forgets_only_what_can_no_longer_be_used(client, db: Database) -> None:  # type: ignore[no-untyped-def]
    account = await sign_up(client)  # mails a confirmation link valid 7 days
    now = clock.now()
    async with db.sessionmaker.begin() as session:
        session.add(ConsumedToken(jti=uuid.uuid4().hex, expires_at=now + timedelta(minutes=5)))
    assert await _count(db, AccountToken) == 1
    with time_machine.travel(now + timedelta(days=6), tick=False):
        assert await purge_expired_tokens(db.sessionmaker) == 1  # the MFA token id only
    with time_machine.travel(now + timedelta(days=38), tick=False):
        assert await purge_expired_tokens(db.sessionmaker) == 1  # the link, 30 days after expiry
    assert await _count(db, AccountToken) == 0
    assert account["email"]


async def test_old_rate_limit_windows_are_purged(db: Database) -> None:
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await ratelimit.hit(db.sessionmaker, "login:192.0.2.1", limit=10, per_seconds=60)
        traveller.shift(timedelta(hours=23))
        await ratelimit.hit(db.sessionmaker, "login:192.0.2.1", limit=10, per_seconds=60)
        traveller.shift(timedelta(hours=2))
        assert await ratelimit.purge_old_windows(db.sessionmaker) == 1
    assert await _count(db, RateLimitCounter) == 1
