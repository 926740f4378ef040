"""Personal access tokens reach ticketing only with the ticketing scopes."""

import httpx

from app.core.db import Database
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
