"""Several workers delivering at once never send a mail twice (real commits, real locks)."""

import asyncio

from app.core.db import Database
from app.notifications.delivery import deliver_due
from app.notifications.models import MailStatus
from tests.mail import Mailbox
from tests.notifications.samples import outbox_by_address, queue_samples


async def test_concurrent_workers_never_send_a_mail_twice(
    committed_db: Database, mailbox: Mailbox
) -> None:
    addresses = [f"user{i}@example.test" for i in range(30)]
    await queue_samples(committed_db, *addresses)

    async def worker() -> None:
        while await deliver_due(committed_db.sessionmaker, mailbox.settings, batch_size=4):
            pass

    await asyncio.gather(worker(), worker(), worker())

    received = sorted(str(message["To"]) for message in mailbox.server.messages)
    assert [address for address in received if address in addresses] == sorted(addresses)
    outbox = await outbox_by_address(committed_db)
    assert {outbox[address].status for address in addresses} == {MailStatus.sent}
    assert {outbox[address].attempts for address in addresses} == {1}
