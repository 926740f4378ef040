"""Personal access tokens reach ticketing only with the ticketing scopes."""

import httpx
from fastapi.routing import APIRoute

from app.accounts.deps import PublicRoute, ScopeCheck
from app.core.db import Database
from app.main import create_app
from tests.ticketing.helpers import open_shop


async def _token(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str]
) -> dict[str, str]:
    response = await client.post(
        "/v1/account/tokens", json={"name": "t", "scopes": scopes}, headers=headers
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_ticketing_needs_the_ticketing_scopes(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    orders = f"{shop.office_path}/orders"
    other = await _token(client, shop.organizer.headers, ["organizations:read", "billing:write"])
    refused = await client.get(orders, headers=other)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"

    reader = await _token(client, shop.organizer.headers, ["organizations:read", "ticketing:read"])
    assert (await client.get(orders, headers=reader)).status_code == 200
    write = await client.post(
        f"{shop.office_path}/orders/00000000-0000-0000-0000-000000000000/mark-paid",
        json={},
        headers=reader,
    )
    assert write.json()["code"] == "insufficient_scope"


def test_every_ticketing_route_declares_one_ticketing_scope_or_is_public() -> None:
    routes = [
        route
        for route in create_app().routes
        if isinstance(route, APIRoute) and route.tags and route.tags[0] in ("ticketing", "shop")
    ]
    assert routes
    for route in routes:
        declared = [
            dependency.call
            for dependency in route.dependant.dependencies
            if isinstance(dependency.call, ScopeCheck | PublicRoute)
        ]
        assert len(declared) == 1, route.path
        [declaration] = declared
        if route.tags[0] == "shop":
            assert isinstance(declaration, PublicRoute), route.path
        elif route.methods <= {"GET", "HEAD"}:
            assert declaration.scopes == ("ticketing:read",), route.path
        else:
            assert declaration.scopes == ("ticketing:write",), route.path
