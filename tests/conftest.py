"""Fixtures: a real PostgreSQL database migrated by Alembic; each test in a rolled-back transaction.

The server is ``MANAGER_TEST_DATABASE_URL`` when set, otherwise an embedded one in ``.data/test``.
"""

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from app.core.db import Database, async_url
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.main import create_app
from app.models import metadata

pytest_plugins = ["tests.mail", "tests.served_errors"]

ROOT = Path(__file__).resolve().parents[1]
# One database per test run, so that runs sharing a server never meet.
TEST_DATABASE = f"manager_test_{os.getpid()}"


def _server_url() -> str:
    """A URL on the test server, to its maintenance database."""
    configured = os.environ.get("MANAGER_TEST_DATABASE_URL")
    if configured:
        return configured
    from app.core.embedded import start_embedded_server

    return start_embedded_server(ROOT / ".data" / "test", database="postgres")


def pytest_configure(config: pytest.Config) -> None:
    """With ``-n`` (pytest-xdist), the controlling process starts the embedded server once and
    hands its URL to the workers it spawns: each worker then creates its own database on it."""
    is_worker = hasattr(config, "workerinput")
    if config.getoption("numprocesses", None) and not is_worker:
        os.environ["MANAGER_TEST_DATABASE_URL"] = _server_url()


def _with_database(url: str, database: str) -> str:
    """The same server URL with another database name."""
    scheme, rest = url.split("://", 1)
    authority, _, path = rest.partition("/")
    _, _, query = path.partition("?")
    return f"{scheme}://{authority}/{database}" + (f"?{query}" if query else "")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _recreate(server_url: str, database: str | None) -> None:
    """Drops ``database`` (and test databases of runs that died), then creates it again."""
    connection = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        leftovers = await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname ~ '^manager_(test|migrations)_[0-9]+$'"
        )
        for row in leftovers:
            name = row["datname"]
            if name == database or not _pid_alive(int(name.rsplit("_", 1)[1])):
                await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if database:
            await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def server_url() -> str:
    return _server_url()


def fresh_database(server_url: str, name: str) -> str:
    """Creates an empty database ``name`` on the test server and returns its URL."""
    asyncio.run(_recreate(server_url, name))
    return _with_database(server_url, name)


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    url = fresh_database(server_url, TEST_DATABASE)
    upgrade(url)
    yield url
    asyncio.run(_drop(server_url, TEST_DATABASE))


async def _drop(server_url: str, database: str) -> None:
    connection = await asyncpg.connect(server_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        log_json=False,
        log_level="WARNING",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    database = Database.connect(database_url, pool_size=10, max_overflow=20)
    yield database.engine
    await database.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def db(connection: AsyncConnection) -> Database:
    """The app's database bound to the test's transaction: commits become savepoints."""
    sessionmaker = async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    return Database(connection.engine, sessionmaker, sessionmaker)


@pytest.fixture
async def committed_db(engine: AsyncEngine) -> AsyncIterator[Database]:
    """The real database, committing for real (concurrency tests); emptied afterwards."""
    yield Database.of(engine)
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with engine.begin() as connection:
        # A test that also holds the rolled-back `db` transaction open would block TRUNCATE for
        # ever: fail loudly instead of hanging the suite.
        await connection.execute(text("SET LOCAL lock_timeout = '30s'"))
        try:
            await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
        except DBAPIError as error:
            raise RuntimeError(
                "committed_db could not empty the tables: the test also holds the `db`/`client` "
                "transaction open; request `committed_db` alone (build its own client)."
            ) from error


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def committed_client(
    settings: Settings, committed_db: Database
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app on ``committed_db``: each request commits for real."""
    transport = httpx.ASGITransport(
        app=create_app(settings, database=committed_db), raise_app_exceptions=False
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


__all__ = ["async_url", "fresh_database"]
