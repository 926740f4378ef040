"""Check-in lists: per entrance or category, scanned by their own devices, entries and exits, a
live count."""

import httpx

from app.core.db import Database
from tests.ticketing.helpers import open_shop, sell


async def test_a_list_admits_its_tickets_in_and_out_with_a_live_count(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, prices=(5000, 3000))
    base = f"{shop.office_path}/events/{shop.event_id}/checkin-lists"
    balcony = await client.post(
        base,
        json={"name": "Balcon", "price_category_ids": [shop.category_ids[1]]},
        headers=shop.organizer.headers,
    )
    assert balcony.status_code == 201, balcony.text
    list_id = balcony.json()["id"]
    other = await open_shop(client, db, organizer=shop.organizer)
    foreign = await client.post(
        base,
        json={"name": "x", "price_category_ids": [other.category_ids[0]]},
        headers=shop.organizer.headers,
    )
    assert foreign.json()["code"] == "checkin_list_invalid"
    device = await client.post(
        f"{base}/{list_id}/devices", json={"name": "Porte 3"}, headers=shop.organizer.headers
    )
    assert device.status_code == 201, device.text
    token = {"X-Device-Token": device.json()["token"]}

    cheap = (await sell(client, shop, method="cash", quantity=1, category=1))["tickets"][0]
    dear = (await sell(client, shop, method="cash", quantity=1, category=0))["tickets"][0]
    other_ticket = (await sell(client, other, method="cash", quantity=1))["tickets"][0]

    async def scan(number: str, direction: str = "entry", performance: int = 0) -> dict[str, str]:
        response = await client.post(
            "/v1/checkin/scans",
            json={
                "performance_id": shop.performance_ids[performance],
                "ticket_number": number,
                "direction": direction,
            },
            headers=token,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    first = await scan(cheap["number"].lower())
    assert (first["accepted"], first["result"], first["inside"]) == (True, "valid", 1)
    assert (await scan(cheap["number"]))["result"] == "already_inside"
    assert (await scan(dear["number"]))["result"] == "not_on_list"
    assert (await scan(other_ticket["number"]))["result"] == "unknown"
    assert (await scan(cheap["number"], performance=1))["result"] == "wrong_performance"
    out = await scan(cheap["number"], "exit")
    assert (out["result"], out["inside"]) == ("valid", 0)
    assert (await scan(cheap["number"], "exit"))["result"] == "not_inside"
    back = await scan(cheap["number"])
    assert (back["accepted"], back["inside"]) == (True, 1)

    count = await client.get(
        f"{base}/{list_id}/count",
        params={"performance_id": shop.performance_ids[0]},
        headers=shop.organizer.headers,
    )
    assert count.json() | {} == {
        "checkin_list_id": list_id,
        "performance_id": shop.performance_ids[0],
        "inside": 1,
        "entries": 2,
        "exits": 1,
    }
    order = await client.get(f"{shop.office_path}/orders", headers=shop.organizer.headers)
    checked = {t["number"]: t["checked_in_at"] for o in order.json()["data"] for t in o["tickets"]}
    assert checked[cheap["number"]] is not None

    bad = await client.post(
        "/v1/checkin/scans",
        json={"performance_id": shop.performance_ids[0], "ticket_number": cheap["number"]},
        headers={"X-Device-Token": "dev_nope"},
    )
    assert (bad.status_code, bad.json()["code"]) == (401, "device_token_invalid")
    elsewhere = await client.get(
        f"{shop.office_path}/orders", headers={"Authorization": f"Bearer {token['X-Device-Token']}"}
    )
    assert elsewhere.status_code == 401  # the device token reaches check-in only


async def test_cancelled_and_unpaid_tickets_are_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    base = f"{shop.office_path}/events/{shop.event_id}/checkin-lists"
    list_id = (
        await client.post(base, json={"name": "Entrée"}, headers=shop.organizer.headers)
    ).json()["id"]
    token = (
        await client.post(
            f"{base}/{list_id}/devices", json={"name": "A"}, headers=shop.organizer.headers
        )
    ).json()["token"]
    unpaid = (await sell(client, shop, method="invoice", quantity=1))["tickets"][0]
    paid = await sell(client, shop, method="cash", quantity=1)
    await client.post(
        f"{shop.office_path}/orders/{paid['id']}/cancel",
        json={"refund_method": "cash", "reason": "x"},
        headers=shop.organizer.headers,
    )

    async def result(number: str) -> str:
        response = await client.post(
            "/v1/checkin/scans",
            json={"performance_id": shop.performance_ids[0], "ticket_number": number},
            headers={"X-Device-Token": token},
        )
        return str(response.json()["result"])

    assert await result(unpaid["number"]) == "unpaid"
    assert await result(paid["tickets"][0]["number"]) == "cancelled"
