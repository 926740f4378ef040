"""The route index answers every path as Starlette's scan of the whole table would."""

import re
import uuid

import httpx
from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

from app.core.route_index import RouteIndex

_PARAMETER = re.compile(r"\{[^}]+\}")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _scope(path: str, method: str) -> Scope:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _chosen(routes: list[BaseRoute], scope: Scope) -> BaseRoute | None:
    """The route Starlette's router hands the request to: the first full match, else the
    first partial one."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def _paths(app: FastAPI) -> list[str]:
    """Each route's path with its parameters filled, plus paths no route has."""
    found = []
    for route in app.router.routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            found.append(_PARAMETER.sub(lambda _: str(uuid.uuid4()), path))
            found.append(_PARAMETER.sub("end-others", path))  # a literal where a parameter is
    return [
        *found,
        "/",
        "/v1",
        "/v1/",
        "/v1/nowhere",
        "/v1/organizations//members",
        "/v1/organizations/x/members/",
        "/v1/organizations/x/ticket-offices/y/orders/z/tickets/w/extra/deeper",
    ]


def test_every_path_and_method_reaches_the_route_a_full_scan_would(app: FastAPI) -> None:
    index = RouteIndex(app.router)
    routes = list(app.router.routes)
    compared = 0
    for path in _paths(app):
        for method in METHODS:
            scope = _scope(path, method)
            assert _chosen(index.candidates(path), scope) is _chosen(routes, scope), (method, path)
            compared += 1
    assert compared > 3000


def test_the_candidates_of_a_deep_path_are_a_handful(app: FastAPI) -> None:
    office = f"/v1/organizations/{uuid.uuid4()}/ticket-offices/{uuid.uuid4()}"
    candidates = RouteIndex(app.router).candidates(f"{office}/orders")
    assert len(app.router.routes) > 300
    assert 1 <= len(candidates) <= 10


def test_a_route_added_later_is_found(app: FastAPI) -> None:
    index = RouteIndex(app.router)
    scope = _scope("/v1/added/x", "GET")
    assert _chosen(index.candidates("/v1/added/x"), scope) is None

    async def endpoint() -> None:
        return None

    added = Route("/v1/added/{name}", endpoint)
    app.router.routes.append(added)
    assert _chosen(index.candidates("/v1/added/x"), scope) is added


async def test_requests_are_dispatched_through_the_index(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    assert isinstance(app.router.middleware_stack, RouteIndex)
    assert (await client.get("/healthz")).status_code == 200
    missing = await client.get("/v1/nowhere")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    wrong_method = await client.delete("/healthz")
    assert wrong_method.status_code == 405
