"""A member's standing beyond its role: blocked without being removed, the accounting right,
what an external does not see or receive."""

import httpx

from app.core.db import Database
from tests.factories import signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import add_member, organization_with_roles, url


async def test_a_blocked_member_is_refused_at_once_and_unblocking_restores_its_access(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    organization = url(roster.organization_id)
    before = await client.get(organization, headers=roster.collaborator.headers)
    assert before.status_code == 200

    blocked = await client.post(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}/block"),
        headers=roster.admin.headers,
    )
    assert blocked.status_code == 204, blocked.text
    refused = await client.get(organization, headers=roster.collaborator.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "member_blocked"
    products = await client.get(
        url(roster.organization_id, "/products"), headers=roster.collaborator.headers
    )
    assert products.status_code == 403
    member = await client.get(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}"),
        headers=roster.admin.headers,
    )
    assert member.json()["blocked"] is True
    assert member.json()["role"] == "collaborator"
    again = await client.post(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}/block"),
        headers=roster.admin.headers,
    )
    assert again.status_code == 409

    unblocked = await client.post(
        url(roster.organization_id, f"/members/{roster.collaborator.account_id}/unblock"),
        headers=roster.admin.headers,
    )
    assert unblocked.status_code == 204, unblocked.text
    after = await client.get(organization, headers=roster.collaborator.headers)
    assert after.status_code == 200


async def test_the_last_legal_representative_cannot_be_blocked(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    second = await signed_in_user(client, db)
    await add_member(db, roster.organization_id, second, "legal_representative")  # type: ignore[arg-type]
    by_admin = await client.post(
        url(roster.organization_id, f"/members/{roster.legal.account_id}/block"),
        headers=roster.admin.headers,
    )
    assert by_admin.status_code == 403
    self_block = await client.post(
        url(roster.organization_id, f"/members/{roster.legal.account_id}/block"),
        headers=roster.legal.headers,
    )
    assert self_block.json()["code"] == "cannot_block_self"
    blocked = await client.post(
        url(roster.organization_id, f"/members/{second.account_id}/block"),
        headers=roster.legal.headers,
    )
    assert blocked.status_code == 204, blocked.text
    # The blocked one no longer acts: the caller is now the last who can, and cannot leave.
    leaving = await client.post(url(roster.organization_id, "/leave"), headers=roster.legal.headers)
    assert leaving.status_code == 409
    assert leaving.json()["code"] == "last_legal_representative"
    blocking_back = await client.post(
        url(roster.organization_id, f"/members/{roster.legal.account_id}/block"),
        headers=second.headers,
    )
    assert blocking_back.status_code == 403
    assert blocking_back.json()["code"] == "member_blocked"


async def test_the_accounting_right_reaches_invoices_payments_and_payment_means_only(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    accountant = roster.collaborator
    granted = await client.patch(
        url(roster.organization_id, f"/members/{accountant.account_id}"),
        json={"accounting": True},
        headers=roster.admin.headers,
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["accounting"] is True
    not_for_admins = await client.patch(
        url(roster.organization_id, f"/members/{roster.admin.account_id}"),
        json={"accounting": True},
        headers=roster.legal.headers,
    )
    assert not_for_admins.status_code == 409
    assert not_for_admins.json()["code"] == "accounting_right_not_applicable"

    for path in ("/invoices", "/payments", "/payment-profiles"):
        reached = await client.get(url(roster.organization_id, path), headers=accountant.headers)
        assert reached.status_code == 200, f"{path}: {reached.text}"
        refused = await client.get(
            url(roster.organization_id, path), headers=roster.external.headers
        )
        assert refused.status_code == 403, path
    card = await client.post(
        url(roster.organization_id, "/payment-profiles"),
        json={"kind": "prepaid"},
        headers=accountant.headers,
    )
    assert card.status_code not in (401, 403, 404), card.text
    for path in ("/orders", "/subscriptions", "/cart", "/prepaid", "/billing-addresses"):
        refused = await client.get(url(roster.organization_id, path), headers=accountant.headers)
        assert refused.status_code == 403, f"{path}: {refused.status_code}"
    members = await client.get(url(roster.organization_id, "/members"), headers=accountant.headers)
    assert members.status_code == 403

    revoked = await client.patch(
        url(roster.organization_id, f"/members/{accountant.account_id}"),
        json={"accounting": False},
        headers=roster.admin.headers,
    )
    assert revoked.status_code == 200
    gone = await client.get(url(roster.organization_id, "/invoices"), headers=accountant.headers)
    assert gone.status_code == 403


async def test_externals_are_left_out_of_the_directory_that_other_members_see(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    response = await client.get(
        url(roster.organization_id, "/directory"), headers=roster.collaborator.headers
    )
    assert response.status_code == 200, response.text
    listed = {row["account_id"] for row in response.json()["data"]}
    assert listed == {
        str(roster.legal.account_id),
        str(roster.admin.account_id),
        str(roster.collaborator.account_id),
    }
    by_external = await client.get(
        url(roster.organization_id, "/directory"), headers=roster.external.headers
    )
    assert by_external.status_code == 403


async def test_a_summary_of_changed_details_is_mailed_to_legal_representatives_in_their_language(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    roster = await organization_with_roles(client, db)
    german = await signed_in_user(client, db, language="de")
    await add_member(db, roster.organization_id, german, "legal_representative")  # type: ignore[arg-type]
    changed = await client.patch(
        url(roster.organization_id),
        json={"name": "Théâtre du Lac", "kind": "association"},
        headers=roster.legal.headers,
    )
    assert changed.status_code == 200, changed.text
    await mailbox.deliver(db.sessionmaker)
    english = mailbox.last_to(roster.legal.email)
    assert "have changed" in english["Subject"]
    text = mailbox.text(english)
    assert "Théâtre du Lac" in text
    assert "Association" in text
    assert "Name:" in text
    german_mail = mailbox.last_to(german.email)
    assert "geändert" in german_mail["Subject"]
    assert "Verein" in mailbox.text(german_mail)
    for user in (roster.admin, roster.collaborator, roster.external):
        assert not [m for m in mailbox.messages_to(user.email) if "Théâtre" in m["Subject"]]
