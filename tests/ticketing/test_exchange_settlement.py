"""An online exchange settles its price difference: a dearer ticket is charged to the card
(authorized in the request, captured after the commit, never twice), a cheaper one records the
credit owed; at the box office the difference is recorded as collected at the counter."""

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.payments import providers
from app.payments.models import PaymentAuthorization
from app.payments.providers import TestCardProvider
from tests.ticketing.helpers import Shop, buy, open_shop


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> TestCardProvider:
    fresh = TestCardProvider()
    monkeypatch.setitem(providers.PROVIDERS, "test", fresh)
    return fresh


async def exchange_shop(client: httpx.AsyncClient, db: Database) -> Shop:
    return await open_shop(
        client, db, prices=(5000, 3000), settings={"online_exchange_allowed": True}
    )


def exchange_path(order: dict[str, object]) -> str:
    ticket = order["tickets"][0]  # type: ignore[index]
    return f"/v1/shop/orders/{order['access_key']}/tickets/{ticket['id']}/exchange"


async def authorizations(db: Database) -> list[PaymentAuthorization]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(
                select(PaymentAuthorization).where(
                    PaymentAuthorization.key.startswith("ticketing-exchange:")
                )
            )
        )


async def test_online_exchange_charges_a_dearer_ticket_to_the_card_once(
    client: httpx.AsyncClient, db: Database, provider: TestCardProvider
) -> None:
    shop = await exchange_shop(client, db)
    order = await buy(client, shop, quantity=1, category=1)  # 30.00
    path = exchange_path(order)
    dearer = {"performance_id": shop.performance_ids[1], "price_category_id": shop.category_ids[0]}

    no_card = await client.post(path, json=dearer)
    assert no_card.status_code == 422
    assert no_card.json()["code"] == "card_token_required"
    assert no_card.json()["price_difference_minor"] == 2000

    body = dearer | {"card_token": "tok_visa"}
    headers = {"Idempotency-Key": "exchange-1"}
    done = await client.post(path, json=body, headers=headers)
    assert done.status_code == 200, done.text
    exchange = done.json()
    assert (exchange["price_difference_minor"], exchange["currency"]) == (2000, "CHF")
    assert (exchange["settlement"], exchange["charged_minor"], exchange["credit_owed_minor"]) == (
        "card",
        2000,
        0,
    )
    assert exchange["new_ticket"]["price_minor"] == 5000

    # The same request again, replayed or not, charges nothing more.
    replayed = await client.post(path, json=body, headers=headers)
    assert replayed.status_code == 200
    assert replayed.json() == exchange
    again = await client.post(path, json=body)
    assert again.status_code == 409
    assert again.json()["code"] == "ticket_not_exchangeable"

    [row] = await authorizations(db)
    assert row.key == f"ticketing-exchange:{order['tickets'][0]['id']}"  # type: ignore[index]
    assert (row.amount_minor, row.currency) == (2000, "CHF")
    assert row.provider_reference == exchange["payment_reference"]
    held = [a for a in provider.authorizations() if a.key.startswith("ticketing-exchange:")]
    assert [(a.amount_minor, a.captures <= 1) for a in held] == [(2000, True)]


async def test_a_declined_card_leaves_the_ticket_as_it_was(
    client: httpx.AsyncClient, db: Database, provider: TestCardProvider
) -> None:
    shop = await exchange_shop(client, db)
    order = await buy(client, shop, quantity=1, category=1)
    response = await client.post(
        exchange_path(order),
        json={
            "performance_id": shop.performance_ids[1],
            "price_category_id": shop.category_ids[0],
            "card_token": "tok_declined",
        },
    )
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    seen = (await client.get(f"/v1/shop/orders/{order['access_key']}")).json()
    assert [(t["status"], t["price_minor"]) for t in seen["tickets"]] == [("valid", 3000)]
    event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
    assert [p["sold"] for p in event["performances"]] == [1, 0]
    assert await authorizations(db) == []


async def test_online_exchange_for_a_cheaper_ticket_records_the_credit_owed(
    client: httpx.AsyncClient, db: Database, provider: TestCardProvider
) -> None:
    shop = await exchange_shop(client, db)
    order = await buy(client, shop, quantity=1, category=0)  # 50.00
    response = await client.post(
        exchange_path(order),
        json={"performance_id": shop.performance_ids[0], "price_category_id": shop.category_ids[1]},
    )
    assert response.status_code == 200, response.text
    exchange = response.json()
    assert (exchange["price_difference_minor"], exchange["settlement"]) == (-2000, "credit_owed")
    assert (exchange["credit_owed_minor"], exchange["charged_minor"]) == (2000, 0)
    assert exchange["payment_reference"] is None
    assert await authorizations(db) == []


async def test_box_office_exchange_records_the_difference_collected_at_the_counter(
    client: httpx.AsyncClient, db: Database, provider: TestCardProvider
) -> None:
    shop = await exchange_shop(client, db)
    order = await buy(client, shop, quantity=1, category=1)
    ticket = order["tickets"][0]
    response = await client.post(
        f"{shop.office_path}/orders/{order['id']}/tickets/{ticket['id']}/exchange",
        json={"performance_id": shop.performance_ids[0], "price_category_id": shop.category_ids[0]},
        headers=shop.organizer.headers,
    )
    assert response.status_code == 200, response.text
    exchange = response.json()
    assert (exchange["settlement"], exchange["charged_minor"]) == ("box_office", 2000)
    assert await authorizations(db) == []
