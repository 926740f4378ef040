"""The outbox runner as the worker runs it (real commits, real notifications, real servers): a
slow receiver delays nobody else, and a notification wakes the runner before its poll."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import func, select

from app.core import outbox
from app.core.db import Database
from app.core.settings import Settings
from app.events.service import emit
from app.notifications.models import MailMessage, MailStatus
from app.notifications.service import queue_mail
from app.webhooks.delivery import PER_SUBSCRIPTION
from app.webhooks.models import DeliveryStatus, WebhookDelivery
from app.worker import KINDS
from tests.factories import signed_in_user
from tests.mail import Mailbox
from tests.notifications.samples import sample_context
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver

POLL_SECONDS = 30.0
"""Far longer than any delay the tests accept: what is sent in time was woken by NOTIFY."""
SLOW_SECONDS = 5.0


async def _until(
    condition: Callable[[], Awaitable[bool] | bool], *, within: float, step: float = 0.01
) -> float:
    """Waits until ``condition`` holds; returns when (``time.monotonic``). Fails after
    ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return time.monotonic()
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(step)


async def _idle(db: Database) -> bool:
    """Nothing pending in the mail outbox nor in the webhook deliveries (fanned out or not)."""
    async with db.sessionmaker() as session:
        mails = await session.scalar(
            select(func.count()).where(MailMessage.status == MailStatus.pending)
        )
        deliveries = await session.scalar(
            select(func.count()).where(WebhookDelivery.status == DeliveryStatus.pending)
        )
    return not mails and not deliveries


@asynccontextmanager
async def _running(db: Database, settings: Settings) -> AsyncIterator[outbox.Runner]:
    runner = outbox.Runner(db.sessionmaker, settings, kinds=KINDS, poll_seconds=POLL_SECONDS)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop, grace_seconds=SLOW_SECONDS + 2))
    try:
        await _until(runner.listening.is_set, within=5)
        yield runner
    finally:
        stop.set()
        await task


async def test_a_slow_receiver_delays_neither_mail_nor_other_subscriptions(
    committed_client: httpx.AsyncClient, committed_db: Database, mailbox: Mailbox
) -> None:
    slow = Receiver(delay_seconds=SLOW_SECONDS).start()
    fast = Receiver().start()
    try:
        user = await signed_in_user(committed_client, committed_db)
        await subscribe(committed_client, user, slow.url + "/slow")
        await subscribe(committed_client, user, fast.url + "/fast")
        async with _running(committed_db, mailbox.settings):
            await _until(lambda: _idle(committed_db), within=10)  # the sign-up's own mails
            slow.received.clear()
            fast.received.clear()

            # A webhook event and a mail, queued at the same moment.
            async with committed_db.sessionmaker.begin() as session:
                await emit(
                    session, "member.added", {"note": "now"}, organization_id=user.organization_id
                )
                await queue_mail(
                    session,
                    to="ada@example.test",
                    template="password_reset",
                    language="en",
                    context=sample_context("password_reset", recipient_name="Ada"),
                )
            queued = time.monotonic()

            mail_at = await _until(lambda: bool(mailbox.messages_to("ada@example.test")), within=5)
            fast_at = await _until(lambda: bool(fast.received), within=5)
            slow_at = await _until(lambda: bool(slow.received), within=5)
            # While the slow receiver still holds its request, a second event reaches the fast.
            async with committed_db.sessionmaker.begin() as session:
                await emit(session, "member.added", {"n": 2}, organization_id=user.organization_id)
            second = time.monotonic()
            second_at = await _until(lambda: len(fast.received) == 2, within=5)
            assert second_at - slow_at < SLOW_SECONDS  # the slow one had not answered yet
            answered_at = await _until(lambda: _idle(committed_db), within=SLOW_SECONDS + 5)
    finally:
        slow.stop()
        fast.stop()

    mail_delay, fast_delay = mail_at - queued, fast_at - queued
    second_delay = second_at - second
    print(  # noqa: T201 - the figures, for the report (pytest -s)
        f"mail {mail_delay:.3f} s, fast subscription {fast_delay:.3f} s "
        f"(second event {second_delay:.3f} s), slow subscription received "
        f"{slow_at - queued:.3f} s, all answered {answered_at - queued:.3f} s"
    )
    assert mail_delay < 1.0
    assert fast_delay < 1.0
    assert second_delay < 1.0
    assert answered_at - queued >= SLOW_SECONDS  # the slow one was really slow meanwhile
    assert [request.path for request in fast.received] == ["/fast", "/fast"]


async def test_a_notification_wakes_the_runner_before_its_poll(
    committed_db: Database, mailbox: Mailbox
) -> None:
    async with _running(committed_db, mailbox.settings):
        await _until(lambda: _idle(committed_db), within=10)
        await asyncio.sleep(0.2)  # the runner is waiting for its next poll, 30 s away

        async with committed_db.sessionmaker.begin() as session:
            await queue_mail(
                session,
                to="bob@example.test",
                template="password_reset",
                language="en",
                context=sample_context("password_reset", recipient_name="Bob"),
            )
        queued = time.monotonic()
        arrived = await _until(lambda: bool(mailbox.messages_to("bob@example.test")), within=5)

    print(f"mail woken by NOTIFY after {arrived - queued:.3f} s")  # noqa: T201
    assert arrived - queued < 1.0


async def test_a_slow_subscription_gets_at_most_its_cap_of_requests_at_once(
    committed_client: httpx.AsyncClient, committed_db: Database, mailbox: Mailbox
) -> None:
    # Each answer takes long enough for every request the runners may send at once to overlap.
    receiver = Receiver(delay_seconds=2.0).start()
    try:
        user = await signed_in_user(committed_client, committed_db)
        await subscribe(committed_client, user, receiver.url + "/hooks")
        async with _running(committed_db, mailbox.settings):
            await _until(lambda: _idle(committed_db), within=10)
            async with committed_db.sessionmaker.begin() as session:
                for number in range(PER_SUBSCRIPTION + 2):
                    await emit(
                        session, "member.added", {"n": number}, organization_id=user.organization_id
                    )
            await _until(lambda: len(receiver.received) == PER_SUBSCRIPTION + 2, within=15)
            await _until(lambda: _idle(committed_db), within=10)
    finally:
        receiver.stop()

    assert len(receiver.received) == PER_SUBSCRIPTION + 2
    assert receiver.most_in_flight == PER_SUBSCRIPTION  # never more, and the cap was used
