"""Building ticket offices and events through the API, for the ticketing tests."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from app.core import clock
from app.core.db import Database
from tests.factories import User, log_in, signed_in_user


@dataclass
class Shop:
    organizer: User
    office_id: str
    event_id: str
    performance_ids: list[str]
    category_ids: list[str]

    @property
    def office_path(self) -> str:
        return f"/v1/organizations/{self.organizer.organization_id}/ticket-offices/{self.office_id}"


async def open_shop(
    client: httpx.AsyncClient,
    db: Database,
    *,
    capacity: int = 100,
    performances: int = 2,
    prices: tuple[int, ...] = (5000, 3000),
    settings: dict[str, Any] | None = None,
    organizer: User | None = None,
) -> Shop:
    """An organizer with a ticket office and a published event."""
    organizer = organizer or await signed_in_user(client, db)
    base = f"/v1/organizations/{organizer.organization_id}/ticket-offices"
    office = await client.post(base, json={"name": "Théâtre du Lac"}, headers=organizer.headers)
    assert office.status_code == 201, office.text
    office_id = office.json()["id"]
    if settings:
        updated = await client.patch(
            f"{base}/{office_id}", json=settings, headers=organizer.headers
        )
        assert updated.status_code == 200, updated.text
    start = clock.now() + timedelta(days=60)
    event = await client.post(
        f"{base}/{office_id}/events",
        json={
            "name": "La Flûte enchantée",
            "performances": [
                {
                    "starts_at": (start + timedelta(days=i)).isoformat(),
                    "ends_at": (start + timedelta(days=i, hours=3)).isoformat(),
                    "venue": "Grande salle",
                    "capacity": capacity,
                }
                for i in range(performances)
            ],
            "price_categories": [
                {"name": f"Zone {i + 1}", "price_minor": price} for i, price in enumerate(prices)
            ],
        },
        headers=organizer.headers,
    )
    assert event.status_code == 201, event.text
    body = event.json()
    published = await client.post(
        f"{base}/{office_id}/events/{body['id']}/publish", headers=organizer.headers
    )
    assert published.status_code == 200, published.text
    return Shop(
        organizer=organizer,
        office_id=office_id,
        event_id=body["id"],
        performance_ids=[p["id"] for p in body["performances"]],
        category_ids=[c["id"] for c in body["price_categories"]],
    )


def order_body(
    shop: Shop,
    *,
    quantity: int = 2,
    method: str = "card",
    performance: int = 0,
    category: int = 0,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": {"name": "Jeanne Dupont", "email": "jeanne@example.ch", "language": "fr"},
        "tickets": [
            {
                "performance_id": shop.performance_ids[performance],
                "price_category_id": shop.category_ids[category],
                "quantity": quantity,
            }
        ],
        "payment_method": method,
    }
    if method == "card":
        body["card_token"] = "tok_visa"
    return body | extra


async def buy(client: httpx.AsyncClient, shop: Shop, **kwargs: Any) -> dict[str, Any]:
    response = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, **kwargs)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def fresh_headers(client: httpx.AsyncClient, shop: Shop) -> dict[str, str]:
    """The organizer's headers with a token valid now (after the clock moved)."""
    tokens = (await log_in(client, shop.organizer.email)).json()["tokens"]
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def sell(client: httpx.AsyncClient, shop: Shop, **kwargs: Any) -> dict[str, Any]:
    """An order at the box office (no per-IP shop limit)."""
    response = await client.post(
        f"{shop.office_path}/events/{shop.event_id}/orders",
        json=order_body(shop, **kwargs),
        headers=shop.organizer.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
