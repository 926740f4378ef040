"""The event feed and subscriptions show a caller only the events of what it may read: every
event type, walked against every role and grant, is visible exactly when the caller may read
the object it describes through the REST API."""

import uuid

import httpx
import pytest
from sqlalchemy import delete

from app.core.db import Database
from app.core.ratelimit import RateLimitCounter
from app.events.catalog import EVENT_TYPES
from app.organizations.types import Role
from app.webhooks.visibility import RULES
from tests.factories import User, signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import add_member, url
from tests.organizations.test_partners import accept, invited
from tests.webhooks.conftest import emit_event


def test_every_event_type_has_a_reading_rule() -> None:
    assert set(RULES) == set(EVENT_TYPES)


def _object_of(type: str) -> str:
    """What an event of ``type`` describes, as the test reads it through the API."""
    if type.startswith(("organization.", "security.")):
        return "organization"
    if type.startswith(("service_request.", "intervention.", "quote.")):
        return "partner_services"
    if type.startswith("partner_invoice."):
        return "partner_invoices"
    if type in {"product.created", "product.locked", "product.unlocked"}:
        return "product"
    if type == "ticket.scanned":
        return "ticket_control"
    if type.startswith(("order.", "ticket.")):
        return "orders"
    if type.startswith(
        ("invoice.", "payment.", "prepaid.", "billing_order.", "product.", "affiliate.")
    ):
        return "billing"
    return "members"


async def _reads(
    client: httpx.AsyncClient, organization_id: uuid.UUID, office: uuid.UUID, user: User
) -> set[str]:
    """The objects ``user`` may read in the organization, asked of the API itself."""
    paths = {
        "organization": "",
        "members": "/members",
        "billing": "/invoices",
        "product": f"/products/{office}",
        "orders": f"/ticket-offices/{office}/orders",
        "partner_services": "/partner-services/requests",
        "partner_invoices": "/partner-services/invoices",
    }
    readable = {
        name
        for name, path in paths.items()
        if (await client.get(url(organization_id, path), headers=user.headers)).status_code == 200
    }
    rights = await client.get(url(organization_id, "/my-rights"), headers=user.headers)
    if rights.status_code == 200 and any(
        row["product_id"] == str(office) and "check" in row["rights"]
        for row in rights.json()["data"]
    ):
        readable.add("ticket_control")
    return readable


async def _office(
    client: httpx.AsyncClient, organization_id: uuid.UUID, by: User, name: str
) -> uuid.UUID:
    created = await client.post(
        url(organization_id, "/ticket-offices"), json={"name": name}, headers=by.headers
    )
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


async def _forget_rate_limits(db: Database) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(delete(RateLimitCounter))


async def _grant(
    client: httpx.AsyncClient, organization_id: uuid.UUID, by: User, to: User, **body: object
) -> None:
    response = await client.post(
        url(organization_id, "/grants"),
        json={"account_id": str(to.account_id), "scope": "product"} | body,
        headers=by.headers,
    )
    assert response.status_code == 201, response.text


async def _feed_types(
    client: httpx.AsyncClient, organization_id: uuid.UUID, user: User, among: set[str]
) -> set[str]:
    """The types of the events ``among`` (ids) that ``user`` finds in the feed."""
    response = await client.get(
        url(organization_id, "/events"), params={"limit": 100}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert not response.json()["has_more"]
    return {event["type"] for event in response.json()["data"] if event["id"] in among}


async def test_every_event_type_is_visible_only_to_who_reads_its_object(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    p = await invited(client, db, mailbox)
    assert (await accept(client, p, {"access_type": "full"})).status_code == 201
    organization_id, legal = p.client_id, p.client_legal
    office = await _office(client, organization_id, legal, "Box")
    other_office = await _office(client, organization_id, legal, "Other")
    callers: dict[str, User] = {"legal": legal, "admin": p.client_admin}
    await _forget_rate_limits(db)  # more sign-ups from one address than an hour allows
    for name, role in [
        ("collaborator", Role.collaborator),
        ("external", Role.external),
        ("user", Role.collaborator),
        ("seller", Role.collaborator),
        ("controller", Role.external),
        ("seller_elsewhere", Role.collaborator),
    ]:
        callers[name] = await signed_in_user(client, db)
        await add_member(db, organization_id, callers[name], role)
    await _grant(
        client, organization_id, legal, callers["user"], product_id=str(office), rights=["use"]
    )
    await _grant(
        client, organization_id, legal, callers["seller"], product_id=str(office), rights=["sell"]
    )
    await _grant(
        client,
        organization_id,
        legal,
        callers["controller"],
        product_id=str(office),
        rights=["check"],
    )
    await _grant(
        client,
        organization_id,
        legal,
        callers["seller_elsewhere"],
        product_id=str(other_office),
        rights=["sell", "check", "use"],
    )
    callers["partner_staff"] = p.partner_admin  # full access, billing not included
    emitted = {
        str(
            await emit_event(
                db, organization_id, type, id=str(office), ticket_office_id=str(office)
            )
        )
        for type in EVENT_TYPES
    }

    wrong = []
    for name, user in callers.items():
        reads = await _reads(client, organization_id, office, user)
        expected = {type for type in EVENT_TYPES if _object_of(type) in reads}
        seen = await _feed_types(client, organization_id, user, emitted)
        if seen != expected:
            wrong.append(
                f"{name}: sees {sorted(seen - expected)}, misses {sorted(expected - seen)}"
            )
    assert not wrong, "\n".join(wrong)
    # The walk covered both ends: someone reads everything, someone only the organization.
    assert await _feed_types(client, organization_id, legal, emitted) == set(EVENT_TYPES)
    assert await _feed_types(client, organization_id, callers["collaborator"], emitted) == {
        type for type in EVENT_TYPES if _object_of(type) in {"organization", "partner_services"}
    }


@pytest.mark.parametrize(
    ("event_types", "status"),
    [(["*"], 403), (["invoice.*"], 403), (["member.*", "order.*"], 201)],
)
async def test_a_subscription_names_only_types_its_creator_reads(
    client: httpx.AsyncClient,
    db: Database,
    mailbox: Mailbox,
    event_types: list[str],
    status: int,
) -> None:
    p = await invited(client, db, mailbox)
    assert (await accept(client, p, {"access_type": "full"})).status_code == 201
    body = {"target_url": "https://hooks.example.com/in", "event_types": event_types}
    subscriptions = url(p.client_id, "/webhooks/subscriptions")
    response = await client.post(subscriptions, json=body, headers=p.partner_admin.headers)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["code"] == "event_type_not_readable"
        assert "invoice.issued" in response.json()["event_types"]
    # The client's own administrator handles billing: it may subscribe to everything.
    body = {"target_url": "https://hooks.example.com/all", "event_types": ["*"]}
    assert (
        await client.post(subscriptions, json=body, headers=p.client_admin.headers)
    ).status_code == 201
