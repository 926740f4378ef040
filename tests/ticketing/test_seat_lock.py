"""Seats are taken at the end of an order's transaction, and a card is authorized only after
(and captured once the transaction has committed)."""

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.payments import providers
from app.payments.providers import TestCardProvider
from app.payments.types import AuthorizationStatus
from app.ticketing.models import TicketOrder
from tests.ticketing.helpers import open_shop, order_body


async def test_card_is_charged_only_once_the_seats_are_taken_and_its_reference_kept(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = TestCardProvider()
    monkeypatch.setitem(providers.PROVIDERS, "test", provider)
    shop = await open_shop(client, db, capacity=2, performances=1)
    path = f"/v1/shop/events/{shop.event_id}/orders"

    refused = await client.post(path, json=order_body(shop, quantity=3))
    assert (refused.status_code, refused.json()["code"]) == (409, "sold_out")
    assert provider.authorizations() == []

    placed = await client.post(path, json=order_body(shop, quantity=2))
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "paid"
    async with db.sessionmaker() as session:
        order = await session.scalar(
            select(TicketOrder).where(TicketOrder.number == placed.json()["number"])
        )
    assert order is not None
    held = provider.authorization(f"ticketing-order:{order.id}")
    assert held is not None
    assert (held.amount_minor, held.status, held.captures) == (
        placed.json()["total_minor"],
        AuthorizationStatus.captured,
        1,
    )
    assert order.payment_reference == held.provider_reference
