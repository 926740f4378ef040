import uuid
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.core import clock, outbox
from app.core.db import Database
from app.core.settings import Settings
from app.webhooks.delivery import (
    LEASE,
    MAX_ATTEMPTS,
    PER_SUBSCRIPTION,
    RETRY_DELAYS,
    WEBHOOKS,
    deliver_due,
)
from app.webhooks.fanout import fan_out
from app.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import User
from tests.mail import Mailbox
from tests.webhooks.conftest import emit_event, run_worker, subscribe, subscriptions_url
from tests.webhooks.receiver import Answer, Receiver


async def _delivery(db: Database, event_id: uuid.UUID) -> WebhookDelivery:
    async with db.sessionmaker() as session:
        delivery = await session.scalar(
            select(WebhookDelivery).where(WebhookDelivery.event_id == event_id)
        )
    assert delivery is not None
    return delivery


async def _subscription(db: Database, subscription_id: str) -> WebhookSubscription:
    async with db.sessionmaker() as session:
        subscription = await session.get(WebhookSubscription, uuid.UUID(subscription_id))
    assert subscription is not None
    return subscription


def _mail_about(mailbox: Mailbox, address: str, target_url: str) -> bool:
    """Whether ``address`` was told that the subscription to ``target_url`` was disabled."""
    return any(
        target_url in Mailbox.text(message) and "webhook" in str(message["Subject"]).lower()
        for message in mailbox.messages_to(address)
    )


async def test_deliveries_are_signed_per_standard_webhooks(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    event_id = await emit_event(db, manager.organization_id, "member.added", role="collaborator")

    assert await run_worker(db, settings) == 1

    [request] = receiver.received
    payload = Webhook(subscription["secret"]).verify(request.body, request.headers)
    assert request.headers["webhook-id"] == str(event_id)
    assert payload["id"] == str(event_id)
    assert payload["type"] == "member.added"
    assert payload["data"] == {"note": "test", "role": "collaborator"}
    assert payload["organization_id"] == str(manager.organization_id)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 44).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription["secret"]).verify(request.body + b" ", request.headers)


async def test_only_matching_active_subscriptions_receive_an_event(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    await subscribe(client, manager, receiver.url + "/members", ["member.*"])
    await subscribe(client, manager, receiver.url + "/products", ["product.created"])
    paused = await subscribe(client, manager, receiver.url + "/paused", ["*"])
    await client.patch(
        f"{subscriptions_url(manager)}/{paused['id']}",
        json={"active": False},
        headers=manager.headers,
    )

    await emit_event(db, manager.organization_id, "member.role_changed")
    await run_worker(db, settings)

    assert [request.path for request in receiver.received] == ["/members"]


async def test_an_event_is_fanned_out_once(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    await subscribe(client, manager, receiver.url + "/hooks")
    await emit_event(db, manager.organization_id)

    assert await fan_out(db.sessionmaker) >= 1  # sign-up's events too
    assert await fan_out(db.sessionmaker) == 0
    await run_worker(db, settings)

    assert len(receiver.received) == 1


async def test_after_a_rotation_both_signatures_are_sent_for_a_day(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    rotated = await client.post(
        f"{subscriptions_url(manager)}/{subscription['id']}/secret/rotate",
        headers=manager.headers,
    )
    new_secret = rotated.json()["secret"]

    await emit_event(db, manager.organization_id)
    await run_worker(db, settings)
    request = receiver.received[-1]
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(subscription["secret"]).verify(request.body, request.headers)
    Webhook(new_secret).verify(request.body, request.headers)

    with time_machine.travel(clock.now() + timedelta(hours=24, minutes=1), tick=True):
        await emit_event(db, manager.organization_id)
        await run_worker(db, settings)
        request = receiver.received[-1]
        assert len(request.headers["webhook-signature"].split(" ")) == 1
        Webhook(new_secret).verify(request.body, request.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(subscription["secret"]).verify(request.body, request.headers)


async def test_a_failed_delivery_is_retried_on_schedule_until_it_succeeds(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    receiver.answer(Answer(500, body=b"database down"), Answer(502))
    event_id = await emit_event(db, manager.organization_id)

    assert await run_worker(db, settings) == 1
    first = await _delivery(db, event_id)
    assert first.status == "pending"
    assert first.attempts == 1
    wait = first.next_attempt_at - clock.now()
    assert RETRY_DELAYS[0] - timedelta(seconds=1) < wait <= RETRY_DELAYS[0] * 1.1
    assert await run_worker(db, settings) == 0  # not due yet

    with time_machine.travel(clock.now(), tick=True) as traveller:
        traveller.shift(RETRY_DELAYS[0] * 1.2)
        assert await run_worker(db, settings) == 1
        second = await _delivery(db, event_id)
        assert second.attempts == 2
        assert RETRY_DELAYS[1] <= second.next_attempt_at - clock.now() <= RETRY_DELAYS[1] * 1.1
        traveller.shift(RETRY_DELAYS[1] * 1.2)
        assert await run_worker(db, settings) == 1

    delivered = await _delivery(db, event_id)
    assert delivered.status == "succeeded"
    assert delivered.delivered_at is not None
    assert receiver.ids() == {str(event_id): 3}
    log = await client.get(
        f"{subscriptions_url(manager)}/{subscription['id']}/attempts", headers=manager.headers
    )
    attempts = log.json()["data"]
    assert [a["status_code"] for a in attempts] == [200, 502, 500]
    assert [a["succeeded"] for a in attempts] == [True, False, False]
    assert attempts[2]["response_excerpt"] == "database down"
    assert all(a["duration_ms"] >= 0 for a in attempts)
    assert (await _subscription(db, subscription["id"])).failing_since is None


async def test_a_delivery_fails_after_the_last_retry(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    receiver.default = Answer(500)
    event_id = await emit_event(db, manager.organization_id)

    await run_worker(db, settings)
    with time_machine.travel(clock.now(), tick=True) as traveller:
        for delay in RETRY_DELAYS:
            traveller.shift(delay * 1.2)
            assert await run_worker(db, settings) == 1

    failed = await _delivery(db, event_id)
    assert failed.status == "failed"
    assert failed.attempts == MAX_ATTEMPTS == 10
    assert len(receiver.received) == 10
    deliveries = await client.get(
        f"{subscriptions_url(manager)}/{subscription['id']}/deliveries?status=failed",
        headers=manager.headers,
    )
    [listed] = deliveries.json()["data"]
    assert listed["next_attempt_at"] is None
    assert listed["last_status_code"] == 500


async def test_410_gone_disables_the_subscription(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    manager: User,
    receiver: Receiver,
    mailbox: Mailbox,
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    receiver.answer(Answer(410))
    first = await emit_event(db, manager.organization_id)

    await run_worker(db, settings)
    await emit_event(db, manager.organization_id)
    await run_worker(db, settings)

    disabled = await _subscription(db, subscription["id"])
    assert disabled.active is False
    assert disabled.disabled_reason == "gone"
    assert (await _delivery(db, first)).status == "failed"
    assert len(receiver.received) == 1  # nothing more is sent
    await mailbox.deliver(db.sessionmaker)
    assert _mail_about(mailbox, manager.email, receiver.url + "/hooks")


async def test_429_and_503_honour_retry_after(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    await subscribe(client, manager, receiver.url + "/hooks")
    receiver.answer(Answer(429, {"Retry-After": "120"}))
    event_id = await emit_event(db, manager.organization_id)

    await run_worker(db, settings)

    delivery = await _delivery(db, event_id)
    wait = delivery.next_attempt_at - clock.now()
    assert timedelta(seconds=115) < wait <= timedelta(seconds=120)
    with time_machine.travel(clock.now() + timedelta(seconds=60), tick=True):
        assert await run_worker(db, settings) == 0
    receiver.answer(Answer(503, {"Retry-After": "3600"}))
    with time_machine.travel(clock.now() + timedelta(seconds=121), tick=True):
        assert await run_worker(db, settings) == 1
        delivery = await _delivery(db, event_id)
        assert delivery.next_attempt_at - clock.now() > timedelta(minutes=59)


async def test_redirects_are_not_followed(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    await subscribe(client, manager, receiver.url + "/hooks")
    receiver.answer(Answer(307, {"Location": receiver.url + "/elsewhere"}))
    event_id = await emit_event(db, manager.organization_id)

    await run_worker(db, settings)

    assert [request.path for request in receiver.received] == ["/hooks"]
    delivery = await _delivery(db, event_id)
    assert delivery.status == "pending"
    assert delivery.last_status_code == 307


async def test_a_subscription_failing_for_five_days_is_disabled_and_managers_are_told(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    manager: User,
    receiver: Receiver,
    mailbox: Mailbox,
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    receiver.default = Answer(500)
    await emit_event(db, manager.organization_id)
    await run_worker(db, settings)
    assert (await _subscription(db, subscription["id"])).failing_since is not None

    with time_machine.travel(clock.now(), tick=True) as traveller:
        traveller.shift(timedelta(days=4))
        await emit_event(db, manager.organization_id)
        await run_worker(db, settings)
        assert (await _subscription(db, subscription["id"])).active is True
        traveller.shift(timedelta(days=1, minutes=1))
        await emit_event(db, manager.organization_id)
        await run_worker(db, settings)
        disabled = await _subscription(db, subscription["id"])
        await mailbox.deliver(db.sessionmaker)

    assert disabled.active is False
    assert disabled.disabled_reason == "failing"
    assert _mail_about(mailbox, manager.email, receiver.url + "/hooks")


async def test_a_success_ends_the_run_of_failures(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    receiver.answer(Answer(500))
    await emit_event(db, manager.organization_id)
    await run_worker(db, settings)
    await emit_event(db, manager.organization_id)
    await run_worker(db, settings)

    with time_machine.travel(clock.now() + timedelta(days=6), tick=True):
        receiver.answer(Answer(500))  # the run of failures starts again here
        await emit_event(db, manager.organization_id)
        await run_worker(db, settings)
        assert (await _subscription(db, subscription["id"])).active is True


async def test_an_attempt_interrupted_mid_flight_is_logged_as_such_and_retried_after_its_lease(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    event_id = await emit_event(db, manager.organization_id)
    await fan_out(db.sessionmaker)

    async with db.sessionmaker.begin() as session:  # the worker dies before any outcome
        [abandoned] = await outbox.claim_due(WEBHOOKS, session, settings, limit=10)
    assert await deliver_due(db.sessionmaker, settings) == 0  # leased: nobody else sends it

    with time_machine.travel(clock.now() + LEASE + timedelta(seconds=1), tick=True):
        assert await deliver_due(db.sessionmaker, settings) == 1
        # The dead worker's result, should it ever be written, no longer counts.
        async with db.sessionmaker.begin() as session:
            assert not await outbox.record(
                WEBHOOKS, session, abandoned, outbox.Outcome(error="HTTP 500")
            )

    assert receiver.ids() == {str(event_id): 1}
    delivery = await _delivery(db, event_id)
    assert delivery.status == "succeeded"
    assert delivery.attempts == 2  # the interrupted one counts
    log = await client.get(
        f"{subscriptions_url(manager)}/{subscription['id']}/attempts", headers=manager.headers
    )
    attempts = log.json()["data"]
    assert [(a["succeeded"], a["error"]) for a in attempts] == [
        (True, None),
        (False, "interrupted"),
    ]


async def test_an_attempt_interrupted_on_the_last_try_fails_the_delivery(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    await subscribe(client, manager, receiver.url + "/hooks")
    event_id = await emit_event(db, manager.organization_id)
    await fan_out(db.sessionmaker)
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.event_id == event_id)
            .values(attempts=MAX_ATTEMPTS - 1)
        )
        await outbox.claim_due(WEBHOOKS, session, settings, limit=10)

    with time_machine.travel(clock.now() + LEASE + timedelta(seconds=1), tick=True):
        assert await deliver_due(db.sessionmaker, settings) == 0

    delivery = await _delivery(db, event_id)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (
        "failed",
        MAX_ATTEMPTS,
        "interrupted",
    )
    assert receiver.received == []


async def test_targets_on_private_addresses_are_refused_in_production(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    target = receiver.url.replace("http://", "https://") + "/hooks"
    subscription = await subscribe(client, manager, target)
    production = settings.model_copy(update={"environment": "production"})
    event_id = await emit_event(db, manager.organization_id)

    await run_worker(db, production)

    assert receiver.received == []
    delivery = await _delivery(db, event_id)
    assert delivery.status == "pending"
    assert delivery.last_status_code is None
    assert "127.0.0.1 is not a public address" in (delivery.last_error or "")
    log = await client.get(
        f"{subscriptions_url(manager)}/{subscription['id']}/attempts", headers=manager.headers
    )
    assert "not a public address" in log.json()["data"][0]["error"]


async def test_a_test_ping_goes_to_one_subscription_only(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    pinged = await subscribe(client, manager, receiver.url + "/pinged", ["order.*"])
    await subscribe(client, manager, receiver.url + "/other", ["*"])

    response = await client.post(
        f"{subscriptions_url(manager)}/{pinged['id']}/test", headers=manager.headers
    )
    assert response.status_code == 202
    await run_worker(db, settings)

    [request] = receiver.received
    assert request.path == "/pinged"
    payload = Webhook(pinged["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    assert payload["organization_id"] == str(manager.organization_id)
    assert response.json()["event_id"] == payload["id"]


async def test_one_event_can_be_redelivered_with_the_same_webhook_id(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    event_id = await emit_event(db, manager.organization_id)
    await run_worker(db, settings)

    response = await client.post(
        f"{subscriptions_url(manager)}/{subscription['id']}/events/{event_id}/redeliver",
        headers=manager.headers,
    )
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    await run_worker(db, settings)

    assert receiver.ids() == {str(event_id): 2}
    unknown = await client.post(
        f"{subscriptions_url(manager)}/{subscription['id']}/events/{uuid.uuid4()}/redeliver",
        headers=manager.headers,
    )
    assert unknown.status_code == 404


async def test_failed_deliveries_since_a_date_can_be_redelivered(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    since = clock.now()
    receiver.answer(Answer(410))
    gone = await emit_event(db, manager.organization_id)
    await run_worker(db, settings)
    assert (await _delivery(db, gone)).status == "failed"
    url = f"{subscriptions_url(manager)}/{subscription['id']}"
    await client.patch(url, json={"active": True}, headers=manager.headers)

    response = await client.post(
        f"{url}/redeliver-failed", json={"since": since.isoformat()}, headers=manager.headers
    )

    assert response.status_code == 202
    assert response.json() == {"queued": 1}
    await run_worker(db, settings)
    assert receiver.ids() == {str(gone): 2}
    assert (await _delivery(db, gone)).status == "succeeded"


async def test_a_claim_takes_at_most_the_cap_of_one_subscription_and_none_of_a_busy_one(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    crowded = await subscribe(client, manager, receiver.url + "/crowded", ["member.*"])
    other = await subscribe(client, manager, receiver.url + "/other", ["product.*"])
    for _ in range(PER_SUBSCRIPTION + 2):
        await emit_event(db, manager.organization_id, "member.added")
    await emit_event(db, manager.organization_id, "product.created")
    await fan_out(db.sessionmaker)

    async with db.sessionmaker.begin() as session:
        busy = frozenset({crowded["id"]})
        [claim] = await outbox.claim_due(WEBHOOKS, session, settings, limit=50, busy=busy)
        assert claim.target == other["id"]
        claims = await outbox.claim_due(WEBHOOKS, session, settings, limit=50)
    assert [c.target for c in claims] == [crowded["id"]] * PER_SUBSCRIPTION
