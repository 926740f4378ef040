"""Deliveries claimed, sent and recorded in batches: each delivery still gets its own outcome, a
claim that waited too long in its lane goes back unsent, and a quick subscription gets more
deliveries queued without ever more requests at once than its cap."""

import uuid
from datetime import timedelta

import httpx
import time_machine
from sqlalchemy import select

from app.core import clock, outbox
from app.core.db import Database
from app.core.settings import Settings
from app.webhooks.delivery import (
    BATCH_SIZE,
    LEASE,
    PER_SUBSCRIPTION,
    RETRY_DELAYS,
    TIMEOUT_SECONDS,
    WEBHOOKS,
    Claim,
    Result,
)
from app.webhooks.fanout import fan_out
from app.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from tests.factories import User, signed_in_user
from tests.mail import Mailbox
from tests.webhooks.conftest import emit_event, subscribe
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_runner import _idle, _running, _until


async def _deliveries(db: Database) -> dict[uuid.UUID, WebhookDelivery]:
    async with db.sessionmaker() as session:
        return {d.event_id: d for d in await session.scalars(select(WebhookDelivery))}


async def test_a_batch_of_outcomes_records_each_delivery_its_own(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    subscription = await subscribe(client, manager, receiver.url + "/hooks")
    events = [await emit_event(db, manager.organization_id) for _ in range(3)]
    await fan_out(db.sessionmaker)
    async with db.sessionmaker.begin() as session:
        claims = await outbox.claim_due(WEBHOOKS, session, settings, limit=10)
    by_event = {claim.payload.event_id: claim for claim in claims}
    ok, failed, lost = (by_event[event_id] for event_id in events)
    now = clock.now()

    def outcome(claim: outbox.Claim[Claim], status: int) -> outbox.Outcome:
        return Result(claim.payload, now, 12, status_code=status).outcome()

    async with db.sessionmaker.begin() as session:
        written = await outbox.record_many(
            WEBHOOKS,
            session,
            [
                (ok, outcome(ok, 204)),
                (failed, outcome(failed, 500)),
                # Another worker took this one over meanwhile: its outcome is not written.
                (outbox.Claim(**{**vars(lost), "lease_token": uuid.uuid4()}), outcome(lost, 200)),
            ],
        )

    assert written == [True, True, False]
    deliveries = await _deliveries(db)
    assert (deliveries[ok.payload.event_id].status, deliveries[ok.payload.event_id].attempts) == (
        "succeeded",
        1,
    )
    retried = deliveries[failed.payload.event_id]
    assert (retried.status, retried.attempts, retried.last_status_code) == ("pending", 1, 500)
    assert retried.lease_token is None
    assert RETRY_DELAYS[0] <= retried.next_attempt_at - now <= RETRY_DELAYS[0] * 1.2
    untouched = deliveries[lost.payload.event_id]
    assert (untouched.status, untouched.attempts, untouched.lease_token) == (
        "pending",
        0,
        lost.lease_token,
    )
    async with db.sessionmaker() as session:
        logged = {
            (a.event_id, a.succeeded, a.status_code)
            for a in await session.scalars(select(WebhookAttempt))
        }
        failing_since = await session.scalar(
            select(WebhookSubscription.failing_since).where(
                WebhookSubscription.id == uuid.UUID(subscription["id"])
            )
        )
    assert logged == {(ok.payload.event_id, True, 204), (failed.payload.event_id, False, 500)}
    assert failing_since == now  # the failure came after the success in the batch


async def test_a_claim_that_waited_too_long_in_its_lane_goes_back_unsent(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    await subscribe(client, manager, receiver.url + "/hooks")
    event_id = await emit_event(db, manager.organization_id)
    await fan_out(db.sessionmaker)
    dispatcher = outbox.Dispatcher(db.sessionmaker, settings, serialize_db=True)

    with time_machine.travel(clock.now(), tick=True) as traveller:
        assert await dispatcher.claim(WEBHOOKS) == (1, False)
        # Its lane has not sent it yet; by now a request could outlive the lease.
        traveller.shift(LEASE - timedelta(seconds=TIMEOUT_SECONDS - 1))
        await dispatcher.drain()
        given_back = clock.now()

    assert receiver.received == []
    delivery = (await _deliveries(db))[event_id]
    assert (delivery.status, delivery.attempts, delivery.lease_token) == ("pending", 0, None)
    assert delivery.next_attempt_at <= given_back  # due again at once, no attempt counted


async def test_a_claim_that_fills_a_subscription_says_more_may_be_waiting(
    client: httpx.AsyncClient, db: Database, settings: Settings, manager: User, receiver: Receiver
) -> None:
    # The runner's next claim follows a finished send only after a claim cut short: rows held
    # back by the cap must count as cut, or they would wait for the next poll.
    await subscribe(client, manager, receiver.url + "/hooks")
    for _ in range(PER_SUBSCRIPTION + 2):
        await emit_event(db, manager.organization_id)
    await fan_out(db.sessionmaker)
    dispatcher = outbox.Dispatcher(db.sessionmaker, settings, serialize_db=True)

    assert await dispatcher.claim(WEBHOOKS) == (PER_SUBSCRIPTION, True)
    await dispatcher.drain()
    assert await dispatcher.claim(WEBHOOKS) == (2, False)  # the rest, room to spare
    await dispatcher.drain()
    assert len(receiver.received) == PER_SUBSCRIPTION + 2


async def test_a_quick_subscription_gets_claims_queued_ahead_within_its_cap() -> None:
    assert WEBHOOKS.capacity(None) == PER_SUBSCRIPTION  # nothing known yet: one per lane
    assert WEBHOOKS.capacity(5.0) == PER_SUBSCRIPTION  # slow: one per lane
    assert WEBHOOKS.capacity(0.1) == PER_SUBSCRIPTION * 10  # a second of work queued ahead
    assert WEBHOOKS.capacity(0.001) == BATCH_SIZE  # never more than one claim's batch


async def test_a_quick_subscription_never_gets_more_requests_at_once_than_its_cap(
    committed_client: httpx.AsyncClient, committed_db: Database, mailbox: Mailbox
) -> None:
    delay = 0.05
    receiver = Receiver(delay_seconds=delay).start()
    try:
        user = await signed_in_user(committed_client, committed_db)
        await subscribe(committed_client, user, receiver.url + "/hooks")
        async with _running(committed_db, mailbox.settings):
            emitted = [await emit_event(committed_db, user.organization_id) for _ in range(40)]
            await _until(lambda: _idle(committed_db), within=30)
    finally:
        receiver.stop()

    assert receiver.ids() == {str(event_id): 1 for event_id in emitted}
    arrivals = sorted(request.at for request in receiver.received)
    # Each request is held ``delay``: those arriving within it were sent at the same time.
    at_once = max(sum(1 for s in arrivals if t <= s < t + delay * 0.9) for t in arrivals)
    assert at_once <= PER_SUBSCRIPTION
