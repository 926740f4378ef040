"""TOTP: enrolment, two-step login, one use per time step (also concurrently), emergency codes."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import select

from app.accounts.models import EmergencyCode
from app.core import clock
from app.core.db import Database
from app.core.security.tokens import digest, keyed
from app.core.settings import Settings
from app.main import create_app
from tests.factories import current_code, enable_two_factor, log_in, signed_in_user


async def _mfa_token(client: httpx.AsyncClient, email: str) -> str:
    response = await log_in(client, email)
    body = response.json()
    assert body["status"] == "mfa_required", body
    assert body["tokens"] is None
    return str(body["mfa_token"])


async def test_enrolment_returns_uri_and_ten_emergency_codes(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    enrollment = (
        await client.post("/v1/account/two-factor/enrollment", headers=user.headers)
    ).json()
    assert enrollment["otpauth_uri"].startswith("otpauth://totp/Manager:")
    assert f"secret={enrollment['secret']}" in enrollment["otpauth_uri"]
    user.totp_secret = enrollment["secret"]
    confirmed = await client.post(
        "/v1/account/two-factor/enrollment/confirm",
        json={"code": current_code(user)},
        headers=user.headers,
    )
    codes = confirmed.json()["emergency_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert (await client.get("/v1/account", headers=user.headers)).json()[
        "two_factor_enabled"
    ] is True


async def test_wrong_first_code_does_not_enable(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    await client.post("/v1/account/two-factor/enrollment", headers=user.headers)
    response = await client.post(
        "/v1/account/two-factor/enrollment/confirm", json={"code": "000000"}, headers=user.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_two_factor_code"


async def test_login_takes_two_steps_and_a_code_works_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        traveller.shift(timedelta(seconds=30))
        code = current_code(user)
        first = await client.post(
            "/v1/auth/mfa", json={"mfa_token": await _mfa_token(client, user.email), "code": code}
        )
        assert first.status_code == 200, first.text
        assert first.json()["access_token"]
        replay = await client.post(
            "/v1/auth/mfa", json={"mfa_token": await _mfa_token(client, user.email), "code": code}
        )
        assert replay.status_code == 401
        assert replay.json()["code"] == "invalid_credentials"
        traveller.shift(timedelta(seconds=30))
        next_step = await client.post(
            "/v1/auth/mfa",
            json={"mfa_token": await _mfa_token(client, user.email), "code": current_code(user)},
        )
        assert next_step.status_code == 200


async def test_codes_of_adjacent_steps_are_accepted_not_older(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        traveller.shift(timedelta(minutes=5))
        too_old = current_code(user, offset_steps=-2)
        response = await client.post(
            "/v1/auth/mfa",
            json={"mfa_token": await _mfa_token(client, user.email), "code": too_old},
        )
        assert response.status_code == 401
        previous = current_code(user, offset_steps=-1)
        response = await client.post(
            "/v1/auth/mfa",
            json={"mfa_token": await _mfa_token(client, user.email), "code": previous},
        )
        assert response.status_code == 200


async def test_mfa_token_cannot_be_used_twice(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        mfa_token = await _mfa_token(client, user.email)
        traveller.shift(timedelta(seconds=30))
        assert (
            await client.post(
                "/v1/auth/mfa", json={"mfa_token": mfa_token, "code": current_code(user)}
            )
        ).status_code == 200
        traveller.shift(timedelta(seconds=30))
        again = await client.post(
            "/v1/auth/mfa", json={"mfa_token": mfa_token, "code": current_code(user)}
        )
        assert again.status_code == 401


async def test_emergency_code_works_once(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    await enable_two_factor(client, user)
    code = user.emergency_codes[0]
    ok = await client.post(
        "/v1/auth/mfa",
        json={"mfa_token": await _mfa_token(client, user.email), "emergency_code": code.upper()},
    )
    assert ok.status_code == 200
    again = await client.post(
        "/v1/auth/mfa",
        json={"mfa_token": await _mfa_token(client, user.email), "emergency_code": code},
    )
    assert again.status_code == 401


async def test_emergency_codes_are_stored_keyed_and_converted_digests_still_work(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    await enable_two_factor(client, user)
    plain = {digest(code.replace("-", "")) for code in user.emergency_codes}
    async with db.sessionmaker.begin() as session:
        stored = set(
            await session.scalars(
                select(EmergencyCode.code_digest).where(EmergencyCode.account_id == user.account_id)
            )
        )
        assert len(stored) == 10
        assert not stored & plain, "an unsalted SHA-256 of a short code can be brute-forced"
        # A code stored before the keyed digests, as the migration converts it.
        legacy = "abcde23456"
        session.add(
            EmergencyCode(
                id=uuid.uuid4(),
                account_id=user.account_id,
                code_digest=keyed(digest(legacy), purpose="emergency-code"),
            )
        )
    ok = await client.post(
        "/v1/auth/mfa",
        json={"mfa_token": await _mfa_token(client, user.email), "emergency_code": "abcde-23456"},
    )
    assert ok.status_code == 200, ok.text


async def test_disable_needs_password_and_code(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        traveller.shift(timedelta(seconds=30))
        wrong_password = await client.post(
            "/v1/account/two-factor/disable",
            json={"password": "not it at all", "code": current_code(user)},
            headers=user.headers,
        )
        assert wrong_password.status_code == 403
        no_code = await client.post(
            "/v1/account/two-factor/disable", json={"password": user.password}, headers=user.headers
        )
        assert no_code.status_code == 403
        assert no_code.json()["code"] == "two_factor_code_required"
        done = await client.post(
            "/v1/account/two-factor/disable",
            json={"password": user.password, "code": current_code(user)},
            headers=user.headers,
        )
        assert done.status_code == 204
    assert (await log_in(client, user.email)).json()["status"] == "authenticated"


async def test_regenerated_emergency_codes_replace_the_old(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        traveller.shift(timedelta(seconds=30))
        response = await client.post(
            "/v1/account/two-factor/emergency-codes",
            json={"code": current_code(user)},
            headers=user.headers,
        )
        new_codes = response.json()["emergency_codes"]
    old = await client.post(
        "/v1/auth/mfa",
        json={
            "mfa_token": await _mfa_token(client, user.email),
            "emergency_code": user.emergency_codes[1],
        },
    )
    assert old.status_code == 401
    new = await client.post(
        "/v1/auth/mfa",
        json={"mfa_token": await _mfa_token(client, user.email), "emergency_code": new_codes[0]},
    )
    assert new.status_code == 200


async def test_enrolment_needs_a_recent_authentication(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    with time_machine.travel(clock.now() + timedelta(minutes=11), tick=False):
        refreshed = (
            await client.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
        ).json()
        headers = {"Authorization": f"Bearer {refreshed['access_token']}"}
        response = await client.post("/v1/account/two-factor/enrollment", headers=headers)
        assert response.status_code == 403
        assert response.json()["code"] == "reauthentication_required"
        reauth = await client.post(
            "/v1/auth/reauthenticate", json={"password": user.password}, headers=headers
        )
        assert reauth.status_code == 204
        assert (
            await client.post("/v1/account/two-factor/enrollment", headers=headers)
        ).status_code == 200


async def test_concurrent_replay_of_one_code_succeeds_once(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with time_machine.travel(clock.now(), tick=False) as traveller:
            user = await signed_in_user(client, committed_db)
            await enable_two_factor(client, user)
            traveller.shift(timedelta(seconds=30))
            tokens = [await _mfa_token(client, user.email) for _ in range(8)]
            code = current_code(user)
            responses = await asyncio.gather(
                *(
                    client.post("/v1/auth/mfa", json={"mfa_token": token, "code": code})
                    for token in tokens
                )
            )
    assert sorted(response.status_code for response in responses) == [200] + [401] * 7
