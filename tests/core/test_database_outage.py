"""A database that cannot be reached, or a statement over the timeout, answers 503 problem+json
with ``Retry-After`` at once: never a 500, never a hang."""

import asyncio
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app


def _closed_port_url() -> str:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    return "postgresql+asyncpg://postgres@127.0.0.1:1/manager"


async def test_an_unreachable_database_answers_503_with_retry_after(settings: Settings) -> None:
    down = settings.model_copy(update={"database_url": _closed_port_url()})
    app = create_app(down, database=Database.connect(_closed_port_url()))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        started = time.monotonic()
        for method, path, body in [
            ("GET", "/v1/catalog/plans", None),
            ("POST", "/v1/auth/login", {"email": "a@example.com", "password": "x" * 12}),
        ]:
            response = await client.request(method, path, json=body)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["retry-after"] == "2"
            assert response.json()["code"] == "database_unavailable"
        ready = await client.get("/readyz")
        assert ready.status_code == 503
    assert time.monotonic() - started < 10


async def test_a_statement_over_the_timeout_is_cancelled_and_answered_503(
    database_url: str,
) -> None:
    database = Database.connect(database_url, statement_timeout_ms=200)
    try:
        async with database.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
    finally:
        await database.dispose()


async def test_a_pool_exhausted_for_its_timeout_answers_503_quickly(
    settings: Settings, database_url: str
) -> None:
    database = Database.connect(database_url, pool_size=1, max_overflow=0, pool_timeout=0.5)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with database.engine.connect() as held:
            await held.execute(text("SELECT 1"))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                started = time.monotonic()
                response = await asyncio.wait_for(client.get("/v1/catalog/plans"), timeout=10)
            assert response.status_code == 503
            assert response.json()["code"] == "database_unavailable"
            assert time.monotonic() - started < 3
    finally:
        await database.dispose()
