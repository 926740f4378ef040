"""Recovery phone: a code is texted through the SMS gateway and confirms the number; a confirmed
recovery phone can then receive a password reset code, and the reset still asks for 2FA."""

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import time_machine

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.notifications import sms
from tests.factories import (
    User,
    current_code,
    enable_two_factor,
    log_in,
    signed_in_user,
    unique_email,
)
from tests.webhooks.receiver import Answer, Receiver


@pytest.fixture
def gateway() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def _code(received_text: str) -> str:
    match = re.search(r"\b(\d{6})\b", received_text)
    assert match, received_text
    return match.group(1)


async def test_code_texted_by_the_gateway_confirms_the_phone(
    client: httpx.AsyncClient, db: Database, settings: Settings, gateway: Receiver
) -> None:
    user = await signed_in_user(client, db)
    gateway_settings = settings.model_copy(
        update={"sms_gateway_url": f"{gateway.url}/messages", "sms_sender": "Manager"}
    )
    response = await client.put(
        "/v1/account/recovery-phone", json={"phone": "+41 79 123 45 67"}, headers=user.headers
    )
    assert response.status_code == 202
    assert await sms.deliver_due(db.sessionmaker, gateway_settings) == 1
    [request] = gateway.received
    assert request.path == "/messages"
    assert request.json["to"] == "+41 79 123 45 67"
    code = _code(request.json["text"])

    wrong = "000000" if code != "000000" else "111111"
    refused = await client.post(
        "/v1/account/recovery-phone/confirm", json={"code": wrong}, headers=user.headers
    )
    assert refused.status_code == 400
    confirmed = await client.post(
        "/v1/account/recovery-phone/confirm", json={"code": code}, headers=user.headers
    )
    assert confirmed.status_code == 204
    me = (await client.get("/v1/account", headers=user.headers)).json()
    assert (me["recovery_phone"], me["recovery_phone_confirmed"]) == ("+41 79 123 45 67", True)


async def test_gateway_failure_is_retried_later(
    client: httpx.AsyncClient, db: Database, settings: Settings, gateway: Receiver
) -> None:
    user = await signed_in_user(client, db)
    gateway_settings = settings.model_copy(update={"sms_gateway_url": gateway.url})
    gateway.answer(Answer(status=503))
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await client.put(
            "/v1/account/recovery-phone", json={"phone": "+41791234567"}, headers=user.headers
        )
        assert await sms.deliver_due(db.sessionmaker, gateway_settings) == 1
        assert await sms.deliver_due(db.sessionmaker, gateway_settings) == 0  # not due yet
        traveller.shift(timedelta(minutes=1))
        assert await sms.deliver_due(db.sessionmaker, gateway_settings) == 1
    assert len(gateway.received) == 2


async def test_guessing_the_code_is_limited(settings: Settings, committed_db: Database) -> None:
    # Really committed: the count of tries must survive the refused requests' rollbacks.
    app = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        user = await signed_in_user(client, committed_db)
        await client.put(
            "/v1/account/recovery-phone", json={"phone": "+41791234567"}, headers=user.headers
        )
        with time_machine.travel(clock.now(), tick=False):
            statuses = [
                (
                    await client.post(
                        "/v1/account/recovery-phone/confirm",
                        json={"code": f"{guess:06d}"},
                        headers=user.headers,
                    )
                ).status_code
                for guess in range(6)
            ]
    assert statuses[5] == 429
    assert set(statuses[:5]) <= {400, 204}


async def _confirm_recovery_phone(
    client: httpx.AsyncClient, db: Database, settings: Settings, user: User, phone: str
) -> None:
    """Sets ``phone`` as ``user``'s recovery phone and confirms it with the texted code."""
    gateway = Receiver().start()
    try:
        response = await client.put(
            "/v1/account/recovery-phone", json={"phone": phone}, headers=user.headers
        )
        assert response.status_code == 202, response.text
        await sms.deliver_due(
            db.sessionmaker, settings.model_copy(update={"sms_gateway_url": gateway.url})
        )
        [request] = gateway.received
        confirmed = await client.post(
            "/v1/account/recovery-phone/confirm",
            json={"code": _code(request.json["text"])},
            headers=user.headers,
        )
        assert confirmed.status_code == 204, confirmed.text
    finally:
        gateway.stop()


async def test_reset_code_texted_to_the_recovery_phone_still_needs_the_second_factor(
    client: httpx.AsyncClient, db: Database, settings: Settings, gateway: Receiver
) -> None:
    user = await signed_in_user(client, db)
    gateway_settings = settings.model_copy(update={"sms_gateway_url": gateway.url})
    new_password = "a fresh and long passphrase"
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await enable_two_factor(client, user)
        await _confirm_recovery_phone(client, db, settings, user, "+41 79 765 43 21")
        asked = await client.post(
            "/v1/password-resets", json={"email": user.email, "channel": "sms"}
        )
        assert asked.status_code == 202
        assert await sms.deliver_due(db.sessionmaker, gateway_settings) == 1
        [text] = gateway.received
        assert text.json["to"] == "+41 79 765 43 21"
        assert "reset" in text.json["text"]
        code = _code(text.json["text"])

        wrong = "000000" if code != "000000" else "111111"
        refused = await client.post(
            "/v1/password-resets/sms-code", json={"email": user.email, "code": wrong}
        )
        assert refused.json()["code"] == "invalid_or_expired_token"
        exchanged = await client.post(
            "/v1/password-resets/sms-code", json={"email": user.email, "code": code}
        )
        assert exchanged.status_code == 200, exchanged.text
        token = exchanged.json()["token"]
        again = await client.post(
            "/v1/password-resets/sms-code", json={"email": user.email, "code": code}
        )
        assert again.status_code == 400  # single use

        without = await client.post(
            "/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
        )
        assert (without.status_code, without.json()["code"]) == (403, "two_factor_code_required")
        traveller.shift(timedelta(seconds=30))
        done = await client.post(
            "/v1/password-resets/confirm",
            json={"token": token, "new_password": new_password, "code": current_code(user)},
        )
        assert done.status_code == 204, done.text
    assert (await client.get("/v1/account", headers=user.headers)).status_code == 401
    assert (await log_in(client, user.email, new_password)).json()["status"] == "mfa_required"


async def test_reset_code_expires_after_15_minutes(
    client: httpx.AsyncClient, db: Database, settings: Settings, gateway: Receiver
) -> None:
    user = await signed_in_user(client, db)
    gateway_settings = settings.model_copy(update={"sms_gateway_url": gateway.url})
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await _confirm_recovery_phone(client, db, settings, user, "+41791112233")
        await client.post("/v1/password-resets", json={"email": user.email, "channel": "sms"})
        await sms.deliver_due(db.sessionmaker, gateway_settings)
        code = _code(gateway.received[0].json["text"])
        traveller.shift(timedelta(minutes=15, seconds=1))
        late = await client.post(
            "/v1/password-resets/sms-code", json={"email": user.email, "code": code}
        )
    assert (late.status_code, late.json()["code"]) == (400, "invalid_or_expired_token")


async def test_without_a_confirmed_recovery_phone_the_reset_link_is_mailed_instead(
    client: httpx.AsyncClient, db: Database, settings: Settings, gateway: Receiver, mailbox
) -> None:  # type: ignore[no-untyped-def]
    user = await signed_in_user(client, db)
    await client.put(  # set, never confirmed
        "/v1/account/recovery-phone", json={"phone": "+41791234567"}, headers=user.headers
    )
    gateway_settings = settings.model_copy(update={"sms_gateway_url": gateway.url})
    for email in (user.email, unique_email("nobody")):
        asked = await client.post("/v1/password-resets", json={"email": email, "channel": "sms"})
        assert asked.status_code == 202
    assert await sms.deliver_due(db.sessionmaker, gateway_settings) == 1
    [only] = gateway.received  # the confirmation code, no reset code
    assert "reset" not in only.json["text"]
    await mailbox.deliver(db.sessionmaker)
    assert "token=" in mailbox.link_to(user.email, "reset-password")


async def test_reset_codes_are_texted_at_most_three_times_an_hour(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    user = await signed_in_user(client, db)
    await _confirm_recovery_phone(client, db, settings, user, "+41795556677")
    with time_machine.travel(clock.now(), tick=False) as traveller:
        statuses = [
            (
                await client.post(
                    "/v1/password-resets", json={"email": user.email, "channel": "sms"}
                )
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [202, 202, 202, 429]
        traveller.shift(timedelta(hours=1))
        later = await client.post(
            "/v1/password-resets", json={"email": user.email, "channel": "sms"}
        )
    assert later.status_code == 202


async def test_guessing_a_reset_code_is_limited(settings: Settings, committed_db: Database) -> None:
    app = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        user = await signed_in_user(client, committed_db)
        await _confirm_recovery_phone(client, committed_db, settings, user, "+41790001122")
        await client.post("/v1/password-resets", json={"email": user.email, "channel": "sms"})
        with time_machine.travel(clock.now(), tick=False):
            statuses = [
                (
                    await client.post(
                        "/v1/password-resets/sms-code",
                        json={"email": user.email, "code": f"{guess:06d}"},
                    )
                ).status_code
                for guess in range(6)
            ]
    assert statuses[5] == 429
    assert set(statuses[:5]) <= {400, 200}
