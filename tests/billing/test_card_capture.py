"""Billing's card payments go through the same authorize-then-capture path."""

import httpx
import pytest

from app.core.db import Database
from app.payments import providers
from app.payments.providers import TestCardProvider
from app.payments.types import AuthorizationStatus
from tests.billing.conftest import DECLINED_CARD, add_card, customer, order, path

HOSTING = {"plan_code": "web_hosting.starter", "period": "monthly", "product_name": "shop"}


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> TestCardProvider:
    fresh = TestCardProvider()
    monkeypatch.setitem(providers.PROVIDERS, "test", fresh)
    return fresh


async def test_an_invoice_paid_by_card_in_two_parts_is_captured_twice_once_each(
    client: httpx.AsyncClient, db: Database, catalog: None, provider: TestCardProvider
) -> None:
    user = await customer(client, db)
    await add_card(client, user)
    invoice = (await order(client, user, HOSTING))["invoice"]
    payments_path = path(user, f"/invoices/{invoice['id']}/payments")
    first = await client.post(
        payments_path, json={"method": "card", "amount_minor": 500}, headers=user.headers
    )
    assert first.status_code == 201, first.text
    assert first.json()["invoice"]["status"] == "partially_paid"
    rest = await client.post(payments_path, json={"method": "card"}, headers=user.headers)
    assert rest.status_code == 201, rest.text
    assert rest.json()["invoice"]["status"] == "paid"

    held = provider.authorizations()
    assert [h.amount_minor for h in held] == [500, invoice["total_minor"] - 500]
    assert all(h.key.startswith(f"billing-invoice:{invoice['id']}:") for h in held)
    assert [(h.status, h.captures) for h in held] == [(AuthorizationStatus.captured, 1)] * 2


async def test_a_declined_top_up_authorizes_nothing(
    client: httpx.AsyncClient, db: Database, catalog: None, provider: TestCardProvider
) -> None:
    user = await customer(client, db)
    await add_card(client, user, DECLINED_CARD)
    response = await client.post(
        path(user, "/prepaid/CHF/top-ups"), json={"amount_minor": 1000}, headers=user.headers
    )
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert response.json()["detail"] == "The card was declined (card_declined)."
    assert provider.authorizations() == []
