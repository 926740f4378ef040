"""Several online shops per ticket office, each with its events, look and payment-method rules."""

from datetime import timedelta

import httpx
import time_machine

from app.core import clock
from app.core.db import Database
from tests.ticketing.helpers import open_shop, order_body


async def test_each_shop_sells_its_events_with_its_payment_rules(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)  # performances in 60 and 61 days
    other = await open_shop(client, db, organizer=shop.organizer)
    base = f"{shop.office_path}/shops"
    created = await client.post(
        base,
        json={
            "name": "Abonnés",
            "event_ids": [shop.event_id],
            "payment_methods": ["card", "invoice"],
            "invoice_until_days_before": 30,
            "look": {"primary_color": "#004488"},
        },
        headers=shop.organizer.headers,
    )
    assert created.status_code == 201, created.text
    members = created.json()
    card_only = await client.post(
        base,
        json={"name": "Grand public", "event_ids": [shop.event_id], "payment_methods": ["card"]},
        headers=shop.organizer.headers,
    )
    assert card_only.status_code == 201
    foreign = await client.post(
        base,
        json={"name": "x", "event_ids": [other.event_id], "payment_methods": ["card"]},
        headers=shop.organizer.headers,
    )
    assert (foreign.status_code, foreign.json()["code"]) == (422, "online_shop_invalid")
    cash = await client.post(
        base, json={"name": "x", "payment_methods": ["cash"]}, headers=shop.organizer.headers
    )
    assert cash.json()["code"] == "online_shop_invalid"
    listed = await client.get(base, headers=shop.organizer.headers)
    assert len(listed.json()["data"]) == 2

    front = (await client.get(f"/v1/shop/shops/{members['id']}")).json()
    assert front["look"] == {"primary_color": "#004488"}
    assert [event["id"] for event in front["events"]] == [shop.event_id]

    path = f"/v1/shop/shops/{members['id']}/events/{shop.event_id}/orders"
    on_invoice = await client.post(path, json=order_body(shop, method="invoice"))
    assert on_invoice.status_code == 201, on_invoice.text
    assert on_invoice.json()["status"] == "pending_payment"
    not_here = await client.post(
        f"/v1/shop/shops/{members['id']}/events/{other.event_id}/orders",
        json=order_body(other),
    )
    assert (not_here.status_code, not_here.json()["code"]) == (404, "event_not_found")
    no_invoice = await client.post(
        f"/v1/shop/shops/{card_only.json()['id']}/events/{shop.event_id}/orders",
        json=order_body(shop, method="invoice"),
    )
    assert (no_invoice.status_code, no_invoice.json()["code"]) == (
        422,
        "payment_method_not_offered",
    )

    with time_machine.travel(clock.now() + timedelta(days=31), tick=False):  # 29 days before
        late = await client.post(path, json=order_body(shop, method="invoice"))
        assert (late.status_code, late.json()["code"]) == (422, "payment_method_not_offered")
        by_card = await client.post(path, json=order_body(shop, method="card"))
        assert by_card.status_code == 201, by_card.text

    changed = await client.patch(
        f"{base}/{members['id']}",
        json={"invoice_until_days_before": 10},
        headers=shop.organizer.headers,
    )
    assert changed.json()["invoice_until_days_before"] == 10
    with time_machine.travel(clock.now() + timedelta(days=31), tick=False):
        again = await client.post(path, json=order_body(shop, method="invoice"))
        assert again.status_code == 201, again.text


async def test_the_order_records_its_shop_and_the_orders_filter_by_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    ids = []
    for name in ("Abonnés", "Grand public"):
        created = await client.post(
            f"{shop.office_path}/shops",
            json={"name": name, "event_ids": [shop.event_id], "payment_methods": ["card"]},
            headers=shop.organizer.headers,
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    placed = {}
    for shop_id in ids:
        response = await client.post(
            f"/v1/shop/shops/{shop_id}/events/{shop.event_id}/orders",
            json=order_body(shop, quantity=1),
        )
        assert response.status_code == 201, response.text
        assert response.json()["shop_id"] == shop_id
        placed[shop_id] = response.json()["id"]
    main_shop = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, quantity=1)
    )
    assert main_shop.json()["shop_id"] is None
    read = await client.get(
        f"{shop.office_path}/orders/{placed[ids[0]]}", headers=shop.organizer.headers
    )
    assert read.json()["shop_id"] == ids[0]
    for shop_id in ids:
        listed = await client.get(
            f"{shop.office_path}/orders",
            params={"shop_id": shop_id},
            headers=shop.organizer.headers,
        )
        assert [order["id"] for order in listed.json()["data"]] == [placed[shop_id]]
    everything = await client.get(f"{shop.office_path}/orders", headers=shop.organizer.headers)
    assert len(everything.json()["data"]) == 3
