"""Control lists, for passes as for single tickets: entries and exits, a live count (inside
now, let in at least once), and one admission per performance under concurrent scans."""

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.ticketing.helpers import Shop, open_shop, sell
from tests.ticketing.test_passes import create_pass, scan, sell_pass


async def device_of(
    client: httpx.AsyncClient, shop: Shop, **body: Any
) -> tuple[str, dict[str, str]]:
    """A check-in list of the shop's event with one device: the list's id and its token."""
    base = f"{shop.office_path}/events/{shop.event_id}/checkin-lists"
    created = await client.post(
        base, json={"name": "Entrée principale"} | body, headers=shop.organizer.headers
    )
    assert created.status_code == 201, created.text
    list_id = created.json()["id"]
    device = await client.post(
        f"{base}/{list_id}/devices", json={"name": "Porte 1"}, headers=shop.organizer.headers
    )
    assert device.status_code == 201, device.text
    return list_id, {"X-Device-Token": device.json()["token"]}


async def device_scan(
    client: httpx.AsyncClient,
    token: dict[str, str],
    performance_id: str,
    number: str,
    direction: str = "entry",
) -> dict[str, Any]:
    response = await client.post(
        "/v1/checkin/scans",
        json={"performance_id": performance_id, "ticket_number": number, "direction": direction},
        headers=token,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_list_scans_passes_and_tickets_alike_in_and_out_with_a_live_count(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    list_id, token = await device_of(client, shop)
    season = await create_pass(client, shop, event_ids=[shop.event_id])
    pass_number = (await sell_pass(client, shop, season["id"])).json()["number"]
    ticket = (await sell(client, shop, method="cash", quantity=1))["tickets"][0]["number"]
    first = shop.performance_ids[0]

    entered = await device_scan(client, token, first, pass_number)
    assert (entered["result"], entered["inside"], entered["ticket_id"]) == ("valid", 1, None)
    assert entered["pass_id"] is not None
    assert (await device_scan(client, token, first, pass_number))["result"] == "already_inside"
    assert (await device_scan(client, token, first, ticket))["inside"] == 2
    out = await device_scan(client, token, first, pass_number, "exit")
    assert (out["result"], out["inside"]) == ("valid", 1)
    assert (await device_scan(client, token, first, pass_number, "exit"))["result"] == (
        "not_inside"
    )
    back = await device_scan(client, token, first, pass_number)
    assert (back["result"], back["inside"]) == ("valid", 2)
    later = await device_scan(client, token, shop.performance_ids[1], pass_number)
    assert (later["result"], later["inside"]) == ("valid", 1)

    count = await client.get(
        f"{shop.office_path}/events/{shop.event_id}/checkin-lists/{list_id}/count",
        params={"performance_id": first},
        headers=shop.organizer.headers,
    )
    assert count.status_code == 200, count.text
    assert {k: count.json()[k] for k in ("inside", "admitted", "entries", "exits")} == {
        "inside": 2,
        "admitted": 2,
        "entries": 3,
        "exits": 1,
    }
    # The list's entry counts as the pass's admission to the performance at the door too.
    assert (await scan(client, shop, first, pass_number))["result"] == "already_used"


async def test_a_list_of_chosen_categories_refuses_passes_and_cancelled_passes_are_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=1)
    _, balcony = await device_of(
        client, shop, name="Balcon", price_category_ids=[shop.category_ids[1]]
    )
    _, main = await device_of(client, shop)
    season = await create_pass(client, shop, event_ids=[shop.event_id])
    sold = (await sell_pass(client, shop, season["id"])).json()
    performance = shop.performance_ids[0]
    assert (await device_scan(client, balcony, performance, sold["number"]))["result"] == (
        "not_on_list"
    )
    cancelled = await client.post(
        f"{shop.office_path}/passes/{season['id']}/sales/{sold['id']}/cancel",
        json={"reason": "Remboursé"},
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (await device_scan(client, main, performance, sold["number"]))["result"] == ("cancelled")
    assert (await device_scan(client, main, performance, "NOSUCHNUMBER"))["result"] == "unknown"


async def test_50_devices_scanning_one_pass_at_once_let_it_in_once(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, performances=1)
        list_id, token = await device_of(client, shop)
        season = await create_pass(client, shop, event_ids=[shop.event_id])
        number = (await sell_pass(client, shop, season["id"])).json()["number"]
        performance = shop.performance_ids[0]

        results = await asyncio.gather(
            *(device_scan(client, token, performance, number) for _ in range(50))
        )
        assert [r["result"] for r in results].count("valid") == 1
        assert [r["result"] for r in results].count("already_inside") == 49
        count = await client.get(
            f"{shop.office_path}/events/{shop.event_id}/checkin-lists/{list_id}/count",
            params={"performance_id": performance},
            headers=shop.organizer.headers,
        )
        assert (count.json()["inside"], count.json()["admitted"]) == (1, 1)


async def test_50_controllers_scanning_one_pass_at_once_admit_it_once_per_performance(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, performances=2)
        season = await create_pass(client, shop, event_ids=[shop.event_id])
        number = (await sell_pass(client, shop, season["id"])).json()["number"]

        results = await asyncio.gather(
            *(scan(client, shop, shop.performance_ids[i % 2], number) for i in range(50))
        )
        for performance in shop.performance_ids:
            seen = [
                r["result"]
                for i, r in enumerate(results)
                if shop.performance_ids[i % 2] == performance
            ]
            assert seen.count("valid") == 1
            assert seen.count("already_used") == 24
