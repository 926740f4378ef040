"""Check-in lists: per entrance or category, scanned by their own devices, entries and exits, a
live count."""

import httpx
import pytest

from app.core.db import Database
from app.ticketing import checkin_lists
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
        "admitted": 1,
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


async def test_a_revoked_device_token_is_refused_at_its_next_scan(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    base = f"{shop.office_path}/events/{shop.event_id}/checkin-lists"
    headers = shop.organizer.headers
    entrance, side = [
        (await client.post(base, json={"name": name}, headers=headers)).json()["id"]
        for name in ("Entrée", "Porte latérale")
    ]
    door_a, door_b = [
        (
            await client.post(f"{base}/{entrance}/devices", json={"name": name}, headers=headers)
        ).json()
        for name in ("A", "B")
    ]
    other_list_device = (
        await client.post(f"{base}/{side}/devices", json={"name": "C"}, headers=headers)
    ).json()
    tickets = (await sell(client, shop, method="cash", quantity=3))["tickets"]

    async def scan(device: dict[str, str], number: str) -> httpx.Response:
        return await client.post(
            "/v1/checkin/scans",
            json={"performance_id": shop.performance_ids[0], "ticket_number": number},
            headers={"X-Device-Token": device["token"]},
        )

    assert (await scan(door_a, tickets[0]["number"])).json()["result"] == "valid"
    revoked = await client.post(f"{base}/{entrance}/devices/{door_a['id']}/revoke", headers=headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    refused = await scan(door_a, tickets[1]["number"])
    assert (refused.status_code, refused.json()["code"]) == (401, "device_token_invalid")
    assert (await scan(door_b, tickets[1]["number"])).json()["result"] == "valid"

    again = await client.post(f"{base}/{entrance}/devices/{door_a['id']}/revoke", headers=headers)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    wrong_list = await client.post(
        f"{base}/{entrance}/devices/{other_list_device['id']}/revoke", headers=headers
    )
    assert (wrong_list.status_code, wrong_list.json()["code"]) == (404, "checkin_device_not_found")
    assert (await scan(other_list_device, tickets[2]["number"])).status_code == 200

    listed = await client.get(f"{base}/{entrance}/devices", headers=headers)
    assert listed.status_code == 200, listed.text
    assert [(d["name"], d["revoked_at"] is not None) for d in listed.json()["data"]] == [
        ("B", False),
        ("A", True),
    ]
    assert all("token" not in device for device in listed.json()["data"])


async def test_an_event_s_check_in_lists_are_bounded_and_listed_in_one_page(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkin_lists, "MAX_LISTS", 2)
    shop = await open_shop(client, db)
    base = f"{shop.office_path}/events/{shop.event_id}/checkin-lists"
    for name in ("Entrée principale", "Entrée Balcon"):
        created = await client.post(base, json={"name": name}, headers=shop.organizer.headers)
        assert created.status_code == 201, created.text
    third = await client.post(base, json={"name": "Loges"}, headers=shop.organizer.headers)
    assert (third.status_code, third.json()["code"]) == (422, "checkin_list_invalid")
    listed = await client.get(base, headers=shop.organizer.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert [entry["name"] for entry in page["data"]] == ["Entrée principale", "Entrée Balcon"]
    assert (page["next_cursor"], page["has_more"]) == (None, False)
