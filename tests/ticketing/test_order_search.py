"""Order search (the help page's search field): order number, ticket number, part of the
customer's name or e-mail address; ``%`` and ``_`` match only themselves; keyset pages."""

from typing import Any

import httpx

from app.core.db import Database
from tests.ticketing.helpers import Shop, open_shop, sell


async def customer_order(
    client: httpx.AsyncClient, shop: Shop, name: str, email: str
) -> dict[str, Any]:
    return await sell(
        client,
        shop,
        quantity=1,
        customer={"name": name, "email": email, "language": "fr"},
    )


async def search(client: httpx.AsyncClient, shop: Shop, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get(
        f"{shop.office_path}/orders", params={"q": q, **params}, headers=shop.organizer.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def numbers(page: dict[str, Any]) -> set[str]:
    return {order["number"] for order in page["data"]}


async def test_search_finds_by_order_ticket_name_and_part_of_the_email(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    jeanne = await customer_order(client, shop, "Jeanne Dupont", "jeanne.dupont@example.ch")
    paul = await customer_order(client, shop, "Paul Martin", "paul@lac.example.org")

    assert numbers(await search(client, shop, jeanne["number"].lower())) == {jeanne["number"]}
    ticket = paul["tickets"][0]["number"]
    assert numbers(await search(client, shop, ticket.lower())) == {paul["number"]}
    assert numbers(await search(client, shop, "dupON")) == {jeanne["number"]}
    assert numbers(await search(client, shop, "lac.example")) == {paul["number"]}
    assert numbers(await search(client, shop, "example")) == {jeanne["number"], paul["number"]}
    assert numbers(await search(client, shop, "nobody")) == set()
    # A part of a ticket number is no match: numbers are searched whole.
    assert numbers(await search(client, shop, ticket[:6])) == set()


async def test_percent_and_underscore_are_taken_literally(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    underscore = await customer_order(client, shop, "Anne Blanc", "x_y@example.ch")
    await customer_order(client, shop, "Yves Noir", "xzy@example.ch")
    percent = await customer_order(client, shop, "100% Fan", "fan@example.ch")
    await customer_order(client, shop, "1000 Fans", "fans@example.ch")
    backslash = await customer_order(client, shop, "Back\\slash", "back@example.ch")

    assert numbers(await search(client, shop, "x_y")) == {underscore["number"]}
    assert numbers(await search(client, shop, "100%")) == {percent["number"]}
    assert numbers(await search(client, shop, "%")) == {percent["number"]}
    assert numbers(await search(client, shop, "_")) == {underscore["number"]}
    assert numbers(await search(client, shop, "k\\s")) == {backslash["number"]}


async def test_search_results_are_keyset_paginated_and_stay_in_the_office(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    other = await open_shop(client, db)
    found = [
        (await customer_order(client, shop, f"Client {i}", f"client{i}@tour.example"))["number"]
        for i in range(3)
    ]
    await customer_order(client, other, "Client 9", "client9@tour.example")

    first = await search(client, shop, "tour.example", limit=2)
    assert first["has_more"] is True
    assert len(first["data"]) == 2
    second = await search(client, shop, "tour.example", limit=2, cursor=first["next_cursor"])
    assert second["has_more"] is False
    assert second["next_cursor"] is None
    assert [o["number"] for o in first["data"] + second["data"]] == list(reversed(found))
