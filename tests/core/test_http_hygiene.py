"""Security headers, CORS, no redirect built from Host, an honest Allow, docs and metrics gated."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import Database
from app.core.headers import API_POLICY
from app.core.settings import Settings
from app.main import create_app
from tests.factories import signed_in_user

ORIGIN = "https://console.example"


def _client(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _app(settings: Settings, db: Database, **overrides: Any) -> FastAPI:
    return create_app(settings.model_copy(update=overrides), database=db)


async def test_api_responses_carry_the_security_headers_and_are_not_stored(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    for response in (
        await client.post("/v1/auth/login", json={"email": user.email, "password": "wrong"}),
        await client.get("/v1/account", headers=user.headers),
        await client.get("/v1/nowhere"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-security-policy"] == API_POLICY
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers
        assert "server" not in response.headers


async def test_the_docs_page_gets_a_policy_that_lets_its_assets_in(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy


async def test_a_route_that_allows_caching_keeps_its_own_cache_control(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    uploaded = await client.put(
        "/v1/account/avatar", files={"file": ("a.png", png, "image/png")}, headers=user.headers
    )
    assert uploaded.status_code in (200, 204), uploaded.text
    avatar = await client.get("/v1/account/avatar", headers=user.headers)
    assert avatar.headers["cache-control"] == "private, max-age=300"


async def test_production_adds_hsts_and_hides_docs_and_open_metrics(
    settings: Settings, db: Database
) -> None:
    async with _client(_app(settings, db, environment="production")) as client:
        health = await client.get("/healthz")
        assert health.headers["strict-transport-security"].startswith("max-age=")
        for path in ("/docs", "/redoc", "/openapi.json", "/metrics"):
            assert (await client.get(path)).status_code == 404, path


async def test_docs_can_be_turned_on_in_production_and_off_elsewhere(
    settings: Settings, db: Database
) -> None:
    async with _client(_app(settings, db, environment="production", api_docs=True)) as client:
        assert (await client.get("/openapi.json")).status_code == 200
    async with _client(_app(settings, db, api_docs=False)) as client:
        assert (await client.get("/openapi.json")).status_code == 404


async def test_metrics_behind_a_token_answer_only_that_token(
    settings: Settings, db: Database
) -> None:
    app = _app(settings, db, environment="production", metrics_token=SecretStr("scrape-secret-123"))
    async with _client(app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = await client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
        assert right.status_code == 200
        assert "http_requests_total" in right.text


def test_serve_sends_no_server_header(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.core.settings import get_settings

    seen: dict[str, Any] = {}
    monkeypatch.setenv("MANAGER_DATABASE_URL", "postgresql://db.example/manager")
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: seen.update(kwargs))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["server_header"] is False


async def _preflight(
    client: httpx.AsyncClient, origin: str, method: str, **headers: str
) -> httpx.Response:
    request_headers = {"Origin": origin, "Access-Control-Request-Method": method}
    return await client.options("/v1/account", headers=request_headers | headers)


async def test_a_preflight_from_an_allowed_origin_is_answered(
    settings: Settings, db: Database
) -> None:
    async with _client(_app(settings, db, cors_origins=[ORIGIN])) as client:
        preflight = await _preflight(
            client,
            ORIGIN,
            "PATCH",
            **{"Access-Control-Request-Headers": "authorization, content-type"},
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "PATCH" in preflight.headers["access-control-allow-methods"]
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in preflight.headers
        simple = await client.get("/healthz", headers={"Origin": ORIGIN})
        assert simple.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_a_preflight_from_another_origin_is_not_allowed(
    settings: Settings, db: Database
) -> None:
    async with _client(_app(settings, db, cors_origins=[ORIGIN])) as client:
        preflight = await _preflight(client, "https://evil.example", "GET")
        assert "access-control-allow-origin" not in preflight.headers
        simple = await client.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in simple.headers


async def test_without_configured_origins_no_origin_is_allowed(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/healthz", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in response.headers


async def test_a_wildcard_origin_never_comes_with_credentials(
    settings: Settings, db: Database
) -> None:
    async with _client(_app(settings, db, cors_origins=["*"])) as client:
        preflight = await _preflight(client, ORIGIN, "GET")
        assert preflight.status_code == 200
        assert "access-control-allow-credentials" not in preflight.headers


@pytest.mark.parametrize("origin", ["https://console.example/app", "console.example", ""])
def test_an_origin_setting_that_is_not_an_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError):
        Settings(cors_origins=[origin], _env_file=None)  # type: ignore[call-arg]


async def test_no_redirect_is_built_from_the_host_header(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    response = await client.get(
        "/v1/account/", headers=user.headers | {"Host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 404
    assert "location" not in response.headers


async def test_a_405_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.delete("/v1/account/avatar")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, PUT"


async def test_a_405_on_a_fixed_path_does_not_list_the_methods_of_a_templated_one(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/account/sessions/end-others")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_a_fixed_path_is_not_taken_for_a_templated_one(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    response = await client.patch(
        f"/v1/organizations/{user.organization_id}/grants/full-access",
        json={},
        headers=user.headers,
    )
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == "POST"


async def test_the_caller_is_checked_before_the_rate_limit(client: httpx.AsyncClient) -> None:
    statuses = {
        (await client.post("/v1/partner-invitations/preview", json={"token": "x" * 20})).status_code
        for _ in range(31)  # the limit is 30 a minute per address
    }
    assert statuses == {401}
