"""The single sign-on domain's periodic job: forgetting authorization requests that can no
longer be completed."""

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core import clock
from app.sso.models import SsoLogin

KEEP = timedelta(days=1)
"""Expired or used requests are kept a day (a replayed ``state`` is refused either way)."""


async def purge_expired_logins(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(SsoLogin).where(SsoLogin.expires_at < clock.now() - KEEP)
        )
    return int(getattr(result, "rowcount", 0) or 0)
