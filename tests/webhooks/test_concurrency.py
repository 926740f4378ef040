"""Two workers on a database that really commits: no event is skipped or sent twice."""

import asyncio

import httpx

from app.core.db import Database
from app.core.settings import Settings
from app.webhooks.delivery import deliver_due
from app.webhooks.fanout import fan_out
from tests.factories import signed_in_user
from tests.webhooks.conftest import emit_event, subscribe
from tests.webhooks.receiver import Receiver

EVENTS = 40


async def _worker(db: Database, settings: Settings) -> int:
    """One worker's loop: fan out and deliver in small batches until nothing is left."""
    handled = 0
    while True:
        fanned = await fan_out(db.sessionmaker, batch_size=3)
        sent = await deliver_due(db.sessionmaker, settings, batch_size=3)
        handled += sent
        if not fanned and not sent:
            return handled


async def test_two_workers_never_deliver_the_same_attempt_twice(
    committed_client: httpx.AsyncClient, committed_db: Database, settings: Settings
) -> None:
    receiver = Receiver(delay_seconds=0.01).start()
    try:
        user = await signed_in_user(committed_client, committed_db)
        await subscribe(committed_client, user, receiver.url + "/a")
        await subscribe(committed_client, user, receiver.url + "/b", ["member.*"])
        emitted = [await emit_event(committed_db, user.organization_id) for _ in range(EVENTS)]

        first, second = await asyncio.gather(
            _worker(committed_db, settings), _worker(committed_db, settings)
        )

        assert first + second == 2 * EVENTS
        assert first > 0
        assert second > 0
        by_path = {
            path: sorted(r.headers["webhook-id"] for r in receiver.received if r.path == path)
            for path in ("/a", "/b")
        }
        expected = sorted(str(event_id) for event_id in emitted)
        assert by_path == {"/a": expected, "/b": expected}
    finally:
        receiver.stop()
