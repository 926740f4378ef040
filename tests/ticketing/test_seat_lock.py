"""Seats are taken at the end of an order's transaction, and a card is charged only after."""

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.ticketing import orders
from app.ticketing.models import TicketOrder
from app.ticketing.payments import Charge
from tests.ticketing.helpers import open_shop, order_body


class RecordingProvider:
    def __init__(self) -> None:
        self.charges: list[Charge] = []

    async def charge(
        self, *, token: str, amount_minor: int, currency: str, description: str
    ) -> Charge:
        charge = Charge(f"rec_{len(self.charges)}", amount_minor, currency)
        self.charges.append(charge)
        return charge


async def test_card_is_charged_only_once_the_seats_are_taken_and_its_reference_kept(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = RecordingProvider()
    monkeypatch.setattr(orders, "card_provider", lambda: provider)
    shop = await open_shop(client, db, capacity=2, performances=1)
    path = f"/v1/shop/events/{shop.event_id}/orders"

    refused = await client.post(path, json=order_body(shop, quantity=3))
    assert (refused.status_code, refused.json()["code"]) == (409, "sold_out")
    assert provider.charges == []

    placed = await client.post(path, json=order_body(shop, quantity=2))
    assert placed.status_code == 201, placed.text
    assert placed.json()["status"] == "paid"
    assert [c.amount_minor for c in provider.charges] == [placed.json()["total_minor"]]
    async with db.sessionmaker() as session:
        reference = await session.scalar(
            select(TicketOrder.payment_reference).where(
                TicketOrder.number == placed.json()["number"]
            )
        )
    assert reference == "rec_0"
