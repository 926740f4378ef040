"""The route table: every route declares exactly one token scope (``require_scope``) or
``PUBLIC``, and no route that changes something accepts a token with only ``…:read`` scopes."""

import re
import uuid
from collections.abc import Iterator

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.accounts.deps import PublicRoute, ScopeCheck
from app.accounts.schemas import SCOPES
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.factories import signed_in_user

READ_METHODS = {"GET", "HEAD"}
READ_ONLY_SCOPES = {scope for scope in SCOPES if scope.endswith(":read")}


def _declarations(dependant: Dependant) -> Iterator[ScopeCheck | PublicRoute]:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, ScopeCheck | PublicRoute):
            yield dependency.call
        yield from _declarations(dependency)


def _routes() -> list[APIRoute]:
    app = create_app(Settings(environment="test", log_json=False, _env_file=None))  # type: ignore[call-arg]
    return [route for route in app.routes if isinstance(route, APIRoute)]


def _name(route: APIRoute) -> str:
    return f"{','.join(sorted(route.methods))} {route.path}"


def scope_problems(routes: list[APIRoute]) -> list[str]:
    """What is wrong with each route's declaration, one line per route."""
    problems = []
    for route in routes:
        declared = {id(found): found for found in _declarations(route.dependant)}.values()
        if not declared:
            problems.append(f"{_name(route)}: declares no scope and is not PUBLIC")
            continue
        if len(declared) > 1:
            listed = ", ".join(
                "PUBLIC" if isinstance(found, PublicRoute) else " or ".join(found.scopes)
                for found in declared
            )
            problems.append(f"{_name(route)}: declares {len(declared)} scopes ({listed})")
            continue
        (declaration,) = declared
        writes = set(route.methods) - READ_METHODS
        if (
            writes
            and isinstance(declaration, ScopeCheck)
            and all(scope.endswith(":read") for scope in declaration.scopes)
        ):
            problems.append(f"{_name(route)}: a change accepted with {declaration.scopes}")
    return problems


def test_the_route_table_is_found() -> None:
    paths = {route.path for route in _routes()}
    assert {"/v1/account", "/v1/auth/login", "/healthz", "/.well-known/jwks.json"} <= paths


def test_every_route_declares_exactly_one_scope_or_public() -> None:
    problems = scope_problems(_routes())
    assert not problems, "\n" + "\n".join(problems)


def test_the_check_itself_sees_missing_double_and_read_only_declarations() -> None:
    from fastapi import APIRouter

    from app.accounts.deps import PUBLIC, require_scope

    router = APIRouter()

    @router.get("/none")
    async def none() -> None: ...

    @router.get("/two", dependencies=[PUBLIC, require_scope("account:read")])
    async def two() -> None: ...

    @router.post("/read-only-write", dependencies=[require_scope("account:read")])
    async def read_only_write() -> None: ...

    @router.post("/fine", dependencies=[require_scope("account:read", "account:write")])
    async def fine_write() -> None: ...

    @router.get("/fine", dependencies=[require_scope("account:read")])
    async def fine_read() -> None: ...

    app = FastAPI()
    app.include_router(router)
    routes = [route for route in app.routes if isinstance(route, APIRoute)]
    assert [problem.split(":")[0] for problem in scope_problems(routes)] == [
        "GET /none",
        "GET /two",
        "POST /read-only-write",
    ]


def _declaration(route: APIRoute) -> ScopeCheck | PublicRoute | None:
    declared = list({id(found): found for found in _declarations(route.dependant)}.values())
    return declared[0] if len(declared) == 1 else None


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


async def read_only_write_answers(
    client: httpx.AsyncClient, routes: list[APIRoute], headers: dict[str, str]
) -> list[str]:
    """Each non-PUBLIC write route called with ``headers``: those not answering 403
    ``insufficient_scope``, with what they answered."""
    wrong = []
    for route in routes:
        if isinstance(_declaration(route), PublicRoute):
            continue
        for method in sorted(set(route.methods) - READ_METHODS):
            response = await client.request(method, _concrete(route.path), json={}, headers=headers)
            code = response.json().get("code") if response.content else None
            if (response.status_code, code) != (403, "insufficient_scope"):
                wrong.append(f"{method} {route.path}: {response.status_code} {code}")
    return wrong


async def test_a_token_with_only_read_scopes_is_refused_every_write(
    client: httpx.AsyncClient, db: Database, app: FastAPI
) -> None:
    user = await signed_in_user(client, db)
    created = await client.post(
        "/v1/account/tokens",
        json={"name": "reader", "scopes": sorted(READ_ONLY_SCOPES)},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    read_only = {"Authorization": f"Bearer {created.json()['token']}"}
    routes = [route for route in app.routes if isinstance(route, APIRoute)]
    wrong = await read_only_write_answers(client, routes, read_only)
    assert not wrong, "\n" + "\n".join(wrong)
