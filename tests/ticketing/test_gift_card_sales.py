"""Gift cards sold in the online shop: an offered value or a free amount within bounds, paid by
card like an order, then issued with its code, the office's currency and expiry, and mailed."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import time_machine

from app.core import clock
from app.core.db import Database
from app.payments import providers
from app.payments.providers import TestCardProvider
from tests.mail import Mailbox
from tests.ticketing.helpers import Shop, buy, open_shop


async def offer(client: httpx.AsyncClient, shop: Shop, **body: Any) -> httpx.Response:
    return await client.put(
        f"{shop.office_path}/gift-card-offer",
        json={"on_sale": True, "values_minor": [5000, 10000], **body},
        headers=shop.organizer.headers,
    )


async def purchase(client: httpx.AsyncClient, shop: Shop, **body: Any) -> httpx.Response:
    return await client.post(
        f"/v1/shop/ticket-offices/{shop.office_id}/gift-cards",
        json={
            "amount_minor": 5000,
            "buyer": {"name": "Jeanne Dupont", "email": "jeanne@example.ch", "language": "fr"},
            "card_token": "tok_visa",
            **body,
        },
    )


async def test_a_gift_card_bought_in_the_shop_is_paid_issued_and_mailed_to_the_recipient(
    client: httpx.AsyncClient,
    db: Database,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = TestCardProvider()
    monkeypatch.setitem(providers.PROVIDERS, "test", provider)
    shop = await open_shop(client, db)
    assert (await offer(client, shop, validity_days=365)).status_code == 200
    shown = await client.get(f"/v1/shop/ticket-offices/{shop.office_id}/gift-card-offer")
    assert shown.json() == {
        "on_sale": True,
        "values_minor": [5000, 10000],
        "min_minor": None,
        "max_minor": None,
        "validity_days": 365,
        "currency": "CHF",
    }

    bought = await purchase(
        client,
        shop,
        amount_minor=10000,
        recipient={"name": "Lucie Rochat", "email": "lucie@example.ch"},
        message="Joyeux anniversaire !",
    )
    assert bought.status_code == 201, bought.text
    sold = bought.json()
    assert (sold["amount_minor"], sold["currency"]) == (10000, "CHF")
    expires = clock.now() + timedelta(days=365)
    assert abs(datetime.fromisoformat(sold["expires_at"]) - expires) < timedelta(minutes=1)
    held = provider.authorization(f"ticketing-gift_card:{sold['id']}")
    assert held is not None
    assert held.amount_minor == 10000
    assert sold["payment_reference"] == held.provider_reference

    card = await client.get(
        f"{shop.office_path}/gift-cards/{sold['gift_card_id']}", headers=shop.organizer.headers
    )
    assert (card.json()["code"], card.json()["balance_minor"]) == (sold["code"], 10000)
    await mailbox.deliver(db.sessionmaker)
    text = mailbox.text(mailbox.last_to("lucie@example.ch"))
    assert sold["code"] in text
    assert "CHF 100.00" in text
    assert "Joyeux anniversaire" in text
    assert mailbox.messages_to("jeanne@example.ch") == []

    # The card pays an order of the shop, as any card of the office.
    order = await buy(client, shop, quantity=1, gift_card_code=sold["code"])
    assert order["gift_card_minor"] == 5000
    listed = await client.get(
        f"{shop.office_path}/gift-card-purchases", headers=shop.organizer.headers
    )
    assert [p["recipient_email"] for p in listed.json()["data"]] == ["lucie@example.ch"]


async def test_a_free_amount_is_accepted_within_the_bounds_only(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    shop = await open_shop(client, db)
    assert (await offer(client, shop, min_minor=2000, max_minor=30000)).status_code == 200
    for amount in (1999, 30001):
        refused = await purchase(client, shop, amount_minor=amount)
        assert (refused.status_code, refused.json()["code"]) == (422, "gift_card_amount_invalid")
    free = await purchase(client, shop, amount_minor=7750)
    assert free.status_code == 201, free.text
    assert free.json()["expires_at"] is None
    await mailbox.deliver(db.sessionmaker)
    assert free.json()["code"] in mailbox.text(mailbox.last_to("jeanne@example.ch"))
    other = await purchase(client, shop, currency="EUR")
    assert other.json()["code"] == "currency_mismatch"


async def test_a_gift_card_is_not_sold_unpaid_nor_where_the_office_does_not_sell_them(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    closed = await purchase(client, shop)
    assert (closed.status_code, closed.json()["code"]) == (404, "gift_cards_not_on_sale")
    await offer(client, shop)
    declined = await purchase(client, shop, card_token="tok_declined")
    assert (declined.status_code, declined.json()["code"]) == (402, "payment_declined")
    cards = await client.get(f"{shop.office_path}/gift-cards", headers=shop.organizer.headers)
    assert cards.json()["data"] == []
    await offer(client, shop, on_sale=False)
    assert (await purchase(client, shop)).json()["code"] == "gift_cards_not_on_sale"


async def test_a_card_sold_expires_after_the_offer_s_validity(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    await offer(client, shop, validity_days=30)
    sold = (await purchase(client, shop)).json()
    with time_machine.travel(clock.now() + timedelta(days=31), tick=False):
        response = await client.post(
            f"/v1/shop/events/{shop.event_id}/orders",
            json={
                "customer": {"name": "Jeanne Dupont", "email": "jeanne@example.ch"},
                "tickets": [
                    {
                        "performance_id": shop.performance_ids[0],
                        "price_category_id": shop.category_ids[0],
                        "quantity": 1,
                    }
                ],
                "payment_method": "card",
                "card_token": "tok_visa",
                "gift_card_code": sold["code"],
            },
        )
    assert (response.status_code, response.json()["code"]) == (422, "gift_card_expired")


async def test_the_percentage_commission_is_on_the_list_price_before_promotions_and_gift_cards(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(
        client,
        db,
        settings={"commission_per_ticket_minor": 100, "commission_basis_points": {"card": 500}},
    )
    promotion = await client.post(
        f"{shop.office_path}/promotions",
        json={"name": "Moitié prix", "kind": "percent", "amount": 5000, "codes": ["MOITIE"]},
        headers=shop.organizer.headers,
    )
    assert promotion.status_code == 201, promotion.text
    card = await client.post(
        f"{shop.office_path}/gift-cards",
        json={"amount_minor": 1000},
        headers=shop.organizer.headers,
    )
    order = await buy(
        client, shop, quantity=1, promotion_code="MOITIE", gift_card_code=card.json()["code"]
    )
    [ticket] = order["tickets"]
    assert ticket["price_minor"] == 2500  # 5000 less 50 %
    assert order["gift_card_minor"] == 1000
    # 1.00 fixed + 5 % of the list price 50.00 (not of 25.00 paid, nor of 15.00 paid by card)
    assert ticket["commission_minor"] == 100 + 250
