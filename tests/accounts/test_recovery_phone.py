"""Recovery phone: a code is texted through the SMS gateway and confirms the number."""

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
from tests.factories import signed_in_user
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
