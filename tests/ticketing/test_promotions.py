"""Promotions: codes and automatic discounts, their scope, window, minimum quantity and uses."""

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.ticketing.helpers import Shop, buy, fresh_headers, open_shop, order_body


async def promote(client: httpx.AsyncClient, shop: Shop, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"{shop.office_path}/promotions",
        json={"name": "Printemps", "kind": "percent", "amount": 2000} | body,
        headers=shop.organizer.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def order(
    client: httpx.AsyncClient,
    shop: Shop,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    body = order_body(shop, method="cash", **kwargs)
    if code is not None:
        body["promotion_code"] = code
    return await client.post(
        f"{shop.office_path}/events/{shop.event_id}/orders",
        json=body,
        headers=headers or shop.organizer.headers,
    )


async def test_a_code_takes_its_percentage_off_the_tickets_it_covers(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, prices=(5000, 3000))
    await promote(
        client,
        shop,
        event_id=shop.event_id,
        price_category_id=shop.category_ids[0],
        codes=["spring-26"],
    )
    placed = await buy(client, shop, quantity=2, promotion_code="Spring-26")
    assert (placed["discount_minor"], placed["promotion_code"]) == (2000, "SPRING-26")
    assert placed["tickets_total_minor"] == placed["total_minor"] == 8000
    assert [(t["price_minor"], t["discount_minor"]) for t in placed["tickets"]] == [
        (4000, 1000),
        (4000, 1000),
    ]

    other_category = await order(client, shop, "SPRING-26", category=1)
    assert (other_category.status_code, other_category.json()["code"]) == (
        422,
        "promotion_not_applicable",
    )
    unknown = await order(client, shop, "NOPE")
    assert (unknown.status_code, unknown.json()["code"]) == (422, "promotion_code_unknown")
    plain = await order(client, shop)
    assert plain.json()["discount_minor"] == 0
    assert plain.json()["total_minor"] == 10000


async def test_an_automatic_fixed_discount_needs_its_quantity_and_window(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, prices=(5000, 300))
    start = clock.now() + timedelta(days=1)
    await promote(
        client,
        shop,
        automatic=True,
        kind="fixed",
        amount=500,
        event_id=shop.event_id,
        performance_id=shop.performance_ids[0],
        min_quantity=3,
        valid_from=start.isoformat(),
        valid_until=(start + timedelta(days=7)).isoformat(),
    )
    early = await order(client, shop, quantity=3)
    assert early.json()["discount_minor"] == 0
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        headers = await fresh_headers(client, shop)
        too_few = await order(client, shop, headers=headers, quantity=2)
        assert too_few.json()["discount_minor"] == 0
        enough = (await order(client, shop, headers=headers, quantity=3)).json()
        assert (enough["discount_minor"], enough["total_minor"]) == (1500, 13500)
        assert enough["promotion_code"] is None
        cheap = (await order(client, shop, headers=headers, quantity=3, category=1)).json()
        assert (cheap["discount_minor"], cheap["total_minor"]) == (900, 0)  # never below zero
        other_date = await order(client, shop, headers=headers, quantity=3, performance=1)
        assert other_date.json()["discount_minor"] == 0
    with time_machine.travel(start + timedelta(days=8), tick=False):
        headers = await fresh_headers(client, shop)
        assert (await order(client, shop, headers=headers, quantity=3)).json()[
            "discount_minor"
        ] == 0


async def test_codes_generated_in_bulk_and_exported_as_csv(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    promotion = await promote(client, shop, codes=["VIP"], generate=25, prefix="vip", max_uses=1)
    assert promotion["codes"] == 26
    more = await client.post(
        f"{shop.office_path}/promotions/{promotion['id']}/codes",
        json={"generate": 4},
        headers=shop.organizer.headers,
    )
    assert more.status_code == 201
    added = more.json()
    assert (len(added["data"]), added["next_cursor"], added["has_more"]) == (4, None, False)
    assert {(code["max_uses"], code["uses"]) for code in added["data"]} == {(1, 0)}
    taken = await client.post(
        f"{shop.office_path}/promotions/{promotion['id']}/codes",
        json={"codes": ["vip"]},
        headers=shop.organizer.headers,
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "promotion_code_taken")

    assert (await order(client, shop, "VIP")).status_code == 201
    again = await order(client, shop, "VIP")
    assert (again.status_code, again.json()["code"]) == (409, "promotion_used_up")

    exported = await client.get(
        f"{shop.office_path}/promotions/{promotion['id']}/codes.csv",
        headers=shop.organizer.headers,
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 30
    assert len({row["code"] for row in rows}) == 30
    prefixed = [row["code"] for row in rows[1:26]]
    assert all(code.startswith("VIP") and len(code) == 13 for code in prefixed)
    assert {row["code"] for row in rows[26:]} == {code["code"] for code in added["data"]}
    assert {row["code"]: row["uses"] for row in rows}["VIP"] == "1"
    read = await client.get(
        f"{shop.office_path}/promotions/{promotion['id']}", headers=shop.organizer.headers
    )
    assert read.json()["uses"] == 1


async def test_a_promotion_scope_is_checked_and_it_can_be_switched_off(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    bad = await client.post(
        f"{shop.office_path}/promotions",
        json={
            "name": "x",
            "kind": "percent",
            "amount": 100,
            "performance_id": shop.performance_ids[0],
        },
        headers=shop.organizer.headers,
    )
    assert (bad.status_code, bad.json()["code"]) == (422, "promotion_scope_invalid")
    too_much = await client.post(
        f"{shop.office_path}/promotions",
        json={"name": "x", "kind": "percent", "amount": 10001},
        headers=shop.organizer.headers,
    )
    assert too_much.status_code == 422
    other = await open_shop(client, db, organizer=shop.organizer)
    foreign = await client.post(
        f"{shop.office_path}/promotions",
        json={"name": "x", "kind": "percent", "amount": 100, "event_id": other.event_id},
        headers=shop.organizer.headers,
    )
    assert foreign.json()["code"] == "promotion_scope_invalid"
    promotion = await promote(client, shop, codes=["HALF"], amount=5000)
    off = await client.patch(
        f"{shop.office_path}/promotions/{promotion['id']}",
        json={"active": False},
        headers=shop.organizer.headers,
    )
    assert off.status_code == 200
    assert off.json()["active"] is False
    refused = await order(client, shop, "HALF")
    assert refused.json()["code"] == "promotion_not_applicable"
    listed = await client.get(f"{shop.office_path}/promotions", headers=shop.organizer.headers)
    assert [p["id"] for p in listed.json()["data"]] == [promotion["id"]]


async def test_50_buyers_racing_for_a_code_valid_10_times(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, capacity=500, performances=1)
        promotion = await promote(client, shop, codes=["TEN"], max_uses=10)

        async def buyer() -> int:
            return (await order(client, shop, "TEN", quantity=1)).status_code

        statuses = await asyncio.gather(*(buyer() for _ in range(50)))
        assert statuses.count(201) == 10
        assert statuses.count(409) == 40
        read = await client.get(
            f"{shop.office_path}/promotions/{promotion['id']}", headers=shop.organizer.headers
        )
        assert read.json()["uses"] == 10
        event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
        assert event["performances"][0]["sold"] == 10


async def test_a_cancelled_order_gives_its_use_back_to_the_code(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    promotion = await promote(client, shop, codes=["ONCE"], max_uses=1)
    first = await order(client, shop, "ONCE", quantity=2)
    assert first.status_code == 201, first.text
    assert (await order(client, shop, "ONCE")).json()["code"] == "promotion_used_up"

    async def cancel(order_id: str, **body: Any) -> None:
        response = await client.post(
            f"{shop.office_path}/orders/{order_id}/cancel",
            json={"refund_method": "cash", "reason": "Changement de plans"} | body,
            headers=shop.organizer.headers,
        )
        assert response.status_code == 200, response.text

    async def uses() -> int:
        read = await client.get(
            f"{shop.office_path}/promotions/{promotion['id']}", headers=shop.organizer.headers
        )
        return int(read.json()["uses"])

    # One ticket of two: the order still holds its use.
    await cancel(first.json()["id"], ticket_ids=[first.json()["tickets"][0]["id"]])
    assert await uses() == 1
    assert (await order(client, shop, "ONCE")).json()["code"] == "promotion_used_up"
    # Its last ticket: the order is cancelled whole and the code serves again, once.
    await cancel(first.json()["id"], ticket_ids=[first.json()["tickets"][1]["id"]])
    assert await uses() == 0
    again = await order(client, shop, "ONCE")
    assert (again.status_code, again.json()["promotion_code"]) == (201, "ONCE")
    assert await uses() == 1
    assert (await order(client, shop, "ONCE")).json()["code"] == "promotion_used_up"


async def test_an_automatic_promotion_gets_its_use_back_when_its_order_is_cancelled(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    promotion = await promote(client, shop, automatic=True, max_uses=1)
    first = (await order(client, shop)).json()
    assert first["discount_minor"] > 0
    assert (await order(client, shop)).json()["discount_minor"] == 0
    cancelled = await client.post(
        f"{shop.office_path}/orders/{first['id']}/cancel",
        json={"refund_method": "none", "reason": "Erreur de saisie"},
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await order(client, shop)).json()["discount_minor"] > 0
    read = await client.get(
        f"{shop.office_path}/promotions/{promotion['id']}", headers=shop.organizer.headers
    )
    assert read.json()["uses"] == 1
