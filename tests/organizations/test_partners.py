"""Partners: flagged by platform staff, they invite clients; the client's legal representative
chooses the access; partner staff act within it; the client ends it at any time."""

import csv
import io
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.core.db import Database
from app.organizations import service
from app.organizations.types import PartnerAccess, PaymentMode, ProductType, Role
from tests.factories import User, signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import (
    add_member,
    add_product,
    make_platform_staff,
    organization_with_roles,
    set_organization,
    url,
)


@dataclass
class Partnership:
    partner_id: uuid.UUID
    partner_legal: User
    partner_admin: User
    partner_collaborator: User
    client_id: uuid.UUID
    client_legal: User
    client_admin: User
    granted: uuid.UUID
    other: uuid.UUID
    token: str


async def invited(client: httpx.AsyncClient, db: Database, mailbox: Mailbox) -> Partnership:
    """A partner (flagged by staff) that invited a client having two products."""
    partner = await organization_with_roles(client, db)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    flagged = await client.patch(
        f"/v1/platform/organizations/{partner.organization_id}",
        json={"is_partner": True},
        headers=staff.headers,
    )
    assert flagged.status_code == 200, flagged.text
    client_legal = await signed_in_user(client, db)
    client_admin = await signed_in_user(client, db)
    await add_member(db, client_legal.organization_id, client_admin, Role.administrator)
    granted = await add_product(db, client_legal.organization_id, ProductType.web_hosting, "Site")
    other = await add_product(db, client_legal.organization_id, ProductType.mail_service, "Mail")
    response = await client.post(
        url(partner.organization_id, "/partner-invitations"),
        json={"email": client_legal.email, "client_name": "Bakery", "access_type": "limited"},
        headers=partner.legal.headers,
    )
    assert response.status_code == 201, response.text
    await mailbox.deliver(db.sessionmaker)
    link = mailbox.link_to(client_legal.email, "partner-invitations")
    return Partnership(
        partner_id=partner.organization_id,
        partner_legal=partner.legal,
        partner_admin=partner.admin,
        partner_collaborator=partner.collaborator,
        client_id=client_legal.organization_id,
        client_legal=client_legal,
        client_admin=client_admin,
        granted=granted.id,
        other=other.id,
        token=parse_qs(urlparse(link).query)["token"][0],
    )


async def accept(
    client: httpx.AsyncClient, p: Partnership, terms: dict[str, Any], by: User | None = None
) -> httpx.Response:
    return await client.post(
        url(p.client_id, "/partnerships"),
        json={"token": p.token} | terms,
        headers=(by or p.client_legal).headers,
    )


async def test_only_platform_staff_flag_partners_and_never_an_affiliate(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    staff = await signed_in_user(client, db)
    path = f"/v1/platform/organizations/{user.organization_id}"
    assert (
        await client.patch(path, json={"is_partner": True}, headers=user.headers)
    ).status_code == 403
    await make_platform_staff(db, staff)
    await set_organization(db, user.organization_id, is_affiliate=True)
    conflict = await client.patch(path, json={"is_partner": True}, headers=staff.headers)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "affiliate_partner_conflict"


async def test_an_organization_that_is_not_a_partner_cannot_invite_clients(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    response = await client.post(
        url(user.organization_id, "/partner-invitations"),
        json={"email": "client@example.org", "client_name": "Client"},
        headers=user.headers,
    )
    assert response.status_code == 403
    assert response.json()["code"] == "not_a_partner"


async def test_limited_access_reaches_the_granted_products_only(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    p = await invited(client, db, mailbox)
    preview = await client.post(
        "/v1/partner-invitations/preview", json={"token": p.token}, headers=p.client_legal.headers
    )
    assert preview.json()["client_name"] == "Bakery"
    by_admin = await accept(
        client, p, {"access_type": "limited", "product_ids": [str(p.granted)]}, by=p.client_admin
    )
    assert by_admin.status_code == 403
    accepted = await accept(
        client,
        p,
        {"access_type": "limited", "product_ids": [str(p.granted)], "payment_mode": "partner_pays"},
    )
    assert accepted.status_code == 201, accepted.text

    staff = p.partner_admin.headers
    me = await client.get(url(p.client_id), headers=staff)
    assert (me.json()["role"], me.json()["via"]) == ("external", "partner")
    listed = await client.get(url(p.client_id, "/products"), headers=staff)
    assert [product["id"] for product in listed.json()["data"]] == [str(p.granted)]
    assert (
        await client.get(url(p.client_id, f"/products/{p.granted}"), headers=staff)
    ).status_code == 200
    assert (
        await client.get(url(p.client_id, f"/products/{p.other}"), headers=staff)
    ).status_code == 404
    assert (await client.get(url(p.client_id, "/members"), headers=staff)).status_code == 403
    # A partner member not designated to act for clients does not reach the client at all.
    assert (
        await client.get(url(p.client_id), headers=p.partner_collaborator.headers)
    ).status_code == 404
    designated = await client.patch(
        url(p.partner_id, f"/members/{p.partner_collaborator.account_id}"),
        json={"acts_for_clients": True},
        headers=p.partner_legal.headers,
    )
    assert designated.json()["acts_for_clients"] is True
    assert (
        await client.get(url(p.client_id), headers=p.partner_collaborator.headers)
    ).status_code == 200

    async with db.sessionmaker() as session:
        terms = await service.partnership_for_client(session, p.client_id)
    assert terms is not None
    assert (terms.partner_organization_id, terms.access_type, terms.payment_mode) == (
        p.partner_id,
        PartnerAccess.limited,
        PaymentMode.partner_pays,
    )
    assert terms.product_ids == frozenset({p.granted})


async def test_full_access_acts_as_an_administrator_and_shows_as_the_partner_in_the_log(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    p = await invited(client, db, mailbox)
    assert (await accept(client, p, {"access_type": "full"})).status_code == 201
    staff = p.partner_admin.headers
    locked = await client.post(url(p.client_id, f"/products/{p.other}/lock"), headers=staff)
    assert locked.status_code == 200, locked.text
    async with db.sessionmaker() as session:
        entry = await session.scalar(
            select(ActivityEntry).where(
                ActivityEntry.organization_id == p.client_id,
                ActivityEntry.action == "product.locked",
            )
        )
    assert entry is not None
    assert (entry.actor_account_id, entry.actor_organization_id) == (
        p.partner_admin.account_id,
        p.partner_id,
    )
    assert entry.details["via"] == "partner"
    # Billing was not included, and the partnership is the client's to end.
    assert (
        await client.get(url(p.client_id, "/billing-addresses"), headers=staff)
    ).status_code == 403
    assert (await client.get(url(p.client_id, "/invoices"), headers=staff)).status_code == 403
    partnerships = await client.get(url(p.client_id, "/partnerships"), headers=staff)
    partnership_id = partnerships.json()["data"][0]["id"]
    end = await client.post(url(p.client_id, f"/partnerships/{partnership_id}/end"), headers=staff)
    assert end.status_code == 403
    with_billing = await client.put(
        url(p.client_id, f"/partnerships/{partnership_id}"),
        json={"access_type": "full", "includes_billing": True},
        headers=p.client_legal.headers,
    )
    assert with_billing.status_code == 200
    assert (
        await client.get(url(p.client_id, "/billing-addresses"), headers=staff)
    ).status_code == 200
    assert (await client.get(url(p.client_id, "/invoices"), headers=staff)).status_code == 200


async def test_ending_the_partnership_cuts_access_at_once(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    p = await invited(client, db, mailbox)
    partnership_id = (await accept(client, p, {"access_type": "full"})).json()["id"]
    staff = p.partner_legal.headers
    assert (await client.get(url(p.client_id, "/products"), headers=staff)).status_code == 200
    ended = await client.post(
        url(p.client_id, f"/partnerships/{partnership_id}/end"), headers=p.client_legal.headers
    )
    assert ended.status_code == 200
    assert ended.json()["ended_at"] is not None
    assert (await client.get(url(p.client_id, "/products"), headers=staff)).status_code == 404
    async with db.sessionmaker() as session:
        assert await service.partnership_for_client(session, p.client_id) is None
    clients = await client.get(url(p.partner_id, "/clients"), headers=staff)
    assert clients.json()["data"] == []
    ended_clients = await client.get(
        url(p.partner_id, "/clients"), params={"status": "ended"}, headers=staff
    )
    assert [c["id"] for c in ended_clients.json()["data"]] == [partnership_id]


async def test_a_partner_lists_its_clients_also_as_csv(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    p = await invited(client, db, mailbox)
    await set_organization(db, p.client_id, name="=cmd|' /C calc'!A0")
    partnership = await accept(
        client, p, {"access_type": "limited", "product_ids": [str(p.granted), str(p.other)]}
    )
    listed = await client.get(url(p.partner_id, "/clients"), headers=p.partner_admin.headers)
    [row] = listed.json()["data"]
    assert (row["id"], row["client_organization_id"], row["access_type"]) == (
        partnership.json()["id"],
        str(p.client_id),
        "limited",
    )
    exported = await client.get(
        url(p.partner_id, "/clients/export"), headers=p.partner_admin.headers
    )
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(rows) == 1
    assert rows[0]["client_name"] == "'=cmd|' /C calc'!A0"
    assert (rows[0]["access_type"], rows[0]["products"], rows[0]["payment_mode"]) == (
        "limited",
        "2",
        "client_pays",
    )


async def test_a_client_already_managed_cannot_accept_another_partner(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    p = await invited(client, db, mailbox)
    assert (await accept(client, p, {"access_type": "full"})).status_code == 201
    assert (await accept(client, p, {"access_type": "full"})).status_code == 400  # used link
    rival = await signed_in_user(client, db)
    await set_organization(db, rival.organization_id, is_partner=True)
    await client.post(
        url(rival.organization_id, "/partner-invitations"),
        json={"email": p.client_legal.email, "client_name": "Bakery"},
        headers=rival.headers,
    )
    await mailbox.deliver(db.sessionmaker)
    link = mailbox.link_to(p.client_legal.email, "partner-invitations")
    second = await client.post(
        url(p.client_id, "/partnerships"),
        json={"token": parse_qs(urlparse(link).query)["token"][0], "access_type": "full"},
        headers=p.client_legal.headers,
    )
    assert second.status_code == 409
    assert second.json()["code"] == "partnership_exists"
