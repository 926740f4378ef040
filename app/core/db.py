"""Engine, sessions and the declarative base. One transaction per request that writes.

A request that only reads (GET, HEAD) runs without a transaction: its statements are sent in
autocommit, so it pays no BEGIN and COMMIT round trips (each statement still sees a consistent
snapshot of its own). Connections are not pinged before use: the pool recycles them after
``POOL_RECYCLE_SECONDS``, and a connection found dead mid-request is invalidated with the rest of
the pool and answered 503 ``database_unavailable`` (``core.errors``), so the next request gets a
fresh one."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import structlog
from fastapi import Depends, Request
from sqlalchemy import Connection, DateTime, MetaData, Select, event, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core import clock
from app.core.errors import AppError
from app.core.settings import get_settings

log = structlog.get_logger("app.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        uuid.UUID: UUID(as_uuid=True),
    }


class IdMixin:
    """A UUID primary key, assigned when the object is built (so that rows can reference each
    other before the flush)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


@event.listens_for(IdMixin, "init", propagate=True)
def _assign_id(target: IdMixin, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("id", uuid.uuid4())


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4().hex}__"


def async_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and point SQLAlchemy at asyncpg."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('://')[0]}://…")


POOL_RECYCLE_SECONDS = 1800
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass
class Database:
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[AsyncSession]
    """Sessions in autocommit, for requests that only read."""

    @classmethod
    def connect(
        cls,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        pool_timeout: float = 30.0,
        statement_timeout_ms: int = 0,
        transaction_pooler: bool | None = None,
    ) -> "Database":
        """An engine on ``url``; ``statement_timeout_ms`` (0: none) caps each statement, so one
        slow query cannot hold a connection for ever; connecting gives up after 5 seconds.

        Behind a pool in transaction mode (``transaction_pooler``, default the setting
        ``db_transaction_pooler``), a server connection serves other clients between
        transactions: no prepared statement outlives its use (asyncpg's caches off, each one
        named uniquely), and the statement timeout, which cannot be sent when connecting, is set
        at the start of each transaction."""
        if transaction_pooler is None:
            transaction_pooler = get_settings().db_transaction_pooler
        server_settings = {"application_name": "manager-api", "timezone": "UTC"}
        connect_args: dict[str, Any] = {"timeout": 5, "server_settings": server_settings}
        if transaction_pooler:
            connect_args |= {
                "statement_cache_size": 0,
                "prepared_statement_cache_size": 0,
                "prepared_statement_name_func": _unique_statement_name,
            }
        else:
            server_settings["statement_timeout"] = str(statement_timeout_ms)
        engine = create_async_engine(
            async_url(url),
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=pool_timeout,
            pool_recycle=POOL_RECYCLE_SECONDS,
            connect_args=connect_args,
        )
        if transaction_pooler and statement_timeout_ms:
            timeout = f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}"

            @event.listens_for(engine.sync_engine, "begin")
            def _statement_timeout(connection: Connection) -> None:
                connection.exec_driver_sql(timeout)

        # Behind a pool in transaction mode the statement timeout is set per transaction: reads
        # keep theirs there.
        return cls.of(engine, autocommit_reads=not (transaction_pooler and statement_timeout_ms))

    @classmethod
    def of(cls, engine: AsyncEngine, *, autocommit_reads: bool = True) -> "Database":
        """The sessions of ``engine``: reads in autocommit unless ``autocommit_reads`` is off."""
        reader = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if autocommit_reads else engine
        )
        return cls(
            engine,
            async_sessionmaker(engine, expire_on_commit=False),
            async_sessionmaker(reader, expire_on_commit=False),
        )

    async def ping(self) -> None:
        """One ``SELECT 1``, sent as reads are (in autocommit: no BEGIN and ROLLBACK around it)."""
        async with self.read_sessionmaker() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def database_of(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# After-commit and after-rollback callbacks: work that must follow the fate of the transaction
# (capture a card payment once the order is committed, void it when it is not). They are kept in
# ``session.info`` and run by ``finish`` (the request session and ``transaction`` call it).

TransactionCallback = Callable[[AsyncSession], Awaitable[None]]
_ON_COMMIT = "after_commit_callbacks"
_ON_ROLLBACK = "after_rollback_callbacks"


def on_commit(session: AsyncSession, callback: TransactionCallback) -> None:
    """Runs ``callback(session)`` once the session's transaction has committed. It may use the
    session (in a new transaction, committed after it); its failure is logged, never raised."""
    session.info.setdefault(_ON_COMMIT, []).append(callback)


def on_rollback(session: AsyncSession, callback: TransactionCallback) -> None:
    """Runs ``callback(session)`` once the session's transaction has rolled back (a failed
    commit included); its failure is logged, never raised."""
    session.info.setdefault(_ON_ROLLBACK, []).append(callback)


async def _run_callbacks(session: AsyncSession, *, committed: bool) -> None:
    callbacks: list[TransactionCallback] = session.info.pop(
        _ON_COMMIT if committed else _ON_ROLLBACK, []
    )
    session.info.pop(_ON_ROLLBACK if committed else _ON_COMMIT, None)
    for callback in callbacks:
        try:
            await callback(session)
            await session.commit()
        except Exception:
            log.exception("transaction_callback_failed", committed=committed)
            await session.rollback()


async def finish(session: AsyncSession, *, commit: bool) -> None:
    """Commits (or rolls back) the session's transaction, then runs its callbacks: the
    after-commit ones when the commit succeeded, the after-rollback ones otherwise."""
    if not commit:
        await session.rollback()
        await _run_callbacks(session, committed=False)
        return
    try:
        await session.commit()
    except BaseException:
        await session.rollback()
        await _run_callbacks(session, committed=False)
        raise
    await _run_callbacks(session, committed=True)


@asynccontextmanager
async def transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Like ``sessionmaker.begin()`` (commit at the end, rollback on error), with the session's
    after-commit and after-rollback callbacks run. For jobs."""
    async with sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await finish(session, commit=False)
            raise
        await finish(session, commit=True)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session: committed once the response is built, before it is sent; its
    after-commit (or after-rollback) callbacks run then too. A GET or HEAD gets one without a
    transaction (module docstring)."""
    database = database_of(request)
    reads = request.method in READ_METHODS
    async with (database.read_sessionmaker if reads else database.sessionmaker)() as session:
        request.state.db_session = session
        try:
            yield session
        except AppError as error:
            await finish(session, commit=error.keep_changes)
            raise
        except BaseException:
            await finish(session, commit=False)
            raise
        await finish(session, commit=True)


Session = Annotated[AsyncSession, Depends(request_session, scope="function")]


async def one_or_raise(
    session: AsyncSession,
    statement: Select[T],
    missing: AppError,
    *,
    for_update: bool = False,
) -> T:
    """The one row ``statement`` selects, locked when ``for_update``; ``missing`` when none (the
    shape of every ``get_<thing>`` loader)."""
    if for_update:
        statement = statement.with_for_update()
    found = await session.scalar(statement)
    if found is None:
        raise missing
    return found
