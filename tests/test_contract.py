"""The API contract: the committed OpenAPI document is the generated one; ids follow the rule."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
from fastapi.routing import APIRoute

from app.main import create_app

DOCUMENT = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
JSON = "application/json"
OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*-[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def test_committed_openapi_document_is_current() -> None:
    generated = create_app().openapi()
    committed = json.loads(DOCUMENT.read_text())
    assert committed == generated, "openapi/openapi.json is stale: run `manager openapi`"


def test_operation_ids_are_tag_action() -> None:
    app = create_app()
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            assert route.operation_id, f"{route.path} has no explicit operation_id"
            assert OPERATION_ID.match(route.operation_id), route.operation_id
            assert route.tags, f"{route.path} has no tag"
            tag = route.tags[0]
            assert route.operation_id.startswith(f"{tag}-"), (route.operation_id, tag)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_error_responses_are_documented_only_as_problems() -> None:
    document = create_app().openapi()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for method, path, operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            if status.startswith(("4", "5")):
                assert response.get("content") == problem, (method, path, status)
                assert response.get("x-problem-codes"), (method, path, status)
    assert "HTTPValidationError" not in json.dumps(document)


def test_input_errors_are_documented_on_every_operation_that_takes_input() -> None:
    """Parameters or a body: 422 `validation_error`; a JSON body: 400 `malformed_json`; a
    cursor: 400 `invalid_cursor`; a POST: the `Idempotency-Key` errors."""
    document = create_app().openapi()
    for method, path, operation in _operations(document):
        codes = {
            status: set(response.get("x-problem-codes", []))
            for status, response in operation["responses"].items()
        }
        parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
        body = operation.get("requestBody", {}).get("content", {})
        where = (method, path)
        validated = {"application/json", "multipart/form-data"} & set(body)
        if parameters - {"Idempotency-Key"} or validated:
            assert {"validation_error", "invalid_value"} <= codes.get("422", set()), where
        if "application/json" in body:
            assert "malformed_json" in codes.get("400", set()), where
        if "cursor" in parameters:
            assert "invalid_cursor" in codes.get("400", set()), where
        if method == "post":
            assert "idempotency_key_invalid" in codes.get("400", set()), where
            assert "idempotency_key_reused" in codes.get("422", set()), where


async def test_input_errors_are_served_as_documented(client: httpx.AsyncClient) -> None:
    """The served-errors check judges these: each answer's code is on its operation."""
    document = create_app().openapi()

    def documented(method: str, path: str, status: int) -> set[str]:
        response = document["paths"][path][method]["responses"][str(status)]
        return set(response["x-problem-codes"])

    answers = [
        (
            "post",
            "/v1/auth/login",
            await client.post(
                "/v1/auth/login", content=b"{nope", headers={"content-type": "application/json"}
            ),
        ),
        ("post", "/v1/auth/login", await client.post("/v1/auth/login", json={"email": 3})),
        (
            "post",
            "/v1/auth/login",
            await client.post("/v1/auth/login", json={}, headers={"Idempotency-Key": "\x7f"}),
        ),
    ]
    for method, path, response in answers:
        assert response.headers["content-type"] == "application/problem+json", response.text
        body = response.json()
        assert body["code"] in documented(method, path, response.status_code), body
        assert isinstance(body["detail"], str)
    assert answers[0][2].json()["code"] == "malformed_json"
    assert answers[1][2].json()["code"] == "validation_error"
    assert answers[1][2].json()["errors"]


def test_the_document_declares_tags_servers_scopes_and_headers() -> None:
    document = create_app().openapi()
    tags = {tag["name"]: tag["description"] for tag in document["tags"]}
    assert all(tags.values())
    assert document["servers"]
    for method, path, operation in _operations(document):
        assert operation["tags"][0] in tags, (method, path)
        for requirement in operation.get("security", []):
            for scopes in requirement.values():
                assert scopes, (method, path, "a bearer operation lists its scopes")
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, status)
            if status == "429":
                assert "Retry-After" in response["headers"], (method, path)
            if method == "post" and status.startswith("2"):
                assert "Idempotent-Replayed" in response["headers"], (method, path)


def _every_operation(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The REST operations, then the webhooks (each described as an operation)."""
    yield from _operations(document)
    for name, item in document.get("webhooks", {}).items():
        for method, operation in item.items():
            yield method, f"webhook {name}", operation


def test_every_operation_is_described() -> None:
    document = create_app().openapi()
    undescribed = [
        (method, path)
        for method, path, operation in _every_operation(document)
        if len(operation.get("description", "").strip()) < 20
    ]
    assert not undescribed, undescribed


def test_every_example_is_valid_for_its_schema() -> None:
    """Each JSON body and success response carries an example, and it matches its schema: a
    schema change that its examples no longer fit fails here."""
    document = create_app().openapi()
    checked = 0
    for method, path, operation in _every_operation(document):
        media = [
            ("request", operation.get("requestBody", {}).get("content", {}).get(JSON)),
            *(
                (status, response.get("content", {}).get(JSON))
                for status, response in operation["responses"].items()
                if status.startswith("2")
            ),
        ]
        for part, content in media:
            if content is None or "schema" not in content:
                continue
            assert "example" in content, (method, path, part)
            schema = {**content["schema"], "components": document["components"]}
            errors = [
                e.message
                for e in jsonschema_rs.validator_for(schema).iter_errors(content["example"])
            ]
            assert not errors, (method, path, part, errors[:3])
            checked += 1
    assert checked > 300


def _response_schemas(document: dict[str, Any]) -> set[str]:
    """The component schemas a success response reaches, through any depth of references."""
    schemas = document["components"]["schemas"]
    found: set[str] = set()
    pending = [
        json.dumps(response.get("content", {}))
        for _, _, operation in _every_operation(document)
        for status, response in operation["responses"].items()
        if status.startswith("2")
    ]
    while pending:
        for name in re.findall(r"#/components/schemas/([\w.-]+)", pending.pop()):
            if name not in found:
                found.add(name)
                pending.append(json.dumps(schemas[name]))
    return found


def test_every_amount_carries_its_currency_and_currency_is_one_enum() -> None:
    document = create_app().openapi()
    schemas = document["components"]["schemas"]
    assert schemas["Currency"]["enum"] == ["CHF", "EUR"]
    for name, schema in schemas.items():
        properties = schema.get("properties", {})
        amounts = [key for key in properties if key.endswith("_minor")]
        if amounts:
            assert "currency" in properties, (name, amounts)
        for key, prop in properties.items():
            if key == "currency" or key.endswith("_currency"):
                assert "#/components/schemas/Currency" in json.dumps(prop), (name, key, prop)


def test_every_list_is_a_page() -> None:
    """No success response is a bare JSON array: lists are `{data, next_cursor, has_more}`."""
    document = create_app().openapi()
    for method, path, operation in _operations(document):
        for status, response in operation["responses"].items():
            schema = response.get("content", {}).get(JSON, {}).get("schema", {})
            assert schema.get("type") != "array", (method, path, status)


def test_every_schema_has_one_name() -> None:
    """Two models of one name come out as `app__pkg__module__Name`, which generators refuse:
    each model gets a name of its own."""
    schemas = create_app().openapi()["components"]["schemas"]
    assert not [name for name in schemas if "__" in name]
