"""Gift cards: issued by the organizer, spent in part at checkout, credited back on cancellation,
never below zero however many orders spend one at once."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.ticketing.helpers import Shop, open_shop, order_body


async def issue(client: httpx.AsyncClient, shop: Shop, amount: int, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"{shop.office_path}/gift-cards",
        json={"amount_minor": amount} | body,
        headers=shop.organizer.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def card(client: httpx.AsyncClient, shop: Shop, card_id: str) -> dict[str, Any]:
    response = await client.get(
        f"{shop.office_path}/gift-cards/{card_id}", headers=shop.organizer.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def sell(
    client: httpx.AsyncClient, shop: Shop, code: str, method: str = "cash", **kwargs: Any
) -> httpx.Response:
    return await client.post(
        f"{shop.office_path}/events/{shop.event_id}/orders",
        json=order_body(shop, method=method, gift_card_code=code, **kwargs),
        headers=shop.organizer.headers,
    )


async def test_a_card_pays_part_of_an_online_order_and_is_then_empty(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    issued = await issue(client, shop, 3000, note="Noël")
    assert (issued["currency"], issued["balance_minor"], len(issued["code"])) == ("CHF", 3000, 16)
    balance = await client.get(
        f"/v1/shop/ticket-offices/{shop.office_id}/gift-cards/{issued['code'].lower()}"
    )
    assert balance.json() == {"currency": "CHF", "balance_minor": 3000, "expires_at": None}

    placed = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders",
        json=order_body(shop, quantity=2, gift_card_code=issued["code"]),
    )
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert (body["total_minor"], body["gift_card_minor"], body["status"]) == (10000, 3000, "paid")
    after = await card(client, shop, issued["id"])
    assert after["balance_minor"] == 0
    assert [(e["kind"], e["amount_minor"], e["balance_after_minor"]) for e in after["entries"]] == [
        ("issued", 3000, 3000),
        ("redeemed", -3000, 0),
    ]
    assert after["entries"][1]["order_id"] == body["id"]

    empty = await sell(client, shop, issued["code"])
    assert (empty.status_code, empty.json()["code"]) == (409, "gift_card_empty")
    unknown = await sell(client, shop, "NOSUCHCARD")
    assert unknown.json()["code"] == "gift_card_empty"


async def test_a_card_covering_an_order_on_invoice_pays_it_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    issued = await issue(client, shop, 25000)
    placed = await sell(client, shop, issued["code"], method="invoice", quantity=2)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert (body["status"], body["gift_card_minor"], body["payment_due_at"]) == (
        "paid",
        10000,
        None,
    )
    assert (await card(client, shop, issued["id"]))["balance_minor"] == 15000


async def test_cancelling_credits_the_card_back(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db, prices=(5000, 3000))
    issued = await issue(client, shop, 8000)
    placed = (await sell(client, shop, issued["code"], quantity=3)).json()
    assert placed["gift_card_minor"] == 8000  # of 15000: 7000 in cash
    cancel = f"{shop.office_path}/orders/{placed['id']}/cancel"
    one = await client.post(
        cancel,
        json={
            "ticket_ids": [placed["tickets"][0]["id"]],
            "refund_method": "voucher",
            "reason": "Empêché",
        },
        headers=shop.organizer.headers,
    )
    assert one.status_code == 200, one.text
    assert (await card(client, shop, issued["id"]))["balance_minor"] == 5000  # one ticket's price
    rest = await client.post(
        cancel,
        json={"refund_method": "voucher", "reason": "Empêché"},
        headers=shop.organizer.headers,
    )
    assert rest.status_code == 200, rest.text
    after = await card(client, shop, issued["id"])
    assert after["balance_minor"] == 8000  # all the card paid, not more
    assert [e["kind"] for e in after["entries"]] == ["issued", "redeemed", "credited", "credited"]


async def test_an_expired_card_is_refused(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    issued = await issue(
        client, shop, 5000, expires_at=(clock.now() + timedelta(days=1)).isoformat()
    )
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        refused = await client.post(
            f"/v1/shop/events/{shop.event_id}/orders",
            json=order_body(shop, gift_card_code=issued["code"]),
        )
    assert (refused.status_code, refused.json()["code"]) == (422, "gift_card_expired")
    assert (await card(client, shop, issued["id"]))["balance_minor"] == 5000


async def test_50_concurrent_orders_spend_a_card_exactly_once(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, capacity=500, performances=1)
        issued = await issue(client, shop, 10000)

        async def buyer() -> httpx.Response:
            return await sell(client, shop, issued["code"], quantity=1, category=1)  # 3000

        responses = await asyncio.gather(*(buyer() for _ in range(50)))
        statuses = [response.status_code for response in responses]
        assert statuses.count(201) == 4
        assert statuses.count(409) == 46
        paid = sorted(r.json()["gift_card_minor"] for r in responses if r.status_code == 201)
        assert paid == [1000, 3000, 3000, 3000]
        after = await card(client, shop, issued["id"])
        assert after["balance_minor"] == 0
        assert sum(entry["amount_minor"] for entry in after["entries"]) == 0
