"""Passkeys end to end with a software authenticator: registration (re-authentication first),
naming, listing, removal; the whole login with a discoverable passkey; a passkey as second factor
beside TOTP; a cloned authenticator (counter going backwards) and a wrong origin refused."""

from datetime import timedelta

import httpx
import time_machine
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from tests.accounts.authenticator import SoftAuthenticator
from tests.factories import User, current_code, enable_two_factor, log_in, signed_in_user


def authenticator(settings: Settings) -> SoftAuthenticator:
    return SoftAuthenticator(origin=settings.webauthn_origins[0])


async def register(
    client: httpx.AsyncClient,
    user: User,
    device: SoftAuthenticator,
    name: str = "Laptop",
    **answer: str,
) -> httpx.Response:
    begun = await client.post("/v1/account/passkeys/registration", headers=user.headers)
    assert begun.status_code == 200, begun.text
    ceremony = begun.json()
    assert ceremony["options"]["authenticatorSelection"]["residentKey"] == "required"
    return await client.post(
        "/v1/account/passkeys",
        json={
            "name": name,
            "ceremony_token": ceremony["ceremony_token"],
            "credential": device.create(ceremony["options"], **answer),
        },
        headers=user.headers,
    )


async def passkey_login(
    client: httpx.AsyncClient, device: SoftAuthenticator, **answer: str
) -> httpx.Response:
    ceremony = (await client.post("/v1/auth/passkey/options")).json()
    assert ceremony["options"].get("allowCredentials", []) == []
    return await client.post(
        "/v1/auth/passkey",
        json={
            "ceremony_token": ceremony["ceremony_token"],
            "credential": device.get(ceremony["options"], **answer),
        },
    )


async def test_passkey_is_registered_listed_renamed_and_logs_in_alone(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    device = authenticator(settings)
    created = await register(client, user, device)
    assert created.status_code == 201, created.text
    passkey = created.json()
    assert passkey["name"] == "Laptop"

    renamed = await client.patch(
        f"/v1/account/passkeys/{passkey['id']}", json={"name": "Work laptop"}, headers=user.headers
    )
    assert renamed.json()["name"] == "Work laptop"
    listed = (await client.get("/v1/account/passkeys", headers=user.headers)).json()
    assert [item["name"] for item in listed["data"]] == ["Work laptop"]

    response = await passkey_login(client, device)
    assert response.status_code == 200, response.text
    tokens = response.json()
    me = await client.get(
        "/v1/account", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.json()["id"] == str(user.account_id)
    listed = (await client.get("/v1/account/passkeys", headers=user.headers)).json()
    assert listed["data"][0]["last_used_at"] is not None


async def test_adding_or_removing_a_passkey_needs_a_recent_reauthentication(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    device = authenticator(settings)
    passkey = (await register(client, user, device)).json()
    with time_machine.travel(clock.now() + timedelta(minutes=11), tick=False):
        refreshed = (
            await client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
        ).json()
        user.access_token = refreshed["access_token"]
        stale = await client.post("/v1/account/passkeys/registration", headers=user.headers)
        assert stale.status_code == 403
        assert stale.json()["code"] == "reauthentication_required"
        removal = await client.delete(f"/v1/account/passkeys/{passkey['id']}", headers=user.headers)
        assert removal.json()["code"] == "reauthentication_required"

        # With a passkey as its only second factor, the password alone no longer re-authenticates.
        by_password = await client.post(
            "/v1/auth/reauthenticate", json={"password": user.password}, headers=user.headers
        )
        assert by_password.json()["code"] == "two_factor_code_required"
        ceremony = (
            await client.post("/v1/auth/reauthenticate/passkey/options", headers=user.headers)
        ).json()
        confirmed = await client.post(
            "/v1/auth/reauthenticate/passkey",
            json={
                "ceremony_token": ceremony["ceremony_token"],
                "credential": device.get(ceremony["options"]),
            },
            headers=user.headers,
        )
        assert confirmed.status_code == 204, confirmed.text
        removal = await client.delete(f"/v1/account/passkeys/{passkey['id']}", headers=user.headers)
        assert removal.status_code == 204
    assert (await passkey_login(client, device)).status_code == 401


async def test_passkey_is_a_second_factor_beside_totp(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    await enable_two_factor(client, user)
    device = authenticator(settings)
    assert (await register(client, user, device)).status_code == 201

    first = (await log_in(client, user.email)).json()
    assert first["status"] == "mfa_required"
    assert first["second_factors"] == ["totp", "passkey"]
    ceremony = (
        await client.post("/v1/auth/mfa/passkey/options", json={"mfa_token": first["mfa_token"]})
    ).json()
    assert len(ceremony["options"]["allowCredentials"]) == 1
    answer = {
        "mfa_token": first["mfa_token"],
        "ceremony_token": ceremony["ceremony_token"],
        "credential": device.get(ceremony["options"]),
    }
    signed_in = await client.post("/v1/auth/mfa/passkey", json=answer)
    assert signed_in.status_code == 200, signed_in.text
    # The same mfa token and ceremony serve once.
    assert (await client.post("/v1/auth/mfa/passkey", json=answer)).status_code == 401

    # TOTP still works as the other second factor.
    second = (await log_in(client, user.email)).json()
    totp = await client.post(
        "/v1/auth/mfa",
        json={"mfa_token": second["mfa_token"], "code": current_code(user, offset_steps=1)},
    )
    assert totp.status_code == 200, totp.text


async def test_passkey_alone_makes_the_password_login_two_steps(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    assert (await register(client, user, authenticator(settings))).status_code == 201
    first = (await log_in(client, user.email)).json()
    assert first["status"] == "mfa_required"
    assert first["second_factors"] == ["passkey"]


async def test_cloned_authenticator_whose_counter_goes_back_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    device = authenticator(settings)
    assert (await register(client, user, device)).status_code == 201
    clone = device.clone()
    for _ in range(3):
        assert (await passkey_login(client, device)).status_code == 200
    refused = await passkey_login(client, clone)  # counter 1 after the server saw 3
    assert refused.status_code == 401
    assert refused.json()["code"] == "invalid_credentials"
    async with db.sessionmaker() as session:
        actions = list(
            await session.scalars(
                select(ActivityEntry.action).where(ActivityEntry.account_id == user.account_id)
            )
        )
    assert "security.passkey_clone_suspected" in actions
    # The genuine authenticator keeps working.
    assert (await passkey_login(client, device)).status_code == 200


async def test_wrong_origin_is_refused_at_registration_and_login(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    device = authenticator(settings)
    phished = await register(client, user, device, origin="https://manager.example.evil")
    assert phished.status_code == 422
    assert phished.json()["code"] == "invalid_passkey_response"
    assert (await register(client, user, device)).status_code == 201
    refused = await passkey_login(client, device, origin="https://manager.example.evil")
    assert refused.status_code == 401


async def test_a_ceremony_serves_once(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    device = authenticator(settings)
    assert (await register(client, user, device)).status_code == 201
    ceremony = (await client.post("/v1/auth/passkey/options")).json()
    body = {
        "ceremony_token": ceremony["ceremony_token"],
        "credential": device.get(ceremony["options"]),
    }
    assert (await client.post("/v1/auth/passkey", json=body)).status_code == 200
    body["credential"] = device.get(ceremony["options"])
    replay = await client.post("/v1/auth/passkey", json=body)
    assert replay.status_code == 422
    assert replay.json()["code"] == "invalid_passkey_response"


async def test_login_without_user_verification_is_refused(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    device = authenticator(settings)
    assert (await register(client, user, device)).status_code == 201
    assert (await passkey_login(client, device, user_verified=False)).status_code == 401  # type: ignore[arg-type]
