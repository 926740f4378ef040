"""Every amount carries its currency: the office's on prices, reports, gift cards and promotions,
the order's on tickets, cancellations and exchanges. An amount sent with another currency than
the one it is in is refused (422 currency_mismatch) and nothing of the request is stored."""

from typing import Any

import httpx

from app.core.db import Database
from tests.ticketing.helpers import Shop, open_shop, sell


def assert_mismatch(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "currency_mismatch"


async def get(client: httpx.AsyncClient, shop: Shop, path: str) -> Any:
    response = await client.get(f"{shop.office_path}{path}", headers=shop.organizer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_an_office_sells_in_the_currency_chosen_at_its_creation(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    base = f"/v1/organizations/{shop.organizer.organization_id}/ticket-offices"
    euro = await client.post(
        base, json={"name": "Billetterie Annecy", "currency": "EUR"}, headers=shop.organizer.headers
    )
    assert (euro.status_code, euro.json()["currency"]) == (201, "EUR")
    dollar = await client.post(
        base, json={"name": "Box office", "currency": "USD"}, headers=shop.organizer.headers
    )
    assert (dollar.status_code, dollar.json()["code"]) == (422, "validation_error")


async def test_prices_and_settings_in_another_currency_are_refused_and_nothing_stored(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    headers = shop.organizer.headers
    before = await get(client, shop, "")
    assert before["currency"] == "CHF"

    settings = await client.patch(
        shop.office_path,
        json={"commission_per_ticket_minor": 150, "currency": "EUR"},
        headers=headers,
    )
    assert_mismatch(settings)
    assert (await get(client, shop, ""))["commission_per_ticket_minor"] == 0
    same = await client.patch(
        shop.office_path,
        json={"commission_per_ticket_minor": 150, "currency": "CHF"},
        headers=headers,
    )
    assert (same.status_code, same.json()["commission_per_ticket_minor"]) == (200, 150)

    event = await client.post(
        f"{shop.office_path}/events",
        json={
            "name": "Cyrano de Bergerac",
            "price_categories": [
                {"name": "Parterre", "price_minor": 6500},
                {"name": "Balcon", "price_minor": 3500, "currency": "EUR"},
            ],
        },
        headers=headers,
    )
    assert_mismatch(event)
    assert [e["name"] for e in (await get(client, shop, "/events"))["data"]] == [
        "La Flûte enchantée"
    ]

    categories = f"{shop.office_path}/events/{shop.event_id}/price-categories"
    wrong = await client.post(
        categories, json={"name": "Loge", "price_minor": 9000, "currency": "EUR"}, headers=headers
    )
    assert_mismatch(wrong)
    right = await client.post(
        categories, json={"name": "Loge", "price_minor": 9000, "currency": "CHF"}, headers=headers
    )
    assert right.status_code == 201, right.text
    assert (right.json()["price_minor"], right.json()["currency"]) == (9000, "CHF")
    read = await get(client, shop, f"/events/{shop.event_id}")
    assert [(c["name"], c["currency"]) for c in read["price_categories"]] == [
        ("Loge", "CHF"),
        ("Zone 1", "CHF"),
        ("Zone 2", "CHF"),
    ]


async def test_a_refund_in_another_currency_is_refused_and_the_order_stays_whole(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await sell(client, shop, method="cash", quantity=2)
    assert {(t["currency"], t["price_minor"]) for t in order["tickets"]} == {("CHF", 5000)}
    cancel = f"{shop.office_path}/orders/{order['id']}/cancel"
    body = {"refund_method": "cash", "refund_amount_minor": 5000, "reason": "Annulé"}
    refused = await client.post(
        cancel, json=body | {"currency": "EUR"}, headers=shop.organizer.headers
    )
    assert_mismatch(refused)
    kept = await get(client, shop, f"/orders/{order['id']}")
    assert kept["status"] == "paid"
    assert {t["status"] for t in kept["tickets"]} == {"valid"}
    assert (await get(client, shop, f"/orders/{order['id']}/cancellations"))["data"] == []

    done = await client.post(
        cancel, json=body | {"currency": "CHF"}, headers=shop.organizer.headers
    )
    assert done.status_code == 200, done.text
    assert (done.json()["refund_amount_minor"], done.json()["currency"]) == (5000, "CHF")


async def test_a_gift_card_in_another_currency_is_refused_and_none_issued(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    cards = f"{shop.office_path}/gift-cards"
    refused = await client.post(
        cards, json={"amount_minor": 10000, "currency": "EUR"}, headers=shop.organizer.headers
    )
    assert_mismatch(refused)
    assert (await get(client, shop, "/gift-cards"))["data"] == []
    issued = await client.post(
        cards, json={"amount_minor": 10000, "currency": "CHF"}, headers=shop.organizer.headers
    )
    assert issued.status_code == 201, issued.text
    assert issued.json()["currency"] == "CHF"
    assert [(e["kind"], e["amount_minor"], e["currency"]) for e in issued.json()["entries"]] == [
        ("issued", 10000, "CHF")
    ]


async def test_a_fixed_discount_in_another_currency_is_refused_and_none_created(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    body = {"name": "Printemps", "kind": "fixed", "amount": 1000, "codes": ["PRINTEMPS"]}
    promotions = f"{shop.office_path}/promotions"
    refused = await client.post(
        promotions, json=body | {"currency": "EUR"}, headers=shop.organizer.headers
    )
    assert_mismatch(refused)
    assert (await get(client, shop, "/promotions"))["data"] == []
    created = await client.post(promotions, json=body, headers=shop.organizer.headers)
    assert created.status_code == 201, created.text
    assert (created.json()["amount"], created.json()["currency"]) == (1000, "CHF")


async def test_reports_and_exchanges_state_their_currency(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await sell(client, shop, method="cash", quantity=1)
    exchanged = await client.post(
        f"{shop.office_path}/orders/{order['id']}/tickets/{order['tickets'][0]['id']}/exchange",
        json={"performance_id": shop.performance_ids[0], "price_category_id": shop.category_ids[1]},
        headers=shop.organizer.headers,
    )
    assert exchanged.status_code == 200, exchanged.text
    exchange = exchanged.json()
    assert (exchange["price_difference_minor"], exchange["currency"]) == (-2000, "CHF")
    assert exchange["new_ticket"]["currency"] == exchange["old_ticket"]["currency"] == "CHF"

    report = await get(client, shop, f"/events/{shop.event_id}/report")
    assert report["currency"] == "CHF"
    assert {p["currency"] for p in report["performances"]} == {"CHF"}
    assert [(r["key"], r["amount_minor"], r["currency"]) for r in report["revenue_by_channel"]] == [
        ("box_office", 3000, "CHF")
    ]
