"""The API contract: the committed OpenAPI document is the generated one; ids follow the rule."""

import json
import re
from pathlib import Path

from fastapi.routing import APIRoute

from app.main import create_app

DOCUMENT = Path(__file__).resolve().parents[1] / "openapi" / "openapi.json"
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


def test_error_responses_use_the_problem_schema() -> None:
    document = create_app().openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if status.startswith(("4", "5")) and status != "422":
                    content = response.get("content", {})
                    assert "application/problem+json" in content, (method, path, status)
