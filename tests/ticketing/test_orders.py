"""Orders: placing, paying, cancelling, exchanging; seats are never oversold."""

import asyncio
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import time_machine
from fastapi import FastAPI

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from tests.ticketing.helpers import Shop, buy, open_shop, order_body


async def seats(client: httpx.AsyncClient, shop: Shop, performance: int = 0) -> int:
    event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
    return int(event["performances"][performance]["available"])


async def test_card_order_is_paid_at_once_with_unique_ticket_numbers(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, quantity=3)
    assert order["status"] == "paid"
    assert order["total_minor"] == 15000
    assert order["currency"] == "CHF"
    numbers = [ticket["number"] for ticket in order["tickets"]]
    assert len(set(numbers)) == 3
    assert all(len(number) == 16 and number.isalnum() for number in numbers)
    assert await seats(client, shop) == 97


async def test_declined_card_takes_no_seat(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    response = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, card_token="tok_declined")
    )
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert await seats(client, shop) == 100


async def test_more_than_the_capacity_is_sold_out(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db, capacity=3)
    await buy(client, shop, quantity=2)
    response = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, quantity=2)
    )
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert await seats(client, shop) == 1


async def test_invoice_order_stores_its_deadlines(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    with time_machine.travel(clock.now(), tick=False):
        placed_at = clock.now()
        order = await buy(client, shop, method="invoice")
    assert order["status"] == "pending_payment"
    due = {key: order[key] for key in ("payment_due_at", "next_reminder_at", "auto_cancel_at")}
    assert due == {
        "payment_due_at": (placed_at + timedelta(days=10)).isoformat().replace("+00:00", "Z"),
        "next_reminder_at": (placed_at + timedelta(days=10)).isoformat().replace("+00:00", "Z"),
        "auto_cancel_at": (placed_at + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
    }


async def test_unpaid_invoice_order_cannot_lose_single_tickets(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, method="invoice", quantity=3)
    cancel = f"{shop.office_path}/orders/{order['id']}/cancel"
    partial = await client.post(
        cancel,
        json={
            "ticket_ids": [order["tickets"][0]["id"]],
            "refund_method": "none",
            "reason": "changed mind",
        },
        headers=shop.organizer.headers,
    )
    assert partial.status_code == 409
    assert partial.json()["code"] == "invoice_order_partial_cancel"
    whole = await client.post(
        cancel,
        json={"refund_method": "none", "reason": "changed mind"},
        headers=shop.organizer.headers,
    )
    assert whole.status_code == 200
    assert whole.json()["whole_order"] is True
    assert await seats(client, shop) == 100
    again = await client.post(
        cancel, json={"refund_method": "none", "reason": "again"}, headers=shop.organizer.headers
    )
    assert again.status_code == 409
    assert again.json()["code"] == "order_already_cancelled"


async def test_paid_order_loses_chosen_tickets_and_keeps_the_commission(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    shop = await open_shop(
        client,
        db,
        settings={"commission_per_ticket_minor": 100, "commission_basis_points": {"card": 250}},
    )
    order = await buy(client, shop, quantity=3)
    assert [t["commission_minor"] for t in order["tickets"]] == [
        225,
        225,
        225,
    ]  # 1.00 + 2.5 % of 50.00
    first = order["tickets"][0]
    response = await client.post(
        f"{shop.office_path}/orders/{order['id']}/cancel",
        json={
            "ticket_ids": [first["id"]],
            "refund_method": "cash",
            "refund_amount_minor": 5000,
            "reason": "ill",
        },
        headers=shop.organizer.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["whole_order"], body["ticket_ids"], body["refund_method"]) == (
        False,
        [first["id"]],
        "cash",
    )
    assert await seats(client, shop) == 98
    read = (
        await client.get(f"{shop.office_path}/orders/{order['id']}", headers=shop.organizer.headers)
    ).json()
    assert read["status"] == "paid"
    assert [t["status"] for t in read["tickets"]] == ["cancelled", "valid", "valid"]
    report = (
        await client.get(
            f"{shop.office_path}/events/{shop.event_id}/report", headers=shop.organizer.headers
        )
    ).json()
    assert (
        report["sold"],
        report["cancelled"],
        report["revenue_minor"],
        report["commissions_due_minor"],
    ) == (2, 1, 10000, 675)
    again = await client.post(
        f"{shop.office_path}/orders/{order['id']}/cancel",
        json={"ticket_ids": [first["id"]], "refund_method": "cash", "reason": "again"},
        headers=shop.organizer.headers,
    )
    assert again.json()["code"] == "ticket_already_cancelled"
    await mailbox.deliver(db.sessionmaker)
    assert (
        first["number"]
        in mailbox.last_to("jeanne@example.ch").get_body(preferencelist=("plain",)).get_content()
    )


async def test_mark_paid_stops_the_deadlines(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, method="invoice")
    path = f"{shop.office_path}/orders/{order['id']}/mark-paid"
    paid = await client.post(
        path, json={"payment_reference": "BANK-42"}, headers=shop.organizer.headers
    )
    assert paid.status_code == 200
    assert (paid.json()["status"], paid.json()["next_reminder_at"]) == ("paid", None)
    assert (await client.post(path, json={}, headers=shop.organizer.headers)).json()[
        "code"
    ] == "order_already_paid"


async def test_customer_link_shows_the_order_and_its_pdf(
    client: httpx.AsyncClient, db: Database, mailbox
) -> None:  # type: ignore[no-untyped-def]
    shop = await open_shop(client, db)
    order = await buy(client, shop, quantity=2)
    await mailbox.deliver(db.sessionmaker)
    link = mailbox.link_to("jeanne@example.ch", "/shop/orders/")
    key = urlsplit(link).path.rsplit("/", 1)[1]  # the link also carries the mail's `lang`
    assert key == order["access_key"]
    seen = (await client.get(f"/v1/shop/orders/{key}")).json()
    assert seen["number"] == order["number"]
    pdf = await client.get(f"/v1/shop/orders/{key}/tickets.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(pdf.content))
    assert len(reader.pages) == 2
    assert (
        order["tickets"][0]["number"]
        in reader.pages[0].extract_text() + reader.pages[1].extract_text()
    )
    one = await client.get(f"/v1/shop/orders/{key}/tickets/{order['tickets'][1]['number']}.pdf")
    assert len(PdfReader(BytesIO(one.content)).pages) == 1
    assert (await client.get("/v1/shop/orders/not-a-real-key")).status_code == 404


async def test_unpublished_event_is_not_in_the_shop(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    await client.post(
        f"{shop.office_path}/events/{shop.event_id}/unpublish", headers=shop.organizer.headers
    )
    assert (await client.get(f"/v1/shop/events/{shop.event_id}")).status_code == 404
    assert (
        await client.post(f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop))
    ).status_code == 404
    listed = (await client.get(f"/v1/shop/ticket-offices/{shop.office_id}/events")).json()
    assert listed["data"] == []


async def test_online_orders_cannot_pay_cash(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    response = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders", json=order_body(shop, method="cash")
    )
    assert response.status_code == 422
    assert response.json()["code"] == "payment_method_not_offered"


async def test_box_office_sells_for_cash(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    response = await client.post(
        f"{shop.office_path}/events/{shop.event_id}/orders",
        json=order_body(shop, method="cash"),
        headers=shop.organizer.headers,
    )
    assert response.status_code == 201
    assert (response.json()["channel"], response.json()["status"]) == ("box_office", "paid")


async def test_exchange_at_the_box_office_records_the_difference(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, quantity=1, category=1)  # 30.00
    ticket = order["tickets"][0]
    response = await client.post(
        f"{shop.office_path}/orders/{order['id']}/tickets/{ticket['id']}/exchange",
        json={"performance_id": shop.performance_ids[1], "price_category_id": shop.category_ids[0]},
        headers=shop.organizer.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["price_difference_minor"] == 2000
    assert body["old_ticket"]["status"] == "cancelled"
    assert body["new_ticket"]["performance_id"] == shop.performance_ids[1]
    assert await seats(client, shop, 0) == 100
    assert await seats(client, shop, 1) == 99


async def test_online_exchange_only_when_allowed_and_before_the_cutoff(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, quantity=1)
    path = f"/v1/shop/orders/{order['access_key']}/tickets/{order['tickets'][0]['id']}/exchange"
    body = {"performance_id": shop.performance_ids[1], "price_category_id": shop.category_ids[0]}
    assert (await client.post(path, json=body)).json()["code"] == "online_exchange_not_allowed"
    await client.patch(
        shop.office_path,
        json={"online_exchange_allowed": True, "exchange_cutoff_hours": 48},
        headers=shop.organizer.headers,
    )
    with time_machine.travel(clock.now() + timedelta(days=59), tick=False):
        late = await client.post(path, json=body)
        assert late.json()["code"] == "exchange_cutoff_passed"
    assert (await client.post(path, json=body)).status_code == 200


async def test_200_concurrent_buyers_for_the_last_50_seats(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(client, committed_db, capacity=250, performances=1)
        office = shop.office_path
        taken = await client.post(
            f"{office}/events/{shop.event_id}/orders",
            json=order_body(shop, method="cash", quantity=50),
            headers=shop.organizer.headers,
        )
        assert taken.status_code == 201
        for _ in range(3):  # 150 more sold: 50 seats left
            await client.post(
                f"{office}/events/{shop.event_id}/orders",
                json=order_body(shop, method="cash", quantity=50),
                headers=shop.organizer.headers,
            )
        assert await seats(client, shop) == 50

        async def buyer() -> int:
            response = await client.post(
                f"{office}/events/{shop.event_id}/orders",
                json=order_body(shop, method="cash", quantity=1),
                headers=shop.organizer.headers,
            )
            return response.status_code

        statuses = await asyncio.gather(*(buyer() for _ in range(200)))
        assert statuses.count(201) == 50
        assert statuses.count(409) == 150
        assert await seats(client, shop) == 0
        report = (
            await client.get(
                f"{office}/events/{shop.event_id}/report", headers=shop.organizer.headers
            )
        ).json()
        assert report["sold"] == 250


async def test_a_refund_cannot_exceed_what_the_cancelled_tickets_cost(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, quantity=2)  # 2 tickets at 50.00
    cancel = f"{shop.office_path}/orders/{order['id']}/cancel"
    first = order["tickets"][0]["id"]
    too_much = await client.post(
        cancel,
        json={
            "ticket_ids": [first],
            "refund_method": "cash",
            "refund_amount_minor": 5001,
            "reason": "ill",
        },
        headers=shop.organizer.headers,
    )
    assert too_much.status_code == 422, too_much.text
    assert too_much.json()["code"] == "refund_exceeds_tickets"
    assert too_much.json()["maximum_minor"] == 5000
    whole = await client.post(
        cancel,
        json={"refund_method": "cash", "refund_amount_minor": 100_000_000, "reason": "x"},
        headers=shop.organizer.headers,
    )
    assert whole.json()["code"] == "refund_exceeds_tickets"
    exact = await client.post(
        cancel,
        json={"refund_method": "cash", "refund_amount_minor": 10000, "reason": "x"},
        headers=shop.organizer.headers,
    )
    assert exact.status_code == 200, exact.text
    assert exact.json()["refund_amount_minor"] == 10000
