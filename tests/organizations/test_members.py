"""Members: invitations, roles, removal, leaving and legal representation."""

import asyncio
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import func, select

from app.activity.models import ActivityEntry
from app.core.db import Database
from app.core.settings import Settings
from app.events.models import DomainEvent
from app.main import create_app
from app.organizations import service
from app.organizations.models import Grant, Membership
from app.organizations.types import Role
from tests.factories import PASSWORD, enable_two_factor, log_in, signed_in_user, unique_email
from tests.mail import Mailbox
from tests.organizations.helpers import add_member, add_product, organization_with_roles, url


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


async def invitation_token(mailbox: Mailbox, db: Database, email: str) -> str:
    await mailbox.deliver(db.sessionmaker)
    message = mailbox.last_to(email)
    [link] = [link for link in mailbox.links(message) if "/invitations/accept" in link]
    return token_of(link)


async def test_an_existing_account_joins_by_accepting_the_mailed_invitation(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    roster = await organization_with_roles(client, db)
    guest = await signed_in_user(client, db)
    response = await client.post(
        url(roster.organization_id, "/invitations"),
        json={"email": guest.email.upper(), "role": "collaborator"},
        headers=roster.admin.headers,
    )
    assert response.status_code == 201, response.text
    token = await invitation_token(mailbox, db, guest.email)
    assert "collaborator" in mailbox.text(mailbox.last_to(guest.email))

    preview = await client.post("/v1/invitations/preview", json={"token": token})
    assert preview.json()["account_exists"] is True

    someone_else = await client.post(
        "/v1/invitations/accept", json={"token": token}, headers=roster.outsider.headers
    )
    assert someone_else.status_code == 403
    assert someone_else.json()["code"] == "invitation_for_another_address"

    accepted = await client.post(
        "/v1/invitations/accept", json={"token": token}, headers=guest.headers
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "collaborator"
    mine = await client.get(url(roster.organization_id), headers=guest.headers)
    assert mine.json()["role"] == "collaborator"

    again = await client.post(
        "/v1/invitations/accept", json={"token": token}, headers=guest.headers
    )
    assert again.status_code == 400
    async with db.sessionmaker() as session:
        events = await session.scalar(
            select(func.count()).where(
                DomainEvent.type == "member.added",
                DomainEvent.organization_id == roster.organization_id,
                DomainEvent.account_id == guest.account_id,
            )
        )
    assert events == 1


async def test_a_new_address_gets_its_account_on_acceptance_with_no_organization_of_its_own(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    legal = await signed_in_user(client, db)
    email = unique_email("newcomer")
    await client.post(
        url(legal.organization_id, "/invitations"),
        json={"email": email, "role": "external"},
        headers=legal.headers,
    )
    token = await invitation_token(mailbox, db, email)
    preview = await client.post("/v1/invitations/preview", json={"token": token})
    assert preview.json() | {"expires_at": None} == {
        "organization_id": str(legal.organization_id),
        "organization_name": "Ada Lovelace",
        "email": email,
        "role": "external",
        "account_exists": False,
        "expires_at": None,
    }

    response = await client.post(
        "/v1/invitations/accept-with-sign-up",
        json={"token": token, "first_name": "Grace", "last_name": "Hopper", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text

    login = await log_in(client, email)
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.json()['tokens']['access_token']}"}
    account = (await client.get("/v1/account", headers=headers)).json()
    assert account["email_confirmed"] is True
    organizations = (await client.get("/v1/organizations", headers=headers)).json()["data"]
    assert [(o["id"], o["role"]) for o in organizations] == [
        (str(legal.organization_id), "external")
    ]


async def test_only_a_legal_representative_invites_or_makes_a_legal_representative(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    invitation = {"email": unique_email(), "role": "legal_representative"}
    by_admin = await client.post(
        url(roster.organization_id, "/invitations"), json=invitation, headers=roster.admin.headers
    )
    assert by_admin.status_code == 403
    promote = await client.patch(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}"),
        json={"role": "legal_representative"},
        headers=roster.admin.headers,
    )
    assert promote.status_code == 403
    by_legal = await client.patch(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}"),
        json={"role": "legal_representative"},
        headers=roster.legal.headers,
    )
    assert by_legal.status_code == 200
    assert by_legal.json()["role"] == "legal_representative"
    demote_by_admin = await client.patch(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}"),
        json={"role": "collaborator"},
        headers=roster.admin.headers,
    )
    assert demote_by_admin.status_code == 403


async def test_the_last_legal_representative_cannot_be_removed_demoted_or_leave(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    legal_id = roster.legal.account_id
    demote = await client.patch(
        url(roster.organization_id, f"/members/{legal_id}"),
        json={"role": "administrator"},
        headers=roster.legal.headers,
    )
    leave = await client.post(url(roster.organization_id, "/leave"), headers=roster.legal.headers)
    remove = await client.post(
        url(roster.organization_id, f"/members/{legal_id}/removal"),
        json={"password": PASSWORD},
        headers=roster.legal.headers,
    )
    by_admin = await client.post(
        url(roster.organization_id, f"/members/{legal_id}/removal"),
        json={"password": PASSWORD},
        headers=roster.admin.headers,
    )
    assert [r.status_code for r in (demote, leave, remove)] == [409, 409, 409]
    assert {r.json()["code"] for r in (demote, leave, remove)} == {"last_legal_representative"}
    assert by_admin.status_code == 403

    # With a second legal representative, the first may go.
    await client.patch(
        url(roster.organization_id, f"/members/{roster.admin.account_id}"),
        json={"role": "legal_representative"},
        headers=roster.legal.headers,
    )
    leave = await client.post(url(roster.organization_id, "/leave"), headers=roster.legal.headers)
    assert leave.status_code == 204
    gone = await client.get(url(roster.organization_id), headers=roster.legal.headers)
    assert gone.status_code == 404


async def test_removing_a_member_needs_the_password_and_takes_its_grants(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    product = await add_product(db, roster.organization_id)
    target = roster.collaborator.account_id
    await client.post(
        url(roster.organization_id, "/grants"),
        json={
            "account_id": str(target),
            "scope": "product",
            "product_id": str(product.id),
            "rights": ["use"],
        },
        headers=roster.admin.headers,
    )
    wrong = await client.post(
        url(roster.organization_id, f"/members/{target}/removal"),
        json={"password": "not the password"},
        headers=roster.admin.headers,
    )
    assert wrong.status_code == 403
    assert wrong.json()["code"] == "wrong_password"
    by_collaborator = await client.post(
        url(roster.organization_id, f"/members/{roster.external.account_id}/removal"),
        json={"password": PASSWORD},
        headers=roster.collaborator.headers,
    )
    assert by_collaborator.status_code == 403

    removed = await client.post(
        url(roster.organization_id, f"/members/{target}/removal"),
        json={"password": PASSWORD},
        headers=roster.admin.headers,
    )
    assert removed.status_code == 204
    assert (
        await client.get(url(roster.organization_id), headers=roster.collaborator.headers)
    ).status_code == 404
    async with db.sessionmaker() as session:
        grants = await session.scalar(select(func.count()).where(Grant.account_id == target))
        entry = await session.scalar(
            select(ActivityEntry).where(
                ActivityEntry.organization_id == roster.organization_id,
                ActivityEntry.action == "member.removed",
            )
        )
    assert grants == 0
    assert entry is not None
    assert entry.account_id == target
    assert entry.actor_account_id == roster.admin.account_id
    assert entry.actor_organization_id == roster.organization_id


async def test_handing_over_legal_representation(client: httpx.AsyncClient, db: Database) -> None:
    roster = await organization_with_roles(client, db)
    response = await client.post(
        url(roster.organization_id, "/legal-representation/handover"),
        json={"account_id": str(roster.collaborator.account_id), "password": PASSWORD},
        headers=roster.legal.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "legal_representative"
    me = (await client.get(url(roster.organization_id), headers=roster.legal.headers)).json()
    assert me["role"] == "administrator"
    # The former legal representative can no longer edit the organization's details.
    edit = await client.patch(
        url(roster.organization_id), json={"name": "X"}, headers=roster.legal.headers
    )
    assert edit.status_code == 403


async def test_members_list_shows_role_two_factor_and_last_login_with_filters(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    await enable_two_factor(client, roster.admin)
    listed = await client.get(url(roster.organization_id, "/members"), headers=roster.legal.headers)
    members = {m["account_id"]: m for m in listed.json()["data"]}
    assert len(members) == 4
    admin = members[str(roster.admin.account_id)]
    assert admin["role"] == "administrator"
    assert admin["two_factor_enabled"] is True
    assert admin["last_login_at"] is not None
    assert admin["email"] == roster.admin.email

    collaborators = await client.get(
        url(roster.organization_id, "/members"),
        params={"role": "collaborator"},
        headers=roster.legal.headers,
    )
    assert [m["account_id"] for m in collaborators.json()["data"]] == [
        str(roster.collaborator.account_id)
    ]
    without = await client.get(
        url(roster.organization_id, "/members"),
        params={"without_two_factor": "true"},
        headers=roster.legal.headers,
    )
    assert str(roster.admin.account_id) not in {m["account_id"] for m in without.json()["data"]}
    assert len(without.json()["data"]) == 3


async def test_account_deletion_is_blocked_for_the_only_legal_representative_with_products(
    client: httpx.AsyncClient, db: Database
) -> None:
    legal = await signed_in_user(client, db)
    await add_product(db, legal.organization_id)
    response = await client.post(
        "/v1/account/deletion", json={"password": PASSWORD}, headers=legal.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sole_legal_representative"


async def test_a_partner_organization_designates_members_who_act_for_clients(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    target = url(roster.organization_id, f"/members/{roster.collaborator.account_id}")
    refused = await client.patch(
        target, json={"acts_for_clients": True}, headers=roster.legal.headers
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_a_partner"


async def test_an_invitation_for_someone_already_a_member_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    other = await signed_in_user(client, db)
    await add_member(db, roster.organization_id, other, Role.external)
    response = await client.post(
        url(roster.organization_id, "/invitations"),
        json={"email": other.email, "role": "collaborator"},
        headers=roster.legal.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "already_a_member"


async def test_unknown_member_is_404(client: httpx.AsyncClient, db: Database) -> None:
    roster = await organization_with_roles(client, db)
    response = await client.get(
        url(roster.organization_id, f"/members/{uuid.uuid4()}"), headers=roster.legal.headers
    )
    assert response.status_code == 404


async def test_two_legal_representatives_leaving_at_once_leave_one_behind(
    settings: Settings, committed_db: Database
) -> None:
    app = create_app(settings, database=committed_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        first = await signed_in_user(client, committed_db)
        second = await signed_in_user(client, committed_db)
        await add_member(committed_db, first.organization_id, second, Role.legal_representative)
        responses = await asyncio.gather(
            client.post(url(first.organization_id, "/leave"), headers=first.headers),
            client.post(url(first.organization_id, "/leave"), headers=second.headers),
        )
    assert sorted(response.status_code for response in responses) == [204, 409]
    async with committed_db.sessionmaker() as session:
        representatives = await session.scalar(
            select(func.count()).where(
                Membership.organization_id == first.organization_id,
                Membership.role == Role.legal_representative,
            )
        )
    assert representatives == 1


async def test_recipients_are_the_members_holding_the_roles_asked_oldest_first(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    async with db.sessionmaker() as session:
        managers = await service.recipients(
            session,
            roster.organization_id,
            roles=(Role.legal_representative, Role.administrator),
        )
        nobody = await service.recipients(session, roster.organization_id, roles=())
    assert [(r.account_id, r.email) for r in managers] == [
        (roster.legal.account_id, roster.legal.email),
        (roster.admin.account_id, roster.admin.email),
    ]
    assert all(r.name and r.language for r in managers)
    assert nobody == []
