"""Performances and price categories are edited and deleted within what their sold tickets
allow; a performance moved to another date mails its holders in their language."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from app.core.db import Database
from app.notifications.models import MailMessage
from app.notifications.transport import OutgoingMail
from tests.mail import rendered
from tests.ticketing.helpers import Shop, buy, open_shop, order_body, sell


def performance_path(shop: Shop, index: int) -> str:
    return f"{shop.office_path}/events/{shop.event_id}/performances/{shop.performance_ids[index]}"


def category_path(shop: Shop, index: int) -> str:
    return f"{shop.office_path}/events/{shop.event_id}/price-categories/{shop.category_ids[index]}"


async def event_of(client: httpx.AsyncClient, shop: Shop) -> dict[str, object]:
    response = await client.get(
        f"{shop.office_path}/events/{shop.event_id}", headers=shop.organizer.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_capacity_cannot_go_below_the_valid_tickets_held(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=100)
    await buy(client, shop, quantity=3)
    headers = shop.organizer.headers

    refused = await client.patch(performance_path(shop, 0), json={"capacity": 2}, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "capacity_below_sold"
    assert refused.json()["sold"] == 3

    lowered = await client.patch(
        performance_path(shop, 0), json={"capacity": 3, "venue": "Petite salle"}, headers=headers
    )
    assert lowered.status_code == 200, lowered.text
    body = lowered.json()
    assert (body["capacity"], body["sold"], body["available"], body["venue"]) == (
        3,
        3,
        0,
        "Petite salle",
    )
    sold_out = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, quantity=1)
    )
    assert sold_out.json()["code"] == "sold_out"


async def test_a_performance_must_still_end_after_it_starts(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    event = await event_of(client, shop)
    starts_at = event["performances"][0]["starts_at"]  # type: ignore[index]
    response = await client.patch(
        performance_path(shop, 0), json={"ends_at": starts_at}, headers=shop.organizer.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "performance_dates_invalid"


async def test_a_performance_or_category_with_tickets_is_kept_an_unsold_one_is_deleted(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2, prices=(5000, 3000))
    order = await sell(client, shop, method="cash", quantity=1)
    # Even once cancelled, its ticket stays in the order: the performance and category stay.
    cancelled = await client.post(
        f"{shop.office_path}/orders/{order['id']}/cancel",
        json={"refund_method": "cash", "refund_amount_minor": 5000, "reason": "Ill"},
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    headers = shop.organizer.headers

    performance = await client.delete(performance_path(shop, 0), headers=headers)
    assert performance.status_code == 409
    assert performance.json()["code"] == "performance_has_tickets"
    category = await client.delete(category_path(shop, 0), headers=headers)
    assert category.status_code == 409
    assert category.json()["code"] == "price_category_has_tickets"

    assert (await client.delete(performance_path(shop, 1), headers=headers)).status_code == 204
    assert (await client.delete(category_path(shop, 1), headers=headers)).status_code == 204
    event = await event_of(client, shop)
    assert [p["id"] for p in event["performances"]] == [shop.performance_ids[0]]  # type: ignore[attr-defined]
    assert [c["id"] for c in event["price_categories"]] == [shop.category_ids[0]]  # type: ignore[attr-defined]
    gone = await client.delete(performance_path(shop, 1), headers=headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "performance_not_found"


async def test_repricing_a_category_keeps_the_price_of_tickets_sold(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, prices=(5000, 3000))
    before = await buy(client, shop, quantity=1)
    response = await client.patch(
        category_path(shop, 0),
        json={"name": "Parterre", "price_minor": 6000, "currency": "CHF"},
        headers=shop.organizer.headers,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["price_minor"]) == ("Parterre", 6000)
    wrong_currency = await client.patch(
        category_path(shop, 0),
        json={"price_minor": 6000, "currency": "EUR"},
        headers=shop.organizer.headers,
    )
    assert wrong_currency.json()["code"] == "currency_mismatch"

    after = await buy(client, shop, quantity=1)
    assert after["total_minor"] == 6000
    kept = await client.get(f"/v1/shop/orders/{before['access_key']}")
    assert kept.json()["tickets"][0]["price_minor"] == 5000


async def test_moving_a_performance_mails_each_holding_order_in_its_language(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    french = await buy(client, shop, quantity=2)  # customer language: fr
    german = order_body(shop, quantity=1)
    german["customer"] = {"name": "Hans Muster", "email": "hans@example.ch", "language": "de"}
    placed = await client.post(f"/v1/shop/events/{shop.event_id}/orders", json=german)
    assert placed.status_code == 201, placed.text
    gone = await sell(client, shop, method="cash", quantity=1)
    await client.post(
        f"{shop.office_path}/orders/{gone['id']}/cancel",
        json={"refund_method": "none", "reason": "Changed plans", "notify_customer": False},
        headers=shop.organizer.headers,
    )
    other = order_body(shop, quantity=1, performance=1)
    other["customer"] = {"name": "Other", "email": "other@example.ch", "language": "en"}
    assert (
        await client.post(f"/v1/shop/events/{shop.event_id}/orders", json=other)
    ).status_code == 201

    # A new venue alone mails nobody.
    renamed = await client.patch(
        performance_path(shop, 0), json={"venue": "Salle Ansermet"}, headers=shop.organizer.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert await rescheduled_mails(db) == []

    event = await event_of(client, shop)
    old_start = datetime.fromisoformat(event["performances"][0]["starts_at"])  # type: ignore[index]
    new_start = old_start + timedelta(days=7)
    moved = await client.patch(
        performance_path(shop, 0),
        json={
            "starts_at": new_start.isoformat(),
            "ends_at": (new_start + timedelta(hours=3)).isoformat(),
        },
        headers=shop.organizer.headers,
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["starts_at"]) == new_start

    mails = {mail.to_address: mail for mail in await rescheduled_mails(db)}
    assert sorted(mails) == ["hans@example.ch", "jeanne@example.ch"]
    assert mails["jeanne@example.ch"].language == "fr"
    assert "Nouvelle date" in mails["jeanne@example.ch"].text_body
    assert french["number"] in mails["jeanne@example.ch"].text_body
    assert mails["hans@example.ch"].language == "de"
    assert "Neues Datum" in mails["hans@example.ch"].text_body
    local = "%d.%m.%Y %H:%M"
    zurich = ZoneInfo("Europe/Zurich")
    for mail in mails.values():
        assert old_start.astimezone(zurich).strftime(local) in mail.text_body
        assert new_start.astimezone(zurich).strftime(local) in mail.text_body
        assert "Salle Ansermet" in mail.text_body


async def rescheduled_mails(db: Database) -> list[OutgoingMail]:
    async with db.sessionmaker() as session:
        return list(
            map(
                rendered,
                await session.scalars(
                    select(MailMessage).where(MailMessage.template == "performance_rescheduled")
                ),
            )
        )


async def test_editing_needs_the_manage_right_and_an_event_of_the_office(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    other = await open_shop(client, db)
    foreign = f"{shop.office_path}/events/{other.event_id}/performances/{other.performance_ids[0]}"
    response = await client.patch(foreign, json={"capacity": 5}, headers=shop.organizer.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "event_not_found"
    wrong_event = (
        f"{shop.office_path}/events/{shop.event_id}/price-categories/{other.category_ids[0]}"
    )
    response = await client.delete(wrong_event, headers=shop.organizer.headers)
    assert response.status_code == 404
