"""The deadline sweep cancels a batch of due orders at once: each order, ticket and seat counted."""

from collections import Counter
from datetime import timedelta

import httpx
import time_machine
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.core.db import Database
from app.events.models import DomainEvent
from app.notifications.models import MailMessage
from app.ticketing.jobs import sweep_invoice_deadlines
from app.ticketing.models import Cancellation, Ticket, TicketOrder
from tests.factories import log_in
from tests.ticketing.helpers import buy, fresh_headers, open_shop, sell
from tests.ticketing.test_deadlines import START
from tests.ticketing.test_invoice_orders import PAYEE


async def test_one_sweep_cancels_due_orders_on_several_performances_and_reminds_the_rest(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db, capacity=10, performances=2)
        expiring = [
            await sell(client, shop, method="invoice", quantity=2, performance=0),
            await sell(client, shop, method="invoice", quantity=3, performance=1),
            await sell(client, shop, method="invoice", quantity=1, performance=0),
        ]
        traveller.move_to(START + timedelta(days=25))
        login = await log_in(client, shop.organizer.email)
        shop.organizer.access_token = login.json()["tokens"]["access_token"]
        reminded = await sell(client, shop, method="invoice", quantity=1, performance=1)

        traveller.move_to(START + timedelta(days=36))
        assert await sweep_invoice_deadlines(db.sessionmaker, batch_size=10) == 4

        event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
        assert [p["available"] for p in event["performances"]] == [10, 9]
    async with db.sessionmaker() as session:
        orders = {o.number: o for o in await session.scalars(select(TicketOrder))}
        assert {number: (o.status, o.reminders_sent) for number, o in orders.items()} == {
            **{o["number"]: ("cancelled", 0) for o in expiring},
            reminded["number"]: ("pending_payment", 1),
        }
        cancellations = {c.order_id: c for c in await session.scalars(select(Cancellation))}
        assert {orders[o["number"]].id for o in expiring} == cancellations.keys()
        assert all(c.automatic and c.whole_order for c in cancellations.values())
        for ticket in await session.scalars(select(Ticket)):
            cancellation = cancellations.get(ticket.order_id)
            assert ticket.status == ("cancelled" if cancellation else "valid")
            assert ticket.cancellation_id == (cancellation.id if cancellation else None)
        events = Counter(await session.scalars(select(DomainEvent.type)))
        assert (events["order.expired"], events["order.reminded"]) == (3, 1)
        mails = Counter(await session.scalars(select(MailMessage.template)))
        assert (mails["order_auto_cancelled"], mails["order_payment_reminder"]) == (3, 1)
        entries = await session.scalars(
            select(ActivityEntry).where(ActivityEntry.action == "ticketing.order_auto_cancelled")
        )
        assert sorted(len(e.details["tickets"]) for e in entries) == [1, 2, 3]


async def test_the_sweep_s_events_hold_each_order_as_the_api_shows_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(
            client, db, settings={"payee": PAYEE, "insurance_fee_minor": 450}, performances=2
        )
        insured = await buy(client, shop, method="invoice", cancellation_insurance=True)
        plain = await sell(client, shop, method="invoice", quantity=3, performance=1)
        assert insured["invoice"] is not None
        assert insured["insurance"] is not None

        traveller.move_to(START + timedelta(days=10))
        assert await sweep_invoice_deadlines(db.sessionmaker) == 2
        reminded = await events_of(db, "order.reminded")
        headers = await fresh_headers(client, shop)
        for order in (insured, plain):
            shown = await client.get(f"{shop.office_path}/orders/{order['id']}", headers=headers)
            assert reminded[order["id"]] == shown.json()
            assert shown.json()["reminders_sent"] == 1

        traveller.move_to(START + timedelta(days=30))
        assert await sweep_invoice_deadlines(db.sessionmaker) == 2
        expired = await events_of(db, "order.expired")
        headers = await fresh_headers(client, shop)
        for order in (insured, plain):
            shown = await client.get(f"{shop.office_path}/orders/{order['id']}", headers=headers)
            assert expired[order["id"]] == shown.json()
            assert shown.json()["status"] == "cancelled"
            assert {ticket["status"] for ticket in shown.json()["tickets"]} == {"cancelled"}


async def events_of(db: Database, type: str) -> dict[str, dict[str, object]]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(select(DomainEvent).where(DomainEvent.type == type))
        return {row.data["id"]: row.data for row in rows}
