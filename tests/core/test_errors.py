"""Every error is problem+json with a stable code; bad input never gives a 500."""

import uuid

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from app.core.db import Session
from app.core.errors import PROBLEM_MEDIA_TYPE
from app.core.settings import Settings
from app.main import create_app


class Echo(BaseModel):
    name: str
    count: int = 0


@pytest.fixture
def app(settings: Settings, db) -> FastAPI:  # type: ignore[no-untyped-def]
    app = create_app(settings.model_copy(update={"max_body_bytes": 1024}), database=db)

    @app.post("/v1/echo/{item_id}", operation_id="test-echo")
    async def echo(item_id: uuid.UUID, body: Echo, session: Session, page: int = 1) -> Echo:
        from sqlalchemy import text

        await session.execute(text("SELECT CAST(:name AS text)"), {"name": body.name})
        return body

    @app.get("/v1/boom", operation_id="test-boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:  # type: ignore[type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    return body


async def test_unknown_path_is_a_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/nowhere"), 404, "not_found")


async def test_wrong_method_is_a_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.delete("/healthz"), 405, "method_not_allowed")


async def test_validation_error_lists_fields(client: httpx.AsyncClient) -> None:
    body = assert_problem(
        await client.post(f"/v1/echo/{uuid.uuid4()}", json={"count": "many"}),
        422,
        "validation_error",
    )
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert ("body", "name") in locations
    assert ("body", "count") in locations


async def test_body_that_is_not_json(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v1/echo/{uuid.uuid4()}",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert_problem(response, 400, "malformed_json")


async def test_wrong_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"/v1/echo/{uuid.uuid4()}", content=b"name=x", headers={"content-type": "text/plain"}
    )
    assert response.status_code in (415, 422)
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE


async def test_oversized_body(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v1/echo/{uuid.uuid4()}", json={"name": "x" * 5000})
    assert_problem(response, 413, "payload_too_large")


async def test_oversized_streamed_body_without_length(client: httpx.AsyncClient) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 500

    response = await client.post(
        f"/v1/echo/{uuid.uuid4()}", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413, "payload_too_large")


async def test_query_parameter_of_wrong_type(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v1/echo/{uuid.uuid4()}?page=two", json={"name": "x"})
    assert_problem(response, 422, "validation_error")


async def test_path_id_not_a_uuid(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/echo/not-a-uuid", json={"name": "x"})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["loc"] == ["path", "item_id"]


async def test_nul_byte_in_a_string(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/v1/echo/{uuid.uuid4()}", json={"name": "a\u0000b"})
    assert_problem(response, 422, "invalid_value")


async def test_unexpected_exception_hides_its_trace(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"]


async def test_request_id_is_returned_and_taken(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert len(generated) == 32


async def test_request_id_that_is_not_sane_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["x-request-id"] != "bad id\twith spaces"
