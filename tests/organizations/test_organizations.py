"""Organizations: creating another, details, logo, billing addresses, deletion, activity log."""

import httpx
from sqlalchemy import select

from app.core.db import Database
from app.events.models import DomainEvent
from app.organizations.types import ProductType, Role
from tests.factories import PASSWORD, signed_in_user
from tests.organizations.helpers import (
    PNG,
    add_member,
    add_product,
    organization_with_roles,
    url,
)

PARIS = {"line1": "1 rue de Rivoli", "postal_code": "75001", "city": "Paris", "country": "FR"}
VADUZ = {"line1": "Städtle 1", "postal_code": "9490", "city": "Vaduz", "country": "LI"}


async def test_creating_another_organization_makes_the_caller_its_legal_representative(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    response = await client.post(
        "/v1/organizations",
        json={"name": "Bakery Sàrl", "kind": "company", "address": PARIS},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["role"], created["currency"], created["country"]) == (
        "legal_representative",
        "EUR",
        "FR",
    )
    mine = (await client.get("/v1/organizations", headers=user.headers)).json()["data"]
    assert {o["id"] for o in mine} == {created["id"], str(user.organization_id)}


async def test_only_legal_representatives_edit_details_and_the_country_sets_the_currency(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    refused = await client.patch(
        url(roster.organization_id), json={"name": "X"}, headers=roster.admin.headers
    )
    assert refused.status_code == 403
    for address, currency in ((PARIS, "EUR"), (VADUZ, "CHF")):
        response = await client.patch(
            url(roster.organization_id),
            json={"address": address, "kind": "association", "phone": "+41 22 000 00 00"},
            headers=roster.legal.headers,
        )
        assert response.status_code == 200, response.text
        assert (response.json()["currency"], response.json()["kind"]) == (currency, "association")
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(DomainEvent.type).where(
                    DomainEvent.organization_id == roster.organization_id
                )
            )
        )
    assert events.count("organization.updated") == 2
    activity = await client.get(
        url(roster.organization_id, "/activity"),
        params={"action": "organization.updated"},
        headers=roster.admin.headers,
    )
    entries = activity.json()["data"]
    assert len(entries) == 2
    assert entries[0]["actor_account_id"] == str(roster.legal.account_id)
    assert entries[0]["details"]["fields"] == ["address"]


async def test_logo_must_be_a_small_image(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    path = url(user.organization_id, "/logo")
    gif = await client.put(
        path, files={"file": ("a.gif", b"GIF89a" + b"\0" * 10)}, headers=user.headers
    )
    assert gif.json()["code"] == "logo_type_not_supported"
    big = await client.put(
        path, files={"file": ("a.png", PNG + b"\0" * (1024 * 1024))}, headers=user.headers
    )
    assert big.json()["code"] == "logo_too_large"
    assert (
        await client.put(path, files={"file": ("a.png", PNG)}, headers=user.headers)
    ).status_code == 204
    logo = await client.get(path, headers=user.headers)
    assert (logo.content, logo.headers["content-type"]) == (PNG, "image/png")
    assert (await client.get(url(user.organization_id), headers=user.headers)).json()["has_logo"]
    assert (await client.delete(path, headers=user.headers)).status_code == 204
    assert (await client.get(path, headers=user.headers)).status_code == 404


async def test_extra_billing_addresses(client: httpx.AsyncClient, db: Database) -> None:
    roster = await organization_with_roles(client, db)
    base = url(roster.organization_id, "/billing-addresses")
    body = {
        "label": "Accounting",
        "recipient": "ACME SA",
        "line1": "Rue du Lac 2",
        "postal_code": "1003",
        "city": "Lausanne",
        "country": "CH",
        "email": "billing@example.org",
    }
    assert (
        await client.post(base, json=body, headers=roster.collaborator.headers)
    ).status_code == 403
    created = await client.post(base, json=body, headers=roster.admin.headers)
    assert created.status_code == 201, created.text
    address_id = created.json()["id"]
    replaced = await client.put(
        f"{base}/{address_id}", json=body | {"city": "Morges"}, headers=roster.admin.headers
    )
    assert replaced.json()["city"] == "Morges"
    listed = await client.get(base, headers=roster.legal.headers)
    assert [a["id"] for a in listed.json()["data"]] == [address_id]
    assert (
        await client.delete(f"{base}/{address_id}", headers=roster.admin.headers)
    ).status_code == 204
    assert (
        await client.get(f"{base}/{address_id}", headers=roster.admin.headers)
    ).status_code == 404


async def test_deletion_is_refused_while_products_or_other_members_remain(
    client: httpx.AsyncClient, db: Database
) -> None:
    legal = await signed_in_user(client, db)
    other = await signed_in_user(client, db)
    created = await client.post(
        "/v1/organizations", json={"name": "Short-lived"}, headers=legal.headers
    )
    organization_id = created.json()["id"]
    path = f"/v1/organizations/{organization_id}/deletion"
    await add_product(db, organization_id, ProductType.web_hosting)
    await add_member(db, organization_id, other, Role.collaborator)

    wrong = await client.post(path, json={"password": "nope"}, headers=legal.headers)
    assert wrong.status_code == 403
    blocked = await client.post(path, json={"password": PASSWORD}, headers=legal.headers)
    assert blocked.status_code == 409
    assert blocked.json()["blockers"] == ["products", "other_members"]

    fresh = await client.post("/v1/organizations", json={"name": "Empty"}, headers=legal.headers)
    empty_id = fresh.json()["id"]
    deleted = await client.post(
        f"/v1/organizations/{empty_id}/deletion", json={"password": PASSWORD}, headers=legal.headers
    )
    assert deleted.status_code == 204
    assert (
        await client.get(f"/v1/organizations/{empty_id}", headers=legal.headers)
    ).status_code == 404
    mine = (await client.get("/v1/organizations", headers=legal.headers)).json()["data"]
    assert empty_id not in {o["id"] for o in mine}


async def test_activity_log_filters(client: httpx.AsyncClient, db: Database) -> None:
    roster = await organization_with_roles(client, db)
    await client.post(
        url(roster.organization_id, "/teams"), json={"name": "Ops"}, headers=roster.admin.headers
    )
    await client.patch(
        url(roster.organization_id, f"/members/{roster.external.account_id}"),
        json={"role": "collaborator"},
        headers=roster.legal.headers,
    )
    by_admin = await client.get(
        url(roster.organization_id, "/activity"),
        params={"actor_account_id": str(roster.admin.account_id)},
        headers=roster.legal.headers,
    )
    assert [e["action"] for e in by_admin.json()["data"]] == ["team.created"]
    about = await client.get(
        url(roster.organization_id, "/activity"),
        params={"account_id": str(roster.external.account_id), "action": "member."},
        headers=roster.legal.headers,
    )
    [entry] = about.json()["data"]
    assert entry["action"] == "member.role_changed"
    assert entry["details"] == {"from": "external", "to": "collaborator"}
    assert (
        await client.get(
            url(roster.organization_id, "/activity"), headers=roster.collaborator.headers
        )
    ).status_code == 403


async def test_personal_access_tokens_need_the_organizations_scopes(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    created = await client.post(
        "/v1/account/tokens",
        json={"name": "sync", "scopes": ["organizations:read"]},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['token']}"}
    assert (await client.get(url(user.organization_id), headers=headers)).status_code == 200
    refused = await client.patch(url(user.organization_id), json={"name": "X"}, headers=headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
