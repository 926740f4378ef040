"""The caller's own account: sign-up rules, profile, sessions, tokens, recovery, deletion."""

import uuid
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import func, select, update

from app.accounts.models import Account, PersonalAccessToken
from app.core import clock
from app.core.db import Database
from app.organizations.models import Membership, Organization
from app.organizations.types import Role
from tests.factories import (
    PASSWORD,
    current_code,
    enable_two_factor,
    log_in,
    personal_access_token,
    sign_up,
    signed_in_user,
    unique_email,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_sign_up_creates_an_organization_it_represents(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    organizations = (await client.get("/v1/organizations", headers=user.headers)).json()["data"]
    assert len(organizations) == 1
    assert organizations[0]["role"] == "legal_representative"
    assert organizations[0]["name"] == "Ada Lovelace"
    assert organizations[0]["currency"] == "CHF"


async def test_sign_up_in_a_euro_country_invoices_in_euro(
    client: httpx.AsyncClient, db: Database
) -> None:
    account = await sign_up(
        client,
        address={
            "line1": "1 rue de Rivoli",
            "postal_code": "75001",
            "city": "Paris",
            "country": "FR",
        },
    )
    async with db.sessionmaker() as session:
        currency = await session.scalar(
            select(Organization.currency)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.account_id == uuid.UUID(account["id"]))
        )
    assert currency == "EUR"


async def test_support_code_is_digits(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    me = (await client.get("/v1/account", headers=user.headers)).json()
    assert me["support_code"].isdigit()
    assert len(me["support_code"]) == 8


async def test_sign_up_with_a_taken_address_answers_alike_and_mails_the_owner(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    owner = await signed_in_user(client, db)

    def form(email: str) -> dict[str, str]:
        return {"first_name": "Eve", "last_name": "B", "email": email, "password": "another pw 123"}

    new = await client.post("/v1/accounts", json=form(unique_email()))
    taken = await client.post("/v1/accounts", json=form(owner.email.upper()))
    assert (
        (taken.status_code, set(taken.json()))
        == (new.status_code, set(new.json()))
        == (
            202,
            {"email", "detail"},
        )
    )
    assert taken.json()["detail"] == new.json()["detail"]
    async with db.sessionmaker() as session:
        same_address = await session.scalar(
            select(func.count()).where(func.lower(Account.email) == owner.email.lower())
        )
    assert same_address == 1
    # The owner is told, not the caller; the account is unchanged.
    await mailbox.deliver(db.sessionmaker)
    message = mailbox.last_to(owner.email)
    assert "sign up" in message["Subject"].lower()
    assert any("/account/forgot-password" in link for link in mailbox.links(message))
    assert (await log_in(client, owner.email)).status_code == 200
    assert (await log_in(client, owner.email, "another pw 123")).status_code == 401


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("password", "password_too_common"),
        ("123456789", "password_too_common"),
        ("short", "validation_error"),
        ("x" * 129, "validation_error"),
    ],
)
async def test_weak_passwords_are_refused(
    client: httpx.AsyncClient, password: str, code: str
) -> None:
    response = await client.post(
        "/v1/accounts",
        json={"first_name": "A", "last_name": "B", "email": unique_email(), "password": password},
    )
    assert response.status_code == 422
    assert response.json()["code"] == code


async def test_long_passphrase_without_composition_rules_is_fine(client: httpx.AsyncClient) -> None:
    await sign_up(client, password="all lower case words are fine")


@pytest.mark.parametrize(
    "field", [{"time_zone": "Mars/Olympus"}, {"language": "pt"}, {"email": "not-an-email"}]
)
async def test_sign_up_validation(client: httpx.AsyncClient, field: dict) -> None:  # type: ignore[type-arg]
    body = {
        "first_name": "A",
        "last_name": "B",
        "email": unique_email(),
        "password": PASSWORD,
    } | field
    response = await client.post("/v1/accounts", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][1] == next(iter(field))


async def test_nul_in_a_name_is_a_clear_422(client: httpx.AsyncClient) -> None:
    body = {
        "first_name": "A\u0000",
        "last_name": "B",
        "email": unique_email(),
        "password": PASSWORD,
    }
    response = await client.post("/v1/accounts", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "first_name"]


async def test_profile_update(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    response = await client.patch(
        "/v1/account",
        json={
            "first_name": "Grace",
            "language": "it",
            "time_zone": "Europe/Rome",
            "newsletter_topics": ["events"],
        },
        headers=user.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["first_name"], body["language"], body["time_zone"], body["newsletter_topics"]) == (
        "Grace",
        "it",
        "Europe/Rome",
        ["events"],
    )
    activity = (
        await client.get(
            "/v1/account/activity", params={"action": "account."}, headers=user.headers
        )
    ).json()
    assert activity["data"][0]["action"] == "account.profile_updated"


async def test_sessions_are_listed_and_can_be_ended(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    other = (
        await log_in(
            client,
            user.email,
            **{
                "User-Agent": (
                    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
                )
            },
        )
    ).json()["tokens"]
    sessions = (await client.get("/v1/account/sessions", headers=user.headers)).json()["data"]
    assert len(sessions) == 2
    assert [s["current"] for s in sessions] == [False, True]
    assert "iOS" in sessions[0]["device"]
    ended = await client.delete(f"/v1/account/sessions/{other['session_id']}", headers=user.headers)
    assert ended.status_code == 204
    other_headers = {"Authorization": f"Bearer {other['access_token']}"}
    assert (await client.get("/v1/account", headers=other_headers)).status_code == 401
    assert (
        await client.delete(f"/v1/account/sessions/{uuid.uuid4()}", headers=user.headers)
    ).status_code == 404


async def test_password_change_ends_other_sessions(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    other = (await log_in(client, user.email)).json()["tokens"]
    new_password = "a brand new passphrase"
    response = await client.post(
        "/v1/account/password",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=user.headers,
    )
    assert response.status_code == 204
    assert (
        await client.get(
            "/v1/account", headers={"Authorization": f"Bearer {other['access_token']}"}
        )
    ).status_code == 401
    assert (await client.get("/v1/account", headers=user.headers)).status_code == 200
    assert (await log_in(client, user.email, new_password)).status_code == 200


async def test_personal_access_token_with_scopes(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    created = await client.post(
        "/v1/account/tokens",
        json={"name": "sync", "scopes": ["account:read"]},
        headers=user.headers,
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("mgr_pat_")
    pat = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/v1/account", headers=pat)).status_code == 200
    denied = await client.patch("/v1/account", json={"first_name": "X"}, headers=pat)
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_scope"
    # Tokens cannot make sensitive changes.
    assert (
        await client.post(
            "/v1/account/tokens", json={"name": "x", "scopes": ["account:read"]}, headers=pat
        )
    ).status_code == 403
    listed = (await client.get("/v1/account/tokens", headers=user.headers)).json()["data"]
    assert listed[0]["last_used_at"] is not None
    assert "token" not in listed[0]
    assert (
        await client.delete(f"/v1/account/tokens/{listed[0]['id']}", headers=user.headers)
    ).status_code == 204
    assert (await client.get("/v1/account", headers=pat)).status_code == 401


async def test_expired_personal_access_token_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    expires = (clock.now() + timedelta(days=1)).isoformat()
    token = (
        await client.post(
            "/v1/account/tokens",
            json={"name": "t", "scopes": ["account:read"], "expires_at": expires},
            headers=user.headers,
        )
    ).json()["token"]
    with time_machine.travel(clock.now() + timedelta(days=2), tick=False):
        assert (
            await client.get("/v1/account", headers={"Authorization": f"Bearer {token}"})
        ).status_code == 401


async def test_avatar_upload_checks_type_and_size(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    ok = await client.put(
        "/v1/account/avatar", files={"file": ("a.png", PNG, "image/png")}, headers=user.headers
    )
    assert ok.status_code == 204
    got = await client.get("/v1/account/avatar", headers=user.headers)
    assert got.headers["content-type"] == "image/png"
    assert got.content == PNG
    fake = await client.put(
        "/v1/account/avatar", files={"file": ("a.png", b"<svg>", "image/png")}, headers=user.headers
    )
    assert fake.status_code == 422
    assert fake.json()["code"] == "avatar_type_not_supported"
    big = await client.put(
        "/v1/account/avatar",
        files={"file": ("a.png", PNG + b"0" * 1024 * 1024, "image/png")},
        headers=user.headers,
    )
    assert big.status_code == 422


async def test_sole_legal_representative_with_members_cannot_delete(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await signed_in_user(client, db)
    member = await signed_in_user(client, db)
    async with db.sessionmaker.begin() as session:
        session.add(
            Membership(
                id=uuid.uuid4(),
                organization_id=owner.organization_id,
                account_id=member.account_id,
                role=Role.collaborator,
            )
        )
    refused = await client.post(
        "/v1/account/deletion", json={"password": PASSWORD}, headers=owner.headers
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "sole_legal_representative"
    wrong = await client.post(
        "/v1/account/deletion", json={"password": "wrong password"}, headers=member.headers
    )
    assert wrong.status_code == 403
    deleted = await client.post(
        "/v1/account/deletion", json={"password": PASSWORD}, headers=member.headers
    )
    assert deleted.status_code == 204
    assert (await client.get("/v1/account", headers=member.headers)).status_code == 401
    assert (await log_in(client, member.email)).status_code == 401
    # Its own organization, left without members, is gone; the owner's one remains.
    assert (
        await client.post(
            "/v1/account/deletion", json={"password": PASSWORD}, headers=owner.headers
        )
    ).status_code == 204


async def test_password_reset_by_mailed_link_requires_2fa(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        assert (
            await client.post("/v1/password-resets", json={"email": user.email})
        ).status_code == 202
        assert (
            await client.post("/v1/password-resets", json={"email": unique_email()})
        ).status_code == 202
        await mailbox.deliver(db.sessionmaker)
        link = mailbox.link_to(user.email, "reset-password")
        token = link.split("token=")[1]
        new_password = "another long passphrase"
        without = await client.post(
            "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
        )
        assert without.status_code == 403
        # The refused attempt rolled back: the link still works with a code.
        traveller.shift(timedelta(seconds=30))
        done = await client.post(
            "/v1/password-resets/confirm",
            json={"token": token, "new_password": new_password, "code": current_code(user)},
        )
        assert done.status_code == 204
        assert (await client.get("/v1/account", headers=user.headers)).status_code == 401
        assert (await log_in(client, user.email, new_password)).json()["status"] == "mfa_required"


async def test_login_email_change_rules_and_confirmation(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    taken = await signed_in_user(client, db)
    new_email = unique_email("new")

    async def change(**body: str) -> httpx.Response:
        payload = {
            "password": PASSWORD,
            "new_email": new_email,
            "new_email_confirmation": new_email,
        } | body
        return await client.post("/v1/account/login-email", json=payload, headers=user.headers)

    assert (await change(password="wrong password")).status_code == 403
    assert (await change(new_email_confirmation=unique_email())).json()[
        "code"
    ] == "email_confirmation_mismatch"
    assert (await change(new_email=taken.email, new_email_confirmation=taken.email)).json()[
        "code"
    ] == "email_already_registered"
    await client.put("/v1/account/recovery-email", json={"email": new_email}, headers=user.headers)
    assert (await change()).json()["code"] == "email_is_recovery_email"
    await client.put(
        "/v1/account/recovery-email", json={"email": unique_email("recovery")}, headers=user.headers
    )

    assert (await change()).status_code == 202
    await mailbox.deliver(db.sessionmaker)
    link = mailbox.link_to(new_email, "confirm-login-email")
    assert (
        await client.post(
            "/v1/account/login-email/confirm", json={"token": link.split("token=")[1]}
        )
    ).status_code == 204
    assert (await log_in(client, new_email)).status_code == 200
    assert (await log_in(client, user.email)).status_code == 401


async def test_recovery_email_is_confirmed_by_its_link(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    recovery = unique_email("recovery")
    assert (
        await client.put(
            "/v1/account/recovery-email", json={"email": recovery}, headers=user.headers
        )
    ).status_code == 202
    same = await client.put(
        "/v1/account/recovery-email", json={"email": user.email}, headers=user.headers
    )
    assert same.json()["code"] == "email_is_login_email"
    await mailbox.deliver(db.sessionmaker)
    link = mailbox.link_to(recovery, "confirm-recovery-email")
    assert (
        await client.post(
            "/v1/account/recovery-email/confirm", json={"token": link.split("token=")[1]}
        )
    ).status_code == 204
    me = (await client.get("/v1/account", headers=user.headers)).json()
    assert (me["recovery_email"], me["recovery_email_confirmed"]) == (recovery, True)
    # Password resets now go to the recovery address.
    await client.post("/v1/password-resets", json={"email": user.email})
    await mailbox.deliver(db.sessionmaker)
    assert mailbox.link_to(recovery, "reset-password")


async def test_new_location_login_sends_a_security_mail(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    await mailbox.deliver(db.sessionmaker)
    before = len(mailbox.messages_to(user.email))
    await log_in(client, user.email)  # same device: no mail
    await log_in(
        client,
        user.email,
        **{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
    )
    await mailbox.deliver(db.sessionmaker)
    new_mails = mailbox.messages_to(user.email)[before:]
    assert len(new_mails) == 1
    assert "Firefox" in new_mails[0].get_body(preferencelist=("plain",)).get_content()


async def test_failed_login_alert_when_asked(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    await client.patch(
        "/v1/account/security", json={"notify_login_success": True}, headers=user.headers
    )
    await mailbox.deliver(db.sessionmaker)
    before = len(mailbox.messages_to(user.email))
    await log_in(client, user.email, "a wrong password")
    await log_in(client, user.email)
    await mailbox.deliver(db.sessionmaker)
    assert len(mailbox.messages_to(user.email)) == before + 2


async def test_a_locked_account_s_personal_access_tokens_are_refused_until_unlocked(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    pat = await personal_access_token(client, user)
    await client.patch("/v1/account/security", json={"lockout_threshold": 3}, headers=user.headers)
    for _ in range(3):
        assert (await log_in(client, user.email, "not the password")).status_code == 401
    refused = await client.get("/v1/account", headers=pat)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_token")
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Account).where(Account.id == user.account_id).values(locked_at=None)
        )
    assert (await client.get("/v1/account", headers=pat)).status_code == 200


async def test_deleting_an_account_revokes_its_personal_access_tokens(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    pat = await personal_access_token(client, user)
    deleted = await client.post(
        "/v1/account/deletion", json={"password": PASSWORD}, headers=user.headers
    )
    assert deleted.status_code == 204, deleted.text
    assert (await client.get("/v1/account", headers=pat)).status_code == 401
    async with db.sessionmaker() as session:
        revoked = await session.scalars(
            select(PersonalAccessToken.revoked_at).where(
                PersonalAccessToken.account_id == user.account_id
            )
        )
        assert all(at is not None for at in revoked)
