"""Access passes: several performances across the office's events, one price, one number
admitted once per performance, seats counted on each performance so nothing is oversold."""

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.events.models import DomainEvent
from app.main import create_app
from app.notifications.models import MailMessage
from tests.mail import rendered
from tests.ticketing.helpers import Shop, fresh_headers, open_shop, sell


async def add_event(client: httpx.AsyncClient, shop: Shop, *, capacity: int = 100) -> list[str]:
    """A second event of the shop's office, with two performances; returns their ids."""
    start = clock.now() + timedelta(days=90)
    event = await client.post(
        f"{shop.office_path}/events",
        json={
            "name": "Carmen",
            "performances": [
                {
                    "starts_at": (start + timedelta(days=i)).isoformat(),
                    "ends_at": (start + timedelta(days=i, hours=3)).isoformat(),
                    "venue": "Grande salle",
                    "capacity": capacity,
                }
                for i in range(2)
            ],
            "price_categories": [{"name": "Zone 1", "price_minor": 4000}],
        },
        headers=shop.organizer.headers,
    )
    assert event.status_code == 201, event.text
    return [p["id"] for p in event.json()["performances"]]


async def create_pass(client: httpx.AsyncClient, shop: Shop, **body: Any) -> dict[str, Any]:
    response = await client.post(
        f"{shop.office_path}/passes",
        json={"name": "Abonnement saison", "price_minor": 18000} | body,
        headers=shop.organizer.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def sale_body(method: str = "cash", email: str = "jeanne@example.ch", **extra: Any) -> Any:
    body: dict[str, Any] = {
        "customer": {"name": "Jeanne Dupont", "email": email, "language": "fr"},
        "payment_method": method,
    }
    if method == "card":
        body["card_token"] = "tok_visa"
    return body | extra


async def sell_pass(
    client: httpx.AsyncClient,
    shop: Shop,
    pass_id: str,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    return await client.post(
        f"{shop.office_path}/passes/{pass_id}/sales",
        json=sale_body(**kwargs),
        headers=headers or shop.organizer.headers,
    )


async def sold_counts(
    client: httpx.AsyncClient, shop: Shop, event_id: str, headers: dict[str, str] | None = None
) -> list[int]:
    event = await client.get(
        f"{shop.office_path}/events/{event_id}", headers=headers or shop.organizer.headers
    )
    assert event.status_code == 200, event.text
    return [p["sold"] for p in event.json()["performances"]]


async def scan(
    client: httpx.AsyncClient, shop: Shop, performance_id: str, number: str
) -> dict[str, Any]:
    response = await client.post(
        f"{shop.office_path}/scans",
        json={"performance_id": performance_id, "ticket_number": number},
        headers=shop.organizer.headers,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_season_pass_takes_a_seat_on_every_performance_it_covers_at_its_own_price(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    carmen = await add_event(client, shop)
    season = await create_pass(
        client, shop, event_ids=[shop.event_id], performance_ids=[carmen[0]], currency="CHF"
    )
    assert (season["price_minor"], season["currency"], season["sold"]) == (18000, "CHF", 0)

    sold = await sell_pass(client, shop, season["id"], method="card")
    assert sold.status_code == 201, sold.text
    body = sold.json()
    assert (body["price_minor"], body["currency"], body["status"]) == (18000, "CHF", "valid")
    assert sorted(body["performance_ids"]) == sorted([*shop.performance_ids, carmen[0]])
    assert len(body["number"]) == 16
    assert await sold_counts(client, shop, shop.event_id) == [1, 1]
    assert await sold_counts(client, shop, await _event_of(client, shop)) == [1, 0]

    read = await client.get(
        f"{shop.office_path}/passes/{season['id']}", headers=shop.organizer.headers
    )
    assert read.json()["sold"] == 1
    listed = await client.get(
        f"{shop.office_path}/passes/{season['id']}/sales", headers=shop.organizer.headers
    )
    assert [row["number"] for row in listed.json()["data"]] == [body["number"]]
    async with db.sessionmaker() as session:
        mail = await session.scalar(
            select(MailMessage).where(MailMessage.template == "pass_confirmation")
        )
    assert mail is not None
    assert (mail.to_address, mail.language) == ("jeanne@example.ch", "fr")
    assert body["number"] in rendered(mail).text_body
    assert "180.00" in rendered(mail).text_body


async def _event_of(client: httpx.AsyncClient, shop: Shop) -> str:
    """The office's other event (Carmen)."""
    events = await client.get(f"{shop.office_path}/events", headers=shop.organizer.headers)
    return next(e["id"] for e in events.json()["data"] if e["id"] != shop.event_id)


async def test_a_pass_is_admitted_once_per_performance_and_refused_elsewhere_or_cancelled(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    carmen = await add_event(client, shop)
    season = await create_pass(client, shop, event_ids=[shop.event_id])
    number = (await sell_pass(client, shop, season["id"])).json()["number"]

    first = await scan(client, shop, shop.performance_ids[0], number.lower())
    assert (first["accepted"], first["result"], first["ticket_id"]) == (True, "valid", None)
    assert first["pass_id"] is not None
    again = await scan(client, shop, shop.performance_ids[0], number)
    assert (again["accepted"], again["result"]) == (False, "already_used")
    assert again["first_scanned_at"] is not None
    assert (await scan(client, shop, shop.performance_ids[1], number))["result"] == "valid"
    assert (await scan(client, shop, carmen[0], number))["result"] == "wrong_performance"
    ticket = (await sell(client, shop, method="cash", quantity=1))["tickets"][0]["number"]
    assert (await scan(client, shop, shop.performance_ids[0], ticket))["result"] == "valid"
    assert (await scan(client, shop, shop.performance_ids[0], ticket))["result"] == "already_used"

    sale_id = (
        await client.get(
            f"{shop.office_path}/passes/{season['id']}/sales", headers=shop.organizer.headers
        )
    ).json()["data"][0]["id"]
    cancel = f"{shop.office_path}/passes/{season['id']}/sales/{sale_id}/cancel"
    cancelled = await client.post(
        cancel, json={"reason": "Le client déménage."}, headers=shop.organizer.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    async with db.sessionmaker() as session:
        emitted = list(
            await session.scalars(
                select(DomainEvent.type).where(DomainEvent.type.startswith("ticket.pass_"))
            )
        )
    assert sorted(emitted) == ["ticket.pass_cancelled", "ticket.pass_sold"]
    assert await sold_counts(client, shop, shop.event_id) == [1, 0]  # the ticket's seat stays
    again_cancelled = await client.post(
        cancel, json={"reason": "x"}, headers=shop.organizer.headers
    )
    assert again_cancelled.json()["code"] == "pass_already_cancelled"
    assert (await scan(client, shop, shop.performance_ids[1], number))["result"] == "cancelled"


async def test_a_pass_covers_only_the_performances_still_to_come_when_sold(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    season = await create_pass(client, shop, event_ids=[shop.event_id])
    event = await client.get(
        f"{shop.office_path}/events/{shop.event_id}", headers=shop.organizer.headers
    )
    second_starts = event.json()["performances"][1]["starts_at"]
    with time_machine.travel(clock.now() + timedelta(days=60, hours=12), tick=False):
        headers = await fresh_headers(client, shop)
        sold = await sell_pass(client, shop, season["id"], headers=headers)
        assert sold.status_code == 201, sold.text
        assert sold.json()["performance_ids"] == [shop.performance_ids[1]]
        assert second_starts > clock.now().isoformat()
        assert await sold_counts(client, shop, shop.event_id, headers) == [0, 1]


async def test_a_pass_s_scope_price_and_payment_are_checked(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    other = await open_shop(client, db, organizer=shop.organizer)
    path = f"{shop.office_path}/passes"
    headers = shop.organizer.headers

    async def refused(body: dict[str, Any]) -> str:
        response = await client.post(
            path, json={"name": "x", "price_minor": 100} | body, headers=headers
        )
        assert response.status_code in (409, 422), response.text
        return response.json()["code"]  # type: ignore[no-any-return]

    assert await refused({}) == "pass_invalid"
    assert await refused({"event_ids": [other.event_id]}) == "pass_invalid"
    assert await refused({"performance_ids": [other.performance_ids[0]]}) == "pass_invalid"
    assert await refused({"event_ids": [shop.event_id], "currency": "EUR"}) == "currency_mismatch"

    season = await create_pass(client, shop, event_ids=[shop.event_id])
    invoice = await sell_pass(client, shop, season["id"], method="invoice")
    assert invoice.json()["code"] == "payment_method_not_offered"
    no_token = await sell_pass(client, shop, season["id"], method="card", card_token=None)
    assert no_token.json()["code"] == "card_token_required"
    off = await client.patch(
        f"{path}/{season['id']}", json={"on_sale": False, "price_minor": 20000}, headers=headers
    )
    assert off.status_code == 200, off.text
    assert (off.json()["on_sale"], off.json()["price_minor"]) == (False, 20000)
    assert (await sell_pass(client, shop, season["id"])).json()["code"] == "pass_not_on_sale"
    foreign = await client.get(f"{other.office_path}/passes/{season['id']}", headers=headers)
    assert foreign.json()["code"] == "pass_not_found"


async def test_a_full_performance_refuses_the_whole_pass(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=2, performances=2)
    season = await create_pass(client, shop, event_ids=[shop.event_id])
    await sell(client, shop, method="cash", quantity=2, performance=1)
    full = await sell_pass(client, shop, season["id"])
    assert full.status_code == 409
    assert full.json()["code"] == "sold_out"
    assert await sold_counts(client, shop, shop.event_id) == [0, 2]


async def test_50_buyers_racing_for_the_last_pass_seats_never_oversell(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, capacity=20, performances=2)
        season = await create_pass(client, shop, event_ids=[shop.event_id])
        await sell(client, shop, method="cash", quantity=10, performance=1)  # 10 seats left there

        async def buyer(i: int) -> int:
            response = await sell_pass(client, shop, season["id"], email=f"b{i}@example.ch")
            return response.status_code

        statuses = await asyncio.gather(*(buyer(i) for i in range(50)))
        assert statuses.count(201) == 10
        assert statuses.count(409) == 40
        assert await sold_counts(client, shop, shop.event_id) == [10, 20]
        read = await client.get(
            f"{shop.office_path}/passes/{season['id']}", headers=shop.organizer.headers
        )
        assert read.json()["sold"] == 10
        async with committed_db.sessionmaker() as session:
            mailed = await session.scalar(
                select(func.count()).where(MailMessage.template == "pass_confirmation")
            )
        assert mailed == 10


async def test_a_customer_buys_a_pass_on_sale_online_by_card(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    season = await create_pass(client, shop, event_ids=[shop.event_id])
    hidden = await create_pass(client, shop, event_ids=[shop.event_id], on_sale=False)
    listed = await client.get(f"/v1/shop/ticket-offices/{shop.office_id}/passes")
    assert listed.status_code == 200, listed.text
    assert [(p["id"], p["price_minor"], p["currency"]) for p in listed.json()["data"]] == [
        (season["id"], 18000, "CHF")
    ]
    assert sorted(listed.json()["data"][0]["performance_ids"]) == sorted(shop.performance_ids)

    cash = await client.post(f"/v1/shop/passes/{season['id']}/sales", json=sale_body("cash"))
    assert cash.json()["code"] == "payment_method_not_offered"
    off_sale = await client.post(f"/v1/shop/passes/{hidden['id']}/sales", json=sale_body("card"))
    assert (off_sale.status_code, off_sale.json()["code"]) == (404, "pass_not_found")
    bought = await client.post(f"/v1/shop/passes/{season['id']}/sales", json=sale_body("card"))
    assert bought.status_code == 201, bought.text
    assert (bought.json()["channel"], bought.json()["payment_method"]) == ("online", "card")
    assert await sold_counts(client, shop, shop.event_id) == [1, 1]
