"""Seat plans: picked or best-available seats, each sold once, back on sale when cancelled, and
printed on the ticket."""

import asyncio
from io import BytesIO
from typing import Any

import httpx
from fastapi import FastAPI
from pypdf import PdfReader

from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.ticketing.helpers import Shop, open_shop, order_body


def plan_path(shop: Shop, performance: int = 0) -> str:
    return (
        f"{shop.office_path}/events/{shop.event_id}/performances/"
        f"{shop.performance_ids[performance]}/seat-plan"
    )


async def set_plan(
    client: httpx.AsyncClient, shop: Shop, rows: list[dict[str, Any]], performance: int = 0
) -> httpx.Response:
    return await client.put(
        plan_path(shop, performance), json={"rows": rows}, headers=shop.organizer.headers
    )


def row(shop: Shop, name: str, seats: int, category: int = 0, section: str = "Parterre") -> Any:
    return {
        "section": section,
        "row": name,
        "seats": seats,
        "price_category_id": shop.category_ids[category],
    }


async def sell(client: httpx.AsyncClient, shop: Shop, **kwargs: Any) -> httpx.Response:
    return await client.post(
        f"{shop.office_path}/events/{shop.event_id}/orders",
        json=order_body(shop, method="cash", **kwargs),
        headers=shop.organizer.headers,
    )


def picking(shop: Shop, seat_ids: list[str], category: int = 0) -> dict[str, Any]:
    return {
        "tickets": [
            {
                "performance_id": shop.performance_ids[0],
                "price_category_id": shop.category_ids[category],
                "quantity": len(seat_ids),
                "seat_ids": seat_ids,
            }
        ]
    }


async def seats(client: httpx.AsyncClient, shop: Shop) -> dict[str, Any]:
    response = await client.get(
        f"/v1/shop/events/{shop.event_id}/performances/{shop.performance_ids[0]}/seats"
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_best_available_then_picked_seats_each_sold_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, prices=(5000, 3000))
    planned = await set_plan(client, shop, [row(shop, "A", 5), row(shop, "B", 4, category=1)])
    assert planned.status_code == 200, planned.text
    assert (planned.json()["capacity"], planned.json()["available"]) == (9, 9)
    event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
    assert event["performances"][0]["capacity"] == 9

    first = (await sell(client, shop, quantity=1)).json()
    assert first["tickets"][0]["seat_label"] == "Parterre - Row A - Seat 3"  # the middle
    second = (await sell(client, shop, quantity=2)).json()
    assert sorted(t["seat_label"] for t in second["tickets"]) == [
        "Parterre - Row A - Seat 2",
        "Parterre - Row A - Seat 4",
    ]

    plan = await seats(client, shop)
    by_label = {(s["row"], s["number"]): s for s in plan["seats"]}
    b1, b2 = by_label[("B", "1")]["id"], by_label[("B", "2")]["id"]
    picked = await sell(client, shop, **picking(shop, [b1, b2], category=1))
    assert picked.status_code == 201, picked.text
    assert sorted(t["seat_label"] for t in picked.json()["tickets"]) == [
        "Parterre - Row B - Seat 1",
        "Parterre - Row B - Seat 2",
    ]
    taken = await sell(client, shop, **picking(shop, [b1], category=1))
    assert (taken.status_code, taken.json()["code"]) == (409, "seat_unavailable")
    wrong_category = await sell(client, shop, **picking(shop, [by_label[("A", "1")]["id"]], 1))
    assert wrong_category.json()["code"] == "seat_unavailable"
    mismatch = picking(shop, [by_label[("B", "3")]["id"]], category=1)
    mismatch["tickets"][0]["quantity"] = 2
    assert (await sell(client, shop, **mismatch)).json()["code"] == "seat_plan_invalid"
    unplanned = picking(shop, [by_label[("B", "3")]["id"]], category=1)
    unplanned["tickets"][0]["performance_id"] = shop.performance_ids[1]
    assert (await sell(client, shop, **unplanned)).json()["code"] == "seat_plan_invalid"
    assert (await seats(client, shop))["available"] == 4

    rest = await sell(client, shop, quantity=3)  # two left in row A
    assert (rest.status_code, rest.json()["code"]) == (409, "sold_out")
    locked = await set_plan(client, shop, [row(shop, "A", 50)])
    assert (locked.status_code, locked.json()["code"]) == (409, "seat_plan_locked")


async def test_a_cancelled_seat_returns_to_sale_and_the_ticket_prints_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    await set_plan(client, shop, [row(shop, "1", 1, section="Balcon")])
    placed = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, quantity=1)
    )
    assert placed.status_code == 201, placed.text
    pdf = await client.get(f"/v1/shop/orders/{placed.json()['access_key']}/tickets.pdf")
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf.content)).pages)
    assert "Balcon - Row 1 - Seat 1" in text
    assert (await sell(client, shop, quantity=1)).json()["code"] == "sold_out"

    cancelled = await client.post(
        f"{shop.office_path}/orders/{placed.json()['id']}/cancel",
        json={"refund_method": "card", "reason": "Malade"},
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await seats(client, shop))["available"] == 1
    again = await sell(client, shop, quantity=1)
    assert again.json()["tickets"][0]["seat_label"] == "Balcon - Row 1 - Seat 1"


async def test_an_exchange_moves_the_seat(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db, prices=(5000, 3000))
    await set_plan(client, shop, [row(shop, "A", 2), row(shop, "B", 2, category=1)])
    placed = (await sell(client, shop, quantity=1)).json()
    exchanged = await client.post(
        f"{shop.office_path}/orders/{placed['id']}/tickets/{placed['tickets'][0]['id']}/exchange",
        json={
            "performance_id": shop.performance_ids[0],
            "price_category_id": shop.category_ids[1],
        },
        headers=shop.organizer.headers,
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["new_ticket"]["seat_label"].startswith("Parterre - Row B")
    plan = await seats(client, shop)
    assert sorted((s["row"], s["available"]) for s in plan["seats"]) == [
        ("A", True),
        ("A", True),
        ("B", False),
        ("B", True),
    ]


async def test_200_concurrent_buyers_for_the_last_50_seats(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, performances=1)
        rows = [row(shop, str(n), 10) for n in range(1, 7)]
        assert (await set_plan(client, shop, rows)).status_code == 200
        assert (await sell(client, shop, quantity=10)).status_code == 201  # 50 left

        async def buyer() -> httpx.Response:
            return await sell(client, shop, quantity=1)

        responses = await asyncio.gather(*(buyer() for _ in range(200)))
        statuses = [response.status_code for response in responses]
        assert statuses.count(201) == 50
        assert statuses.count(409) == 150
        labels = [r.json()["tickets"][0]["seat_label"] for r in responses if r.status_code == 201]
        assert len(set(labels)) == 50
        plan = await seats(client, shop)
        assert plan["available"] == 0
        event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
        assert event["performances"][0]["sold"] == 60
