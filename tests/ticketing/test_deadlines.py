"""Payment on invoice: reminders on days k·d, cancellation on day (n+1)·d, idempotent sweeps."""

import asyncio
from datetime import datetime, timedelta

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.notifications.models import MailMessage
from app.ticketing import deadlines
from app.ticketing.jobs import sweep_invoice_deadlines
from tests.ticketing.helpers import Shop, buy, fresh_headers, open_shop, sell

START = datetime(2027, 1, 4, 9, 0, tzinfo=clock.now().tzinfo)


async def mails(db: Database, template: str) -> int:
    async with db.sessionmaker() as session:
        return int(
            await session.scalar(select(func.count()).where(MailMessage.template == template)) or 0
        )


async def order_state(client: httpx.AsyncClient, shop: Shop, order_id: str) -> tuple[str, int]:
    headers = await fresh_headers(client, shop)
    order = (await client.get(f"{shop.office_path}/orders/{order_id}", headers=headers)).json()
    return order["status"], order["reminders_sent"]


async def run_days(
    client: httpx.AsyncClient,
    db: Database,
    shop: Shop,
    order_id: str,
    traveller: time_machine.Traveller,
    days: list[float],
) -> list[tuple[float, str, int]]:
    """Runs the sweep at each day (from START) and returns the order's state after each run."""
    seen = []
    for day in days:
        traveller.move_to(START + timedelta(days=day))
        await sweep_invoice_deadlines(db.sessionmaker)
        seen.append((day, *await order_state(client, shop, order_id)))
    return seen


async def test_default_schedule_reminds_on_days_10_and_20_and_cancels_on_day_30(
    client: httpx.AsyncClient,
    db: Database,
    mailbox,  # type: ignore[no-untyped-def]
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db)
        order = await buy(client, shop, method="invoice", quantity=2)
        states = await run_days(
            client, db, shop, order["id"], traveller, [9.99, 10, 10.5, 19.99, 20, 29.99, 30, 31]
        )
        assert states == [
            (9.99, "pending_payment", 0),
            (10, "pending_payment", 1),
            (10.5, "pending_payment", 1),
            (19.99, "pending_payment", 1),
            (20, "pending_payment", 2),
            (29.99, "pending_payment", 2),
            (30, "cancelled", 2),
            (31, "cancelled", 2),
        ]
        assert await mails(db, "order_payment_reminder") == 2
        assert await mails(db, "order_auto_cancelled") == 1
        event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
        assert event["performances"][0]["available"] == 100
        await mailbox.deliver(db.sessionmaker)
        received = mailbox.messages_to("jeanne@example.ch")
        # Confirmation, two reminders, cancellation — in the customer's language (fr).
        assert len(received) == 4
        reminder_text = received[1].get_body(preferencelist=("plain",)).get_content()
        assert order["number"] in reminder_text
        assert order["access_key"] in reminder_text


async def test_custom_schedule_d5_n2_reminds_on_days_5_and_10_and_cancels_on_day_15(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(
            client, db, settings={"invoice_first_reminder_days": 5, "invoice_reminder_count": 2}
        )
        order = await buy(client, shop, method="invoice")
        assert order["auto_cancel_at"].startswith((START + timedelta(days=15)).date().isoformat())
        states = await run_days(
            client, db, shop, order["id"], traveller, [4.9, 5, 9.9, 10, 14.9, 15]
        )
        assert states == [
            (4.9, "pending_payment", 0),
            (5, "pending_payment", 1),
            (9.9, "pending_payment", 1),
            (10, "pending_payment", 2),
            (14.9, "pending_payment", 2),
            (15, "cancelled", 2),
        ]


async def test_policy_in_force_at_the_order_is_the_one_applied(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db)
        order = await buy(client, shop, method="invoice")
        await client.patch(
            shop.office_path,
            json={"invoice_first_reminder_days": 3, "invoice_reminder_count": 0},
            headers=shop.organizer.headers,
        )
        states = await run_days(client, db, shop, order["id"], traveller, [4, 10, 30])
        assert states == [
            (4, "pending_payment", 0),
            (10, "pending_payment", 1),
            (30, "cancelled", 1),  # cancelled on its date; the second reminder was overtaken
        ]


async def test_late_run_sends_only_what_is_still_due(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db)
        order = await buy(client, shop, method="invoice")
        # The worker was down until day 25: one reminder (the second), not two.
        assert await run_days(client, db, shop, order["id"], traveller, [25]) == [
            (25, "pending_payment", 2)
        ]
        assert await mails(db, "order_payment_reminder") == 1


async def test_run_after_the_cancellation_date_cancels_without_stale_reminders(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db)
        order = await buy(client, shop, method="invoice")
        assert await run_days(client, db, shop, order["id"], traveller, [45]) == [
            (45, "cancelled", 0)
        ]
        assert await mails(db, "order_payment_reminder") == 0
        assert await mails(db, "order_auto_cancelled") == 1


async def test_paid_and_card_orders_are_never_reminded(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db)
        await buy(client, shop, method="card")
        invoice = await buy(client, shop, method="invoice")
        await client.post(
            f"{shop.office_path}/orders/{invoice['id']}/mark-paid",
            json={},
            headers=shop.organizer.headers,
        )
        traveller.move_to(START + timedelta(days=40))
        assert await sweep_invoice_deadlines(db.sessionmaker) == 0
        assert await mails(db, "order_payment_reminder") == 0


@pytest.mark.parametrize(
    ("d", "n", "reminders", "cancel"),
    [(10, 2, [10, 20], 30), (5, 2, [5, 10], 15), (7, 0, [], 7), (1, 3, [1, 2, 3], 4)],
)
def test_schedule_dates(d: int, n: int, reminders: list[int], cancel: int) -> None:
    dates = [
        deadlines.schedule(START, interval_days=d, reminders=n, sent=k).next_reminder_at
        for k in range(n + 1)
    ]
    assert dates == [START + timedelta(days=day) for day in reminders] + [None]
    assert deadlines.schedule(
        START, interval_days=d, reminders=n
    ).auto_cancel_at == START + timedelta(days=cancel)


async def test_two_concurrent_sweeps_send_one_reminder_per_due_order(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        with time_machine.travel(START, tick=False) as traveller:
            shop = await open_shop(client, committed_db, capacity=500, performances=1)
            for _ in range(60):
                await sell(client, shop, method="invoice", quantity=1)
            traveller.move_to(START + timedelta(days=10, hours=1))
            handled = await asyncio.gather(
                sweep_invoice_deadlines(committed_db.sessionmaker, batch_size=7),
                sweep_invoice_deadlines(committed_db.sessionmaker, batch_size=7),
            )
            assert sum(handled) == 60
            assert await mails(committed_db, "order_payment_reminder") == 60
            assert await sweep_invoice_deadlines(committed_db.sessionmaker) == 0
