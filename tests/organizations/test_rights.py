"""Product rights: grants per product and per type, teams, full access, the management lock, and
the permission functions other packages guard their routes with."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.accounts.deps import Principal
from app.accounts.models import Account
from app.core.db import Database
from app.core.errors import Forbidden, NotFound
from app.organizations.permissions import product_with_right, resolve_access
from app.organizations.types import ProductRight, ProductType
from tests.factories import User
from tests.mail import Mailbox
from tests.organizations.helpers import Roster, add_product, organization_with_roles, url


async def grant(
    client: httpx.AsyncClient, roster: Roster, body: dict[str, Any], by: User | None = None
) -> httpx.Response:
    return await client.post(
        url(roster.organization_id, "/grants"), json=body, headers=(by or roster.admin).headers
    )


async def my_rights(client: httpx.AsyncClient, roster: Roster, user: User) -> dict[str, list[str]]:
    response = await client.get(url(roster.organization_id, "/my-rights"), headers=user.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["next_cursor"] is None
    assert page["has_more"] is False
    return {row["product_id"]: row["rights"] for row in page["data"]}


async def test_a_collaborator_cannot_grant_rights(client: httpx.AsyncClient, db: Database) -> None:
    roster = await organization_with_roles(client, db)
    product = await add_product(db, roster.organization_id)
    body = {
        "account_id": str(roster.collaborator.account_id),
        "scope": "product",
        "product_id": str(product.id),
        "rights": ["use", "manage"],
    }
    for user in (roster.collaborator, roster.external):
        response = await grant(client, roster, body, by=user)
        assert response.status_code == 403
        assert response.json()["code"] == "role_forbidden"
    assert await my_rights(client, roster, roster.collaborator) == {}


async def test_a_product_grant_shows_that_product_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    drive = await add_product(db, roster.organization_id, ProductType.drive, "Drive")
    mail = await add_product(db, roster.organization_id, ProductType.mail_service, "Mail")
    response = await grant(
        client,
        roster,
        {
            "account_id": str(roster.collaborator.account_id),
            "scope": "product",
            "product_id": str(drive.id),
            "rights": ["use"],
        },
    )
    assert response.status_code == 201, response.text
    headers = roster.collaborator.headers
    listed = await client.get(url(roster.organization_id, "/products"), headers=headers)
    assert [(p["id"], p["my_rights"]) for p in listed.json()["data"]] == [(str(drive.id), ["use"])]
    assert (
        await client.get(url(roster.organization_id, f"/products/{mail.id}"), headers=headers)
    ).status_code == 404
    everything = await client.get(
        url(roster.organization_id, "/products"), headers=roster.admin.headers
    )
    assert len(everything.json()["data"]) == 2


async def test_a_type_grant_covers_later_products_only_when_asked(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    early = await add_product(db, roster.organization_id, ProductType.domain, "example.ch")
    for user, include_future in ((roster.collaborator, False), (roster.external, True)):
        response = await grant(
            client,
            roster,
            {
                "account_id": str(user.account_id),
                "scope": "product_type",
                "product_type": "domain",
                "include_future": include_future,
                "rights": ["use", "technical"],
            },
        )
        assert response.status_code == 201, response.text
    late = await add_product(db, roster.organization_id, ProductType.domain, "example.org")
    other = await add_product(db, roster.organization_id, ProductType.drive, "Drive")
    assert await my_rights(client, roster, roster.collaborator) == {
        str(early.id): ["use", "technical"]
    }
    assert await my_rights(client, roster, roster.external) == {
        str(early.id): ["use", "technical"],
        str(late.id): ["use", "technical"],
    }
    assert str(other.id) not in await my_rights(client, roster, roster.external)


async def test_a_member_holds_the_union_of_its_own_and_its_teams_rights_from_the_next_request(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    office = await add_product(db, roster.organization_id, ProductType.ticket_office, "Theatre")
    member = roster.collaborator
    await grant(
        client,
        roster,
        {
            "account_id": str(member.account_id),
            "scope": "product",
            "product_id": str(office.id),
            "rights": ["use"],
        },
    )
    team = await client.post(
        url(roster.organization_id, "/teams"),
        json={"name": "Box office"},
        headers=roster.admin.headers,
    )
    team_id = team.json()["id"]
    await grant(
        client,
        roster,
        {
            "team_id": team_id,
            "scope": "product_type",
            "product_type": "ticket_office",
            "rights": ["sell", "check"],
        },
    )
    assert await my_rights(client, roster, member) == {str(office.id): ["use"]}

    added = await client.post(
        url(roster.organization_id, f"/teams/{team_id}/members"),
        json={"account_id": str(member.account_id)},
        headers=roster.admin.headers,
    )
    assert added.json()["member_ids"] == [str(member.account_id)]
    assert await my_rights(client, roster, member) == {str(office.id): ["use", "sell", "check"]}
    listed = await client.get(
        url(roster.organization_id, f"/members/{member.account_id}/rights"),
        headers=roster.legal.headers,
    )
    assert listed.json() == {
        "data": [
            {
                "product_id": str(office.id),
                "product_name": "Theatre",
                "product_type": "ticket_office",
                "rights": ["use", "sell", "check"],
            }
        ],
        "next_cursor": None,
        "has_more": False,
    }

    removed = await client.delete(
        url(roster.organization_id, f"/teams/{team_id}/members/{member.account_id}"),
        headers=roster.admin.headers,
    )
    assert removed.status_code == 204
    assert await my_rights(client, roster, member) == {str(office.id): ["use"]}


async def test_full_access_in_one_call_gives_each_product_the_rights_it_has(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    office = await add_product(db, roster.organization_id, ProductType.ticket_office, "Theatre")
    response = await client.post(
        url(roster.organization_id, "/grants/full-access"),
        json={"account_id": str(roster.external.account_id)},
        headers=roster.legal.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["scope"] == "all"
    drive = await add_product(db, roster.organization_id, ProductType.drive, "Later drive")
    assert await my_rights(client, roster, roster.external) == {
        str(office.id): ["use", "manage", "technical", "statistics", "sell", "check"],
        str(drive.id): ["use", "manage", "technical", "statistics"],
    }


async def test_sell_and_check_exist_for_ticket_offices_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    drive = await add_product(db, roster.organization_id, ProductType.drive, "Drive")
    for target in (
        {"scope": "product", "product_id": str(drive.id)},
        {"scope": "product_type", "product_type": "drive"},
    ):
        response = await grant(
            client,
            roster,
            {"account_id": str(roster.collaborator.account_id), "rights": ["use", "sell"]} | target,
        )
        assert response.status_code == 422
        assert response.json()["code"] == "right_not_applicable"


async def test_changing_and_revoking_a_grant_applies_on_the_next_request(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    drive = await add_product(db, roster.organization_id, ProductType.drive, "Drive")
    body = {
        "account_id": str(roster.collaborator.account_id),
        "scope": "product",
        "product_id": str(drive.id),
        "rights": ["use"],
    }
    grant_id = (await grant(client, roster, body)).json()["id"]
    replaced = await grant(client, roster, body | {"rights": ["use", "statistics"]})
    assert replaced.json()["id"] == grant_id
    assert await my_rights(client, roster, roster.collaborator) == {
        str(drive.id): ["use", "statistics"]
    }
    revoked = await client.delete(
        url(roster.organization_id, f"/grants/{grant_id}"), headers=roster.admin.headers
    )
    assert revoked.status_code == 204
    assert await my_rights(client, roster, roster.collaborator) == {}


async def test_a_locked_product_loses_manage_for_collaborators_and_members_are_mailed(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    roster = await organization_with_roles(client, db)
    drive = await add_product(db, roster.organization_id, ProductType.drive, "Team drive")
    await grant(
        client,
        roster,
        {
            "account_id": str(roster.collaborator.account_id),
            "scope": "product",
            "product_id": str(drive.id),
            "rights": ["use", "manage"],
        },
    )
    by_collaborator = await client.post(
        url(roster.organization_id, f"/products/{drive.id}/lock"),
        headers=roster.collaborator.headers,
    )
    assert by_collaborator.status_code == 403
    locked = await client.post(
        url(roster.organization_id, f"/products/{drive.id}/lock"), headers=roster.admin.headers
    )
    assert locked.status_code == 200, locked.text
    assert locked.json()["management_locked"] is True
    assert locked.json()["my_rights"] == ["use", "manage", "technical", "statistics"]
    assert await my_rights(client, roster, roster.collaborator) == {str(drive.id): ["use"]}
    await mailbox.deliver(db.sessionmaker)
    for user in (roster.legal, roster.admin, roster.collaborator):
        assert "Team drive" in mailbox.last_to(user.email)["Subject"]
    # The external holds no grant on the drive: no organization-wide notice for it.
    assert not [
        message
        for message in mailbox.messages_to(roster.external.email)
        if "Team drive" in message["Subject"]
    ]

    again = await client.post(
        url(roster.organization_id, f"/products/{drive.id}/lock"), headers=roster.admin.headers
    )
    assert again.status_code == 409
    unlocked = await client.post(
        url(roster.organization_id, f"/products/{drive.id}/unlock"), headers=roster.legal.headers
    )
    assert unlocked.status_code == 200
    assert await my_rights(client, roster, roster.collaborator) == {
        str(drive.id): ["use", "manage"]
    }


async def test_product_with_right_answers_what_ticketing_asks(
    client: httpx.AsyncClient, db: Database
) -> None:
    """404 for a product the caller cannot see, 403 for a right it lacks on one it sees."""
    roster = await organization_with_roles(client, db)
    office = await add_product(db, roster.organization_id, ProductType.ticket_office, "Theatre")
    await grant(
        client,
        roster,
        {
            "account_id": str(roster.collaborator.account_id),
            "scope": "product",
            "product_id": str(office.id),
            "rights": ["check"],
        },
    )
    async with db.sessionmaker() as session:

        async def access_of(user: User) -> Any:
            account = await session.scalar(select(Account).where(Account.id == user.account_id))
            assert account is not None
            return await resolve_access(
                session, roster.organization_id, Principal(account, None, None)
            )

        collaborator = await access_of(roster.collaborator)
        found = await product_with_right(session, collaborator, office.id, ProductRight.check)
        assert found.id == office.id
        with pytest.raises(Forbidden):
            await product_with_right(session, collaborator, office.id, ProductRight.sell)
        external = await access_of(roster.external)
        with pytest.raises(NotFound):
            await product_with_right(session, external, office.id, ProductRight.check)
        administrator = await access_of(roster.admin)
        assert await product_with_right(session, administrator, office.id, ProductRight.sell)
        with pytest.raises(NotFound):
            await product_with_right(session, administrator, uuid.uuid4(), ProductRight.use)


async def test_technical_right_gates_a_ticket_office_payment_methods_and_statistics_its_reports(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    created = await client.post(
        url(roster.organization_id, "/ticket-offices"),
        json={"name": "Théâtre"},
        headers=roster.admin.headers,
    )
    assert created.status_code == 201, created.text
    office_id = created.json()["id"]
    settings = url(roster.organization_id, f"/ticket-offices/{office_id}")
    body = {"payment_methods": ["card"]}
    granted = await grant(
        client,
        roster,
        {
            "account_id": str(roster.collaborator.account_id),
            "scope": "product",
            "product_id": office_id,
            "rights": ["use", "manage", "statistics"],
        },
    )
    assert granted.status_code == 201, granted.text
    grant_id = granted.json()["id"]
    managing_only = await client.patch(settings, json=body, headers=roster.collaborator.headers)
    assert managing_only.status_code == 403
    assert managing_only.json()["code"] == "product_right_missing"
    event = await client.post(
        f"{settings}/events",
        json={
            "name": "Concert",
            "performances": [
                {
                    "starts_at": "2031-03-01T19:30:00+01:00",
                    "ends_at": "2031-03-01T22:00:00+01:00",
                    "venue": "Salle",
                    "capacity": 10,
                }
            ],
            "price_categories": [{"name": "Standard", "price_minor": 2000}],
        },
        headers=roster.collaborator.headers,
    )
    assert event.status_code == 201, event.text
    report = await client.get(
        f"{settings}/events/{event.json()['id']}/report", headers=roster.collaborator.headers
    )
    assert report.status_code == 200, report.text

    changed = await client.patch(
        url(roster.organization_id, f"/grants/{grant_id}"),
        json={"rights": ["use", "technical"]},
        headers=roster.admin.headers,
    )
    assert changed.status_code == 200, changed.text
    technical = await client.patch(settings, json=body, headers=roster.collaborator.headers)
    assert technical.status_code == 200, technical.text
    assert technical.json()["payment_methods"] == ["card"]
    no_statistics = await client.get(
        f"{settings}/events/{event.json()['id']}/report", headers=roster.collaborator.headers
    )
    assert no_statistics.status_code == 403
    by_admin = await client.patch(settings, json=body, headers=roster.admin.headers)
    assert by_admin.status_code == 200
