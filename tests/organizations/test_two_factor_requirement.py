"""Organization-wide 2FA: members without it can only enrol; administrators alert them."""

import httpx

from app.core.db import Database
from tests.factories import current_code, enable_two_factor
from tests.mail import Mailbox
from tests.organizations.helpers import organization_with_roles, url


async def test_an_administrator_without_two_factor_cannot_require_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    response = await client.put(
        url(roster.organization_id, "/two-factor-requirement"),
        json={"required": True},
        headers=roster.admin.headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "two_factor_not_enabled"


async def test_members_without_two_factor_can_do_nothing_but_enrol(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    await enable_two_factor(client, roster.admin)
    required = await client.put(
        url(roster.organization_id, "/two-factor-requirement"),
        json={"required": True},
        headers=roster.admin.headers,
    )
    assert required.json() == {"required": True}
    member = roster.collaborator
    for path in ("", "/products", "/my-rights", "/leave"):
        method = "POST" if path == "/leave" else "GET"
        response = await client.request(
            method, url(roster.organization_id, path), headers=member.headers
        )
        assert response.status_code == 403, path
        assert response.json()["code"] == "mfa_enrollment_required"
    # Account-level routes stay open, enrolment first of all.
    assert (await client.get("/v1/account", headers=member.headers)).status_code == 200
    enrollment = await client.post("/v1/account/two-factor/enrollment", headers=member.headers)
    assert enrollment.status_code == 200
    member.totp_secret = enrollment.json()["secret"]
    confirmed = await client.post(
        "/v1/account/two-factor/enrollment/confirm",
        json={"code": current_code(member)},
        headers=member.headers,
    )
    assert confirmed.status_code == 200
    assert (
        await client.get(url(roster.organization_id), headers=member.headers)
    ).status_code == 200
    # The organization the member also represents (its own) is not affected.
    assert (
        await client.get(url(roster.external.organization_id), headers=roster.external.headers)
    ).status_code == 200


async def test_administrators_alert_the_members_without_two_factor(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    roster = await organization_with_roles(client, db)
    await enable_two_factor(client, roster.legal)
    without = await client.get(
        url(roster.organization_id, "/members"),
        params={"without_two_factor": "true"},
        headers=roster.legal.headers,
    )
    expected = {roster.admin.email, roster.collaborator.email, roster.external.email}
    assert {m["email"] for m in without.json()["data"]} == expected
    response = await client.post(
        url(roster.organization_id, "/two-factor-alerts"), headers=roster.admin.headers
    )
    assert response.json() == {"sent": 3}
    await mailbox.deliver(db.sessionmaker)
    alert = "requires two-factor authentication"
    for email in expected:
        assert alert in mailbox.last_to(email)["Subject"]
    assert not [m for m in mailbox.messages_to(roster.legal.email) if alert in m["Subject"]]
