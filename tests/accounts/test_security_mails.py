"""Security mails and who may end sessions: the old address is told of a login e-mail change
and can undo it; a new personal access token and a recovery e-mail change are mailed; an
organization's administrators and platform staff end a member's sessions."""

import httpx

from app.core.db import Database
from tests.factories import (
    PASSWORD,
    User,
    log_in,
    personal_access_token,
    signed_in_user,
    unique_email,
)
from tests.mail import Mailbox
from tests.organizations.helpers import make_platform_staff, organization_with_roles, url


def _token_of(link: str) -> str:
    return link.split("token=")[1]


async def test_a_login_email_change_is_mailed_to_the_old_address_which_can_undo_it(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    user = await signed_in_user(client, db)
    pat = await personal_access_token(client, user)
    new_email = unique_email("thief")
    requested = await client.post(
        "/v1/account/login-email",
        json={"password": PASSWORD, "new_email": new_email, "new_email_confirmation": new_email},
        headers=user.headers,
    )
    assert requested.status_code == 202, requested.text
    await mailbox.deliver(db.sessionmaker)
    confirm = mailbox.link_to(new_email, "confirm-login-email")
    confirmed = await client.post(
        "/v1/account/login-email/confirm", json={"token": _token_of(confirm)}
    )
    assert confirmed.status_code == 204

    await mailbox.deliver(db.sessionmaker)
    told = mailbox.last_to(user.email)
    assert new_email in mailbox.text(told)
    undo = next(link for link in mailbox.links(told) if "/account/undo-login-email" in link)
    undone = await client.post("/v1/account/login-email/undo", json={"token": _token_of(undo)})
    assert undone.status_code == 204, undone.text

    assert (await log_in(client, user.email)).status_code == 200
    assert (await log_in(client, new_email)).status_code == 401
    # Whoever made the change is out: sessions ended, tokens revoked, a reset link mailed.
    assert (await client.get("/v1/account", headers=user.headers)).status_code == 401
    assert (await client.get("/v1/account", headers=pat)).status_code == 401
    await mailbox.deliver(db.sessionmaker)
    assert mailbox.link_to(user.email, "/account/reset-password")
    again = await client.post("/v1/account/login-email/undo", json={"token": _token_of(undo)})
    assert again.json()["code"] == "invalid_or_expired_token"


async def test_a_new_personal_access_token_and_a_recovery_email_change_are_mailed(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    user = await signed_in_user(client, db)
    await personal_access_token(client, user, name="backup script")
    await mailbox.deliver(db.sessionmaker)
    told = mailbox.last_to(user.email)
    assert "backup script" in mailbox.text(told)
    assert "account:read" in mailbox.text(told)

    recovery = unique_email("recovery")
    changed = await client.put(
        "/v1/account/recovery-email", json={"email": recovery}, headers=user.headers
    )
    assert changed.status_code == 202, changed.text
    await mailbox.deliver(db.sessionmaker)
    assert recovery in mailbox.text(mailbox.last_to(user.email))


async def test_administrators_and_platform_staff_end_a_member_s_sessions(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    organization_id, legal, admin = roster.organization_id, roster.legal, roster.admin
    member = roster.collaborator

    def sessions_of(user: User) -> str:
        return url(organization_id, f"/members/{user.account_id}/sessions")

    refused = await client.delete(sessions_of(admin), headers=member.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "role_forbidden")
    not_theirs = await client.delete(sessions_of(legal), headers=admin.headers)
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "role_forbidden")
    assert (await client.get("/v1/account", headers=legal.headers)).status_code == 200

    ended = await client.delete(sessions_of(member), headers=admin.headers)
    assert ended.status_code == 204, ended.text
    assert (await client.get("/v1/account", headers=member.headers)).status_code == 401
    assert (await log_in(client, member.email)).status_code == 200  # the account itself stays

    stranger = roster.outsider
    assert (await client.delete(sessions_of(stranger), headers=admin.headers)).status_code == 404

    staff = await signed_in_user(client, db)
    platform = f"/v1/platform/accounts/{admin.account_id}/sessions"
    assert (await client.delete(platform, headers=legal.headers)).status_code == 403
    await make_platform_staff(db, staff)
    assert (await client.delete(platform, headers=staff.headers)).status_code == 204
    assert (await client.get("/v1/account", headers=admin.headers)).status_code == 401
