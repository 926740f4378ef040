"""Health, readiness, metrics and the production guard."""

from typing import Any

import httpx
import pytest
from sqlalchemy import event
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import Database
from app.core.settings import EXAMPLE_SECRET, Settings
from app.main import create_app


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_database_answers(client: httpx.AsyncClient) -> None:
    assert (await client.get("/readyz")).status_code == 200


async def test_the_readiness_ping_is_one_statement_without_a_transaction(
    database_url: str,
) -> None:
    database = Database.connect(database_url, pool_size=1, max_overflow=0)
    sent: list[str] = []

    def log_driver_queries(dbapi_connection: Any, _record: Any) -> None:  # BEGIN, ROLLBACK
        dbapi_connection.driver_connection.add_query_logger(lambda query: sent.append(query.query))

    def log_statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        sent.append(statement)

    event.listen(database.engine.sync_engine.pool, "connect", log_driver_queries)
    event.listen(database.engine.sync_engine, "before_cursor_execute", log_statement)
    try:
        await database.ping()
        await database.ping()
    finally:
        await database.dispose()
    assert sent == ["SELECT 1", "SELECT 1"]  # no BEGIN and ROLLBACK around each


async def test_readyz_is_503_when_database_is_unreachable(settings: Settings) -> None:
    unreachable = Database.connect("postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings, database=unreachable)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/readyz")
    await unreachable.dispose()
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/v1/does-not-exist/123")
    text = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert "/v1/does-not-exist/123" not in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/healthz"}' in text


def _settings(**overrides: object) -> Settings:
    base = {
        "environment": "production",
        "database_url": "postgresql://db.example/manager",
        "secret_key": "s" * 40,
        "public_url": "https://manager.example",
        "smtp_host": "smtp.example",
        "jwt_private_key": "pem",
    }
    return Settings(**(base | overrides), _env_file=None)  # type: ignore[arg-type]


def test_production_settings_that_are_complete_pass() -> None:
    assert _settings().problems_for_production() == []


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"secret_key": EXAMPLE_SECRET}, "MANAGER_SECRET_KEY"),
        ({"secret_key": ""}, "MANAGER_SECRET_KEY"),
        ({"secret_key": "short"}, "MANAGER_SECRET_KEY"),
        ({"database_url": None}, "MANAGER_DATABASE_URL"),
        ({"public_url": "http://manager.example"}, "MANAGER_PUBLIC_URL"),
    ],
)
def test_production_refuses_missing_or_example_secrets(override: dict, named: str) -> None:  # type: ignore[type-arg]
    problems = _settings(**override).problems_for_production()
    assert any(named in problem for problem in problems)


def test_serve_refuses_to_start_and_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.settings import get_settings

    monkeypatch.setenv("MANAGER_ENVIRONMENT", "production")
    monkeypatch.setenv("MANAGER_DATABASE_URL", "postgresql://db.example/manager")
    monkeypatch.setenv("MANAGER_SECRET_KEY", EXAMPLE_SECRET)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "MANAGER_SECRET_KEY" in result.output
