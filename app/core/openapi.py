"""The OpenAPI document as served and committed: FastAPI's, made to tell the truth.

Errors are documented only as ``application/problem+json`` (the ``Problem`` schema), never as
FastAPI's ``HTTPValidationError``; parts FastAPI cannot derive from the routes (tags with their
descriptions, servers, webhooks) are added by the ``extend`` callables ``create_app`` passes;
examples and the descriptions common to every schema by ``openapi_examples``.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core import openapi_examples
from app.core.errors import PROBLEM_MEDIA_TYPE, Problem

REF_PREFIX = "#/components/schemas/"
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

Extension = Callable[[dict[str, Any], FastAPI], None]
"""Completes the document (given the app whose routes it describes)."""


def install(app: FastAPI, *extensions: Extension) -> None:
    """Makes ``app.openapi()`` return the document built here (computed once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, extensions)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build(app: FastAPI, extensions: tuple[Extension, ...] = ()) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=app.openapi_version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=app.servers,
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    add_schemas(schemas, Problem.model_json_schema(ref_template=REF_PREFIX + "{model}"))
    problem = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": REF_PREFIX + "Problem"}}}
    for operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            if str(status)[0] in "45":
                response["content"] = problem
    for name in _FASTAPI_VALIDATION:
        schemas.pop(name, None)
    for extend in extensions:
        extend(document, app)
    openapi_examples.complete(document)
    document["components"]["schemas"] = dict(sorted(schemas.items()))
    return document


def add_schemas(schemas: dict[str, Any], schema: dict[str, Any]) -> None:
    """Adds a pydantic JSON schema (and its ``$defs``) to the document's components, as FastAPI
    writes them (no ``default: null``: generators would make the property required)."""
    schema = dict(schema)
    for name, definition in {**schema.pop("$defs", {}), schema["title"]: schema}.items():
        for field in definition.get("properties", {}).values():
            if "default" in field and field["default"] is None:
                del field["default"]
        schemas.setdefault(name, definition)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        operation
        for item in document.get("paths", {}).values()
        for method, operation in item.items()
        if method in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
    ]
