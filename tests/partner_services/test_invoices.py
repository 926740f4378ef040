"""Partner invoices: who sees and issues them, the PDF, payment through the camt import, the
late-payment reminder with its penalties, monthly contract invoices, both organizations' logs
and events."""

from datetime import date, timedelta

import httpx
import time_machine
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.core.db import Database
from app.events.models import DomainEvent
from app.organizations.types import Role
from app.partner_services import jobs
from tests.billing.test_transfers import camt054, transaction
from tests.factories import signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import add_member, make_platform_staff
from tests.partner_services.helpers import (
    Managed,
    at,
    call,
    contract,
    invoice,
    managed,
    relogin,
    request,
    work,
)

SATURDAY = date(2026, 12, 5)


async def saturday_invoice(client: httpx.AsyncClient, m: Managed) -> dict:  # type: ignore[type-arg]
    opened = await request(client, m)
    await work(client, m, opened["id"], at(SATURDAY, 10), at(SATURDAY, 10, 20))
    issued = await invoice(client, m)
    assert issued["total_minor"] == 6480
    return issued  # type: ignore[no-any-return]


async def pay(client: httpx.AsyncClient, db: Database, issued: dict, reference: str) -> dict:  # type: ignore[type-arg]
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    document = camt054(
        transaction(reference, issued["total_minor"], "EUR", issued["payment_reference"])
    )
    response = await client.post(
        "/v1/admin/bank-transfers",
        content=document,
        headers=staff.headers | {"Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_paid_45_days_after_receipt_the_reminder_shows_penalty_and_indemnity(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    issued = await saturday_invoice(client, m)
    traveller.shift(timedelta(days=45))
    await relogin(client, m.client_legal)
    imported = await pay(client, db, issued, "T-PARTNER-1")
    assert imported["partner_invoice_paid"] == 1
    assert imported["transfers"][0]["outcome"] == "partner_invoice_paid"
    paid = await call(client, "GET", m.path(f"/invoices/{issued['id']}"), m.client_legal)
    assert paid["status"] == "paid"
    assert await jobs.assess_late_payments(db.sessionmaker) == 1
    assert await jobs.assess_late_payments(db.sessionmaker) == 0
    reminders = await call(
        client, "GET", m.path(f"/invoices/{issued['id']}/reminders"), m.client_legal
    )
    [reminder] = reminders["data"]
    # 64.80 x (2.15 % + 10 points) x 15 / 365 = 0.3235 -> 0.32, and 40.00
    assert (reminder["days_late"], reminder["rate_bp"]) == (15, 1215)
    assert (reminder["interest_minor"], reminder["indemnity_minor"]) == (32, 4000)
    assert reminder["amount_due_minor"] == 4032
    assert reminder["currency"] == issued["currency"] == "EUR"
    await mailbox.deliver(db.sessionmaker)
    mail = mailbox.text(mailbox.last_to(m.client_legal.email))
    assert "EUR 40.00" in mail
    assert "EUR 0.32" in mail


async def test_an_unpaid_invoice_is_reminded_weekly_with_penalties_to_date(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    issued = await saturday_invoice(client, m)
    traveller.shift(timedelta(days=30))
    assert await jobs.assess_late_payments(db.sessionmaker) == 0  # due today, not late
    traveller.shift(timedelta(days=10))
    assert await jobs.assess_late_payments(db.sessionmaker) == 1
    traveller.shift(timedelta(days=3))
    assert await jobs.assess_late_payments(db.sessionmaker) == 0
    traveller.shift(timedelta(days=4))
    assert await jobs.assess_late_payments(db.sessionmaker) == 1
    await relogin(client, m.staff)
    reminders = await call(client, "GET", m.path(f"/invoices/{issued['id']}/reminders"), m.staff)
    latest, first = reminders["data"]
    assert (first["days_late"], latest["days_late"]) == (10, 17)
    assert first["amount_due_minor"] == 6480 + first["interest_minor"] + 4000


async def test_a_transfer_of_another_amount_leaves_the_partner_invoice_open(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    issued = await saturday_invoice(client, m)
    short = dict(issued, total_minor=issued["total_minor"] - 100)
    imported = await pay(client, db, short, "T-PARTNER-SHORT")
    [transfer] = imported["transfers"]
    assert (transfer["outcome"], transfer["reason"]) == (
        "unassigned",
        "partner_invoice_amount_mismatch",
    )
    still = await call(client, "GET", m.path(f"/invoices/{issued['id']}"), m.staff)
    assert still["status"] == "issued"


async def test_only_partner_staff_log_time_and_only_billing_managers_see_invoices(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    by_client = await call(
        client,
        "POST",
        m.path(f"/requests/{opened['id']}/interventions"),
        m.client_legal,
        {"started_at": at(SATURDAY, 10), "ended_at": at(SATURDAY, 11)},
        status=403,
    )
    assert by_client["code"] == "partner_staff_only"
    not_acting = await call(
        client, "POST", m.path("/invoices"), m.p.partner_collaborator, status=404
    )
    assert not_acting["code"] == "organization_not_found"
    await work(client, m, opened["id"], at(SATURDAY, 10), at(SATURDAY, 10, 20))
    issued = await invoice(client, m)
    client_collaborator = await signed_in_user(client, db)
    await add_member(db, m.p.client_id, client_collaborator, Role.collaborator)
    refused = await call(client, "GET", m.path("/invoices"), client_collaborator, status=403)
    assert refused["code"] == "partner_invoice_reader_required"
    assert (await call(client, "GET", m.path(f"/requests/{opened['id']}"), client_collaborator))[
        "status"
    ] == "open"
    listed = await call(client, "GET", m.path("/invoices"), m.p.client_admin)
    assert [item["id"] for item in listed["data"]] == [issued["id"]]
    platform = await call(
        client, "GET", f"/v1/organizations/{m.p.client_id}/invoices", m.client_legal
    )
    assert issued["id"] not in [item["id"] for item in platform["data"]]
    response = await client.get(
        m.path(f"/invoices/{issued['id']}/pdf"), headers=m.p.client_admin.headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


async def test_every_action_is_in_both_logs_and_both_event_feeds(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    issued = await saturday_invoice(client, m)
    async with db.sessionmaker() as session:
        entries = list(
            await session.scalars(
                select(ActivityEntry).where(
                    ActivityEntry.action == "partner_services.invoice_issued"
                )
            )
        )
        events = list(
            await session.scalars(
                select(DomainEvent).where(
                    DomainEvent.organization_id.in_([m.p.client_id, m.p.partner_id])
                )
            )
        )
    assert {entry.organization_id for entry in entries} == {m.p.client_id, m.p.partner_id}
    assert all(entry.actor_organization_id == m.p.partner_id for entry in entries)
    assert all(entry.details["via"] == "partner" for entry in entries)
    types = {(event.type, event.organization_id) for event in events}
    for kind in ("service_request.opened", "intervention.logged", "partner_invoice.issued"):
        assert (kind, m.p.client_id) in types
        assert (kind, m.p.partner_id) in types
    listed = (await client.get("/v1/webhooks/event-types")).json()["data"]
    names = {item["type"] for item in listed}
    assert {"quote.accepted", "partner_invoice.paid", "service_request.stopped"} <= names
    assert issued["partner_name"] == "Ada Lovelace"  # the partner organization's name


async def test_each_step_is_mailed_to_the_client(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    await request(client, m)
    await mailbox.deliver(db.sessionmaker)
    message = mailbox.last_to(m.p.client_admin.email)
    assert "Mail migration" in message["Subject"]
    assert "opened" in message["Subject"]


async def test_contract_months_are_invoiced_once_by_the_job(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    await contract(client, m, 60000, date(2026, 11, 1), date(2027, 10, 31))
    assert await jobs.invoice_contract_months(db.sessionmaker) == 1
    assert await jobs.invoice_contract_months(db.sessionmaker) == 0
    [first] = (await call(client, "GET", m.path("/invoices"), m.staff))["data"]
    detail = await call(client, "GET", m.path(f"/invoices/{first['id']}"), m.staff)
    assert [line["period_start"] for line in detail["lines"]] == ["2026-11-01", "2026-12-01"]
    assert detail["net_minor"] == 120000
    traveller.shift(timedelta(days=14))
    assert await jobs.invoice_contract_months(db.sessionmaker) == 1
    invoices = (await call(client, "GET", m.path("/invoices"), m.staff))["data"]
    assert [item["number"] for item in invoices] == ["F-2027-00001", "F-2026-00001"]
