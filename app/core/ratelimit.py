"""Fixed-window rate limits kept in PostgreSQL, so every replica counts against the same budget."""

import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import String, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, database_of
from app.core.errors import TooManyRequests, raises


class RateLimitCounter(Base):
    __tablename__ = "core_rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def hit(
    sessionmaker: async_sessionmaker[AsyncSession], bucket: str, *, limit: int, per_seconds: int
) -> None:
    """Counts one hit on ``bucket``; raises 429 with ``Retry-After`` past ``limit`` per window."""
    now = clock.now()
    epoch = now.timestamp()
    window = datetime.fromtimestamp(epoch - epoch % per_seconds, tz=now.tzinfo)
    async with sessionmaker.begin() as session:
        statement = insert(RateLimitCounter).values(bucket=bucket, window_start=window, hits=1)
        hits = await session.scalar(
            statement.on_conflict_do_update(
                index_elements=["bucket", "window_start"],
                set_={"hits": RateLimitCounter.hits + 1},
            ).returning(RateLimitCounter.hits)
        )
    if hits is not None and hits > limit:
        retry_after = max(
            1, math.ceil((window + timedelta(seconds=per_seconds) - now).total_seconds())
        )
        raise TooManyRequests(
            "Too many requests; try again later.", headers={"Retry-After": str(retry_after)}
        )


def per_ip(name: str, *, limit: int, per_seconds: int) -> Callable[[Request], Awaitable[None]]:
    """A route dependency limiting each client IP to ``limit`` requests per window."""

    async def limit_by_ip(request: Request) -> None:
        await hit(
            database_of(request).sessionmaker,
            f"{name}:{client_ip(request)}",
            limit=limit,
            per_seconds=per_seconds,
        )

    return raises(TooManyRequests)(limit_by_ip)


async def purge_old_windows(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker.begin() as session:
        result = await session.execute(
            delete(RateLimitCounter).where(
                RateLimitCounter.window_start < clock.now() - timedelta(days=1)
            )
        )
    return int(getattr(result, "rowcount", 0) or 0)
