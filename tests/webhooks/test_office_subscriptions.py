"""Webhook subscriptions limited to one ticket office: managed by who holds the `technical` right
on it, fed only that office's events, invisible to a member without that right."""

import uuid
from typing import Any

import httpx

from app.core.db import Database
from app.core.settings import Settings
from app.organizations.types import ProductType
from tests.factories import User
from tests.organizations.helpers import Roster, add_product, organization_with_roles, url
from tests.webhooks.conftest import emit_event, run_worker
from tests.webhooks.receiver import Receiver

HOOK = "https://hooks.example.com/office"


def subscriptions(roster: Roster, path: str = "") -> str:
    return url(roster.organization_id, "/webhooks/subscriptions" + path)


async def grant(
    client: httpx.AsyncClient, roster: Roster, user: User, product_id: uuid.UUID, rights: list[str]
) -> None:
    response = await client.post(
        url(roster.organization_id, "/grants"),
        json={
            "account_id": str(user.account_id),
            "scope": "product",
            "product_id": str(product_id),
            "rights": rights,
        },
        headers=roster.admin.headers,
    )
    assert response.status_code == 201, response.text


async def subscribe(
    client: httpx.AsyncClient,
    roster: Roster,
    user: User,
    office: uuid.UUID | None,
    event_types: list[str],
    target_url: str = HOOK,
) -> httpx.Response:
    body: dict[str, Any] = {"target_url": target_url, "event_types": event_types}
    if office is not None:
        body["ticket_office_id"] = str(office)
    return await client.post(subscriptions(roster), json=body, headers=user.headers)


async def test_the_technical_right_on_an_office_manages_that_offices_subscriptions_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    theatre = (await add_product(db, roster.organization_id, ProductType.ticket_office, "A")).id
    opera = (await add_product(db, roster.organization_id, ProductType.ticket_office, "B")).id
    technician = roster.collaborator
    await grant(client, roster, technician, theatre, ["technical", "sell"])
    await grant(client, roster, technician, opera, ["use", "sell"])

    own = await subscribe(client, roster, technician, theatre, ["order.*"])
    assert own.status_code == 201, own.text
    assert own.json()["ticket_office_id"] == str(theatre)
    wide = await subscribe(client, roster, technician, None, ["order.*"])
    assert (wide.status_code, wide.json()["code"]) == (403, "role_forbidden")
    lacking = await subscribe(client, roster, technician, opera, ["order.*"])
    assert (lacking.status_code, lacking.json()["code"]) == (403, "product_right_missing")
    unseen = await subscribe(client, roster, roster.external, theatre, ["order.*"])
    assert (unseen.status_code, unseen.json()["code"]) == (403, "role_forbidden")

    by_manager = {
        name: (await subscribe(client, roster, roster.admin, office, ["order.*"])).json()["id"]
        for name, office in (("wide", None), ("opera", opera))
    }
    listed = await client.get(subscriptions(roster), headers=technician.headers)
    assert [item["id"] for item in listed.json()["data"]] == [own.json()["id"]]
    everything = await client.get(subscriptions(roster), headers=roster.admin.headers)
    assert len(everything.json()["data"]) == 3

    opera_url = subscriptions(roster, f"/{by_manager['opera']}")
    for method in ("GET", "PATCH", "DELETE"):
        hidden = await client.request(
            method, opera_url, json={"active": False}, headers=technician.headers
        )
        assert (hidden.status_code, hidden.json()["code"]) == (
            404,
            "webhook_subscription_not_found",
        )
    refused = await client.get(
        subscriptions(roster, f"/{by_manager['wide']}"), headers=technician.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "role_forbidden")

    own_url = subscriptions(roster, f"/{own.json()['id']}")
    paused = await client.patch(own_url, json={"active": False}, headers=technician.headers)
    assert (paused.status_code, paused.json()["active"]) == (200, False)
    rotated = await client.post(own_url + "/secret/rotate", headers=technician.headers)
    assert rotated.status_code == 200, rotated.text
    assert (await client.delete(own_url, headers=technician.headers)).status_code == 204
    # The office's subscriptions stay the managers' too.
    assert (await client.delete(opera_url, headers=roster.admin.headers)).status_code == 204


async def test_an_office_subscription_names_only_that_offices_types_its_creator_reads(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    office = (await add_product(db, roster.organization_id, ProductType.ticket_office, "A")).id
    drive = (await add_product(db, roster.organization_id, ProductType.drive, "Drive")).id
    technician = roster.collaborator
    await grant(client, roster, technician, office, ["technical", "sell"])
    await grant(client, roster, technician, drive, ["technical"])

    billing = await subscribe(client, roster, technician, office, ["order.paid", "invoice.*"])
    assert billing.status_code == 422
    assert billing.json()["code"] == "event_type_not_of_ticket_office"
    assert billing.json()["event_types"] == ["invoice.*"]
    scans = await subscribe(client, roster, technician, office, ["ticket.*"])
    assert (scans.status_code, scans.json()["code"]) == (403, "event_type_not_readable")
    assert scans.json()["event_types"] == ["ticket.scanned"]
    not_an_office = await subscribe(client, roster, technician, drive, ["product.locked"])
    assert (not_an_office.status_code, not_an_office.json()["code"]) == (
        422,
        "not_a_ticket_office",
    )
    # Even a manager, who reads everything, names only the office's types.
    managed = await subscribe(client, roster, roster.admin, office, ["member.added"])
    assert managed.json()["code"] == "event_type_not_of_ticket_office"

    # `*` selects the office's types among all: every one of them needs its right.
    everything = await subscribe(client, roster, technician, office, ["*"])
    assert everything.json()["event_types"] == ["ticket.scanned"]
    await grant(client, roster, technician, office, ["technical", "sell", "check"])
    created = await subscribe(client, roster, technician, office, ["*"])
    assert created.status_code == 201, created.text
    widened = await client.patch(
        subscriptions(roster, f"/{created.json()['id']}"),
        json={"event_types": ["order.*", "prepaid.*"]},
        headers=technician.headers,
    )
    assert widened.json()["code"] == "event_type_not_of_ticket_office"


async def test_an_office_subscription_receives_only_that_offices_events(
    client: httpx.AsyncClient, db: Database, settings: Settings, receiver: Receiver
) -> None:
    roster = await organization_with_roles(client, db)
    office = (await add_product(db, roster.organization_id, ProductType.ticket_office, "A")).id
    other = (await add_product(db, roster.organization_id, ProductType.ticket_office, "B")).id
    technician = roster.collaborator
    await grant(client, roster, technician, office, ["technical", "sell", "check"])
    limited = await subscribe(
        client, roster, technician, office, ["*"], target_url=receiver.url + "/office"
    )
    assert limited.status_code == 201, limited.text
    wide = await subscribe(
        client, roster, roster.admin, None, ["order.*"], target_url=receiver.url + "/all"
    )
    assert wide.status_code == 201, wide.text

    ours = await emit_event(db, roster.organization_id, "order.paid", ticket_office_id=str(office))
    theirs = await emit_event(db, roster.organization_id, "order.paid", ticket_office_id=str(other))
    await emit_event(db, roster.organization_id, "member.added")
    await emit_event(db, roster.organization_id, "product.locked", id=str(office))
    await run_worker(db, settings)

    received = {(request.path, request.json["type"]) for request in receiver.received}
    assert received == {
        ("/office", "order.paid"),
        ("/office", "product.locked"),
        ("/all", "order.paid"),
    }
    to_office = [r.json["id"] for r in receiver.received if r.path == "/office"]
    assert str(ours) in to_office
    assert str(theirs) not in to_office
    redelivered = await client.post(
        subscriptions(roster, f"/{limited.json()['id']}/events/{theirs}/redeliver"),
        headers=technician.headers,
    )
    assert (redelivered.status_code, redelivered.json()["code"]) == (404, "event_not_found")
    again = await client.post(
        subscriptions(roster, f"/{limited.json()['id']}/events/{ours}/redeliver"),
        headers=technician.headers,
    )
    assert again.status_code == 202, again.text
