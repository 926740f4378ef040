"""Customer forms: questions per event, answers checked at order time and shown in the order, its
webhook payload and the answers export."""

import csv
import io
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.core.db import Database
from app.events.models import DomainEvent
from app.ticketing import forms
from tests.ticketing.helpers import Shop, open_shop, order_body


async def ask(client: httpx.AsyncClient, shop: Shop, **body: Any) -> str:
    response = await client.post(
        f"{shop.office_path}/events/{shop.event_id}/questions",
        json=body,
        headers=shop.organizer.headers,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_answers_are_checked_kept_on_the_order_and_exported(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    company = await ask(client, shop, label="Company", kind="text")
    menu = await ask(
        client,
        shop,
        label="Menu",
        kind="choice",
        choices=["meat", "veggie"],
        required=True,
        per_ticket=True,
    )
    age = await ask(client, shop, label="Age", kind="number", per_ticket=True)
    born = await ask(client, shop, label="Visit date", kind="date")
    news = await ask(client, shop, label="Newsletter", kind="yes_no", required=True)
    bad_choice = await client.post(
        f"{shop.office_path}/events/{shop.event_id}/questions",
        json={"label": "x", "kind": "choice"},
        headers=shop.organizer.headers,
    )
    assert bad_choice.json()["code"] == "question_invalid"
    form = (await client.get(f"/v1/shop/events/{shop.event_id}/questions")).json()
    assert (form["next_cursor"], form["has_more"]) == (None, False)
    labels = ["Company", "Menu", "Age", "Visit date", "Newsletter"]
    assert [q["label"] for q in form["data"]] == labels
    managed = await client.get(
        f"{shop.office_path}/events/{shop.event_id}/questions", headers=shop.organizer.headers
    )
    assert managed.json() == form

    path = f"/v1/shop/events/{shop.event_id}/orders"
    missing = await client.post(path, json=order_body(shop, quantity=2))
    assert (missing.status_code, missing.json()["code"]) == (422, "answers_invalid")
    assert sorted(
        (p["question_id"], p["ticket"], p["problem"]) for p in missing.json()["answers"]
    ) == sorted([(menu, 0, "is required"), (menu, 1, "is required"), (news, None, "is required")])

    wrong = await client.post(
        path,
        json=order_body(
            shop,
            quantity=2,
            answers=[
                {"question_id": menu, "ticket": 0, "value": "fish"},
                {"question_id": menu, "value": "meat"},
                {"question_id": age, "ticket": 5, "value": 30},
                {"question_id": born, "value": "tomorrow"},
                {"question_id": news, "value": "yes"},
            ],
        ),
    )
    assert wrong.json()["code"] == "answers_invalid"
    assert {p["problem"] for p in wrong.json()["answers"]} >= {
        "is not one of the options",
        "expects a ticket position",
        "expects a date (YYYY-MM-DD)",
        "expects true or false",
    }

    answers = [
        {"question_id": company, "value": "Acme SA"},
        {"question_id": menu, "ticket": 0, "value": "meat"},
        {"question_id": menu, "ticket": 1, "value": "veggie"},
        {"question_id": age, "ticket": 1, "value": 12},
        {"question_id": born, "value": "2027-02-01"},
        {"question_id": news, "value": False},
    ]
    placed = await client.post(path, json=order_body(shop, quantity=2, answers=answers))
    assert placed.status_code == 201, placed.text
    order = placed.json()
    first, second = order["answers"][1]["ticket_number"], order["answers"][2]["ticket_number"]
    assert {first, second} == {ticket["number"] for ticket in order["tickets"]}
    assert [(a["question"], a["ticket_number"], a["value"]) for a in order["answers"]] == [
        ("Company", None, "Acme SA"),
        ("Menu", first, "meat"),
        ("Menu", second, "veggie"),
        ("Age", second, 12),
        ("Visit date", None, "2027-02-01"),
        ("Newsletter", None, False),
    ]
    async with db.sessionmaker() as session:
        event = await session.scalar(
            select(DomainEvent).where(
                DomainEvent.type == "order.created", DomainEvent.data["id"].astext == order["id"]
            )
        )
    assert event is not None
    assert event.data["answers"] == order["answers"]

    exported = await client.get(
        f"{shop.office_path}/events/{shop.event_id}/answers.csv", headers=shop.organizer.headers
    )
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 6
    assert rows[1] | {} == {
        "order": order["number"],
        "status": "paid",
        "customer_name": "Jeanne Dupont",
        "customer_email": "jeanne@example.ch",
        "ticket": first,
        "question": "Menu",
        "answer": "meat",
    }
    assert rows[5]["answer"] == "no"


async def test_an_event_without_a_form_takes_no_answers(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    plain = await client.post(f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop))
    assert plain.json()["answers"] == []
    stray = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders",
        json=order_body(shop, answers=[{"question_id": shop.event_id, "value": "x"}]),
    )
    assert stray.json()["answers"][0]["problem"] == "is not a question of this event"


async def test_a_form_holds_a_bounded_number_of_questions_listed_in_one_page(
    client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(forms, "MAX_QUESTIONS", 2)
    shop = await open_shop(client, db)
    await ask(client, shop, label="Menu", kind="choice", choices=["Viande", "Végétarien"])
    await ask(client, shop, label="Entreprise", kind="text")
    third = await client.post(
        f"{shop.office_path}/events/{shop.event_id}/questions",
        json={"label": "Âge", "kind": "number"},
        headers=shop.organizer.headers,
    )
    assert (third.status_code, third.json()["code"]) == (422, "question_invalid")
    form = (await client.get(f"/v1/shop/events/{shop.event_id}/questions")).json()
    assert [q["label"] for q in form["data"]] == ["Menu", "Entreprise"]
    assert (form["next_cursor"], form["has_more"]) == (None, False)
