"""Fixed-window rate limits kept in PostgreSQL, so every replica counts against the same budget."""

import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import String, bindparam, delete
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from app.core import clock
from app.core.db import Base, Session, database_of, on_rollback
from app.core.errors import TooManyRequests, raises


class RateLimitCounter(Base):
    __tablename__ = "core_rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    hits: Mapped[int]


_HIT = (
    insert(RateLimitCounter)
    .values(bucket=bindparam("bucket"), window_start=bindparam("window_start"), hits=1)
    .on_conflict_do_update(
        index_elements=["bucket", "window_start"], set_={"hits": RateLimitCounter.hits + 1}
    )
    .returning(RateLimitCounter.hits)
)
"""Counts one hit on a bucket's window; the window's hits so far. Built once (a hot path)."""


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def hit(
    sessionmaker: async_sessionmaker[AsyncSession], bucket: str, *, limit: int, per_seconds: int
) -> None:
    """Counts one hit on ``bucket``; raises 429 with ``Retry-After`` past ``limit`` per window."""
    now = clock.now()
    window = _window(now, per_seconds)
    async with sessionmaker.begin() as session:
        hits = await session.scalar(_HIT, {"bucket": bucket, "window_start": window})
    _check(hits, limit, now, window, per_seconds)


async def hit_in_request(
    session: AsyncSession, bucket: str, *, limit: int, per_seconds: int
) -> None:
    """``hit`` in the request's own transaction, which saves a connection and a transaction.

    The count is written with the request's changes or, when its transaction rolls back, again
    in a transaction of its own right after: it stands whatever becomes of the request. The
    bucket's row stays locked until the request's transaction ends, so requests of one bucket
    wait for each other: only for a route with few requests per bucket (logins, per IP)."""
    now = clock.now()
    window = _window(now, per_seconds)
    parameters = {"bucket": bucket, "window_start": window}

    async def count_again(session: AsyncSession) -> None:
        await session.execute(_HIT, parameters)

    hits = await session.scalar(_HIT, parameters)
    on_rollback(session, count_again)
    _check(hits, limit, now, window, per_seconds)


def _window(now: datetime, per_seconds: int) -> datetime:
    epoch = now.timestamp()
    return datetime.fromtimestamp(epoch - epoch % per_seconds, tz=now.tzinfo)


def _check(hits: int | None, limit: int, now: datetime, window: datetime, per_seconds: int) -> None:
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


def per_ip_in_request(
    name: str, *, limit: int, per_seconds: int
) -> Callable[[Request, AsyncSession], Awaitable[None]]:
    """``per_ip`` counted in the request's transaction (``hit_in_request``)."""

    async def limit_by_ip(request: Request, session: Session) -> None:
        await hit_in_request(
            session, f"{name}:{client_ip(request)}", limit=limit, per_seconds=per_seconds
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
