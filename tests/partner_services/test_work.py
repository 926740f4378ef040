"""Time worked for a client, invoiced to the cent: contract and off-contract rates, off hours
and public holidays, included minutes, phone requests awaiting confirmation, stops, on-site work
with and without a signed quote."""

from datetime import date

import httpx
import time_machine

from app.core.db import Database
from app.organizations.types import Role
from tests.factories import signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import add_member
from tests.partner_services.helpers import (
    at,
    call,
    contract,
    invoice,
    lines,
    managed,
    on_site,
    quote_for,
    request,
    work,
)

TUESDAY = date(2026, 12, 1)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)
BASTILLE_DAY = date(2026, 7, 14)


async def test_under_contract_tuesday_10_00_to_11_10_bills_1h15_at_93_75(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    await contract(client, m, 60000, date(2026, 1, 1), date(2026, 12, 31))
    opened = await request(client, m)
    logged = await work(client, m, opened["id"], at(TUESDAY, 10), at(TUESDAY, 11, 10))
    assert (logged["due_minutes"], logged["off_hours_minutes"]) == (75, 0)
    issued = await invoice(client, m)
    [line] = lines(issued, "intervention")
    assert (line["minutes"], line["rate_minor"], line["surcharge_minor"]) == (75, 7500, 0)
    assert line["amount_minor"] == 9375
    assert line["worked_on"] == "2026-12-01"
    assert {entry["currency"] for entry in issued["lines"]} == {issued["currency"]} == {"EUR"}
    assert len(lines(issued, "contract_month")) == 12
    assert issued["net_minor"] == 12 * 60000 + 9375
    assert issued["vat_rate_bp"] == 2000
    assert issued["vat_minor"] == (12 * 60000 + 9375) // 5
    assert issued["total_minor"] == issued["net_minor"] + issued["vat_minor"]
    assert issued["number"] == "F-2026-00001"
    assert issued["payment_reference"].startswith("RF")
    assert issued["due_at"].startswith("2027-01-19")
    again = await invoice(client, m, status=409)
    assert again["code"] == "nothing_to_invoice"


async def test_off_contract_saturday_10_00_to_10_20_bills_30_minutes_plus_20_percent(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    await work(client, m, opened["id"], at(SATURDAY, 10), at(SATURDAY, 10, 20))
    issued = await invoice(client, m)
    [line] = issued["lines"]
    assert (line["minutes"], line["rate_minor"]) == (30, 9000)
    assert (line["base_minor"], line["surcharge_minor"], line["amount_minor"]) == (4500, 900, 5400)
    assert (issued["net_minor"], issued["vat_minor"], issued["total_minor"]) == (5400, 1080, 6480)


async def test_bastille_day_in_business_hours_is_surcharged(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    await work(client, m, opened["id"], at(BASTILLE_DAY, 10), at(BASTILLE_DAY, 11))
    [line] = (await invoice(client, m))["lines"]
    assert (line["base_minor"], line["surcharge_minor"], line["amount_minor"]) == (
        9000,
        1800,
        10800,
    )


async def test_monday_18_30_to_19_30_surcharges_from_19_00(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    await contract(client, m, 60000, date(2026, 1, 1), date(2026, 12, 31))
    opened = await request(client, m)
    logged = await work(client, m, opened["id"], at(MONDAY, 18, 30), at(MONDAY, 19, 30))
    assert (logged["due_minutes"], logged["off_hours_minutes"]) == (60, 30)
    [line] = lines(await invoice(client, m), "intervention")
    # 37.50 at the contract rate, then 37.50 + 20 %
    assert (line["base_minor"], line["surcharge_minor"], line["amount_minor"]) == (7500, 750, 8250)


async def test_included_minutes_are_used_before_the_contract_rate(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    await contract(client, m, 60000, date(2026, 1, 1), date(2026, 12, 31), included_minutes=60)
    opened = await request(client, m)
    await work(client, m, opened["id"], at(TUESDAY, 10), at(TUESDAY, 11, 10))
    await work(client, m, opened["id"], at(TUESDAY, 14), at(TUESDAY, 14, 30))
    first, second = lines(await invoice(client, m), "intervention")
    assert (first["included_minutes"], first["amount_minor"]) == (60, 1875)
    assert (second["included_minutes"], second["amount_minor"]) == (0, 3750)


async def test_contract_status_is_derived_from_amount_and_length(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    status = m.path("/contract-status?on=2026-03-01")
    assert (await call(client, "GET", status, m.client_legal))["under_contract"] is False
    small = await contract(client, m, 40000, date(2026, 1, 1), date(2026, 12, 31))
    short = await contract(client, m, 60000, date(2026, 1, 1), date(2026, 6, 30))
    assert (small["commitment"], short["commitment"]) == (False, False)
    assert (await call(client, "GET", status, m.client_legal))["under_contract"] is False
    year = await contract(client, m, 60000, date(2026, 2, 1), date(2027, 1, 31))
    assert year["commitment"] is True
    assert (await call(client, "GET", status, m.client_legal))["under_contract"] is True
    before = m.path("/contract-status?on=2026-01-15")
    assert (await call(client, "GET", before, m.staff))["under_contract"] is False


async def test_a_phone_request_is_invoiced_only_once_the_client_confirms_in_writing(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    phoned = await request(client, m, by=m.staff, channel="phone")
    assert phoned["status"] == "awaiting_confirmation"
    logged = await work(client, m, phoned["id"], at(TUESDAY, 10), at(TUESDAY, 11))
    assert logged["due_minutes"] == 0
    refused = await invoice(client, m, status=409)
    assert refused["code"] == "nothing_to_invoice"
    staff_reply = await call(
        client,
        "POST",
        m.path(f"/requests/{phoned['id']}/replies"),
        m.staff,
        {"message": "We started", "go_on": True},
    )
    assert staff_reply["status"] == "awaiting_confirmation"
    confirmed = await call(
        client,
        "POST",
        m.path(f"/requests/{phoned['id']}/replies"),
        m.p.client_admin,
        {"message": "Yes, please go on"},
    )
    assert confirmed["status"] == "open"
    assert confirmed["time_spent_minutes"] == 60
    assert [step["kind"] for step in confirmed["steps"]] == [
        "opened",
        "intervention",
        "replied",
        "confirmed",
    ]
    assert [step["time_spent_minutes"] for step in confirmed["steps"]] == [0, 0, 0, 60]
    [line] = (await invoice(client, m))["lines"]
    assert (line["minutes"], line["amount_minor"]) == (60, 9000)


async def test_no_time_after_the_stop_is_invoiced(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    traveller.move_to(at(TUESDAY, 9))
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    traveller.move_to(at(TUESDAY, 10, 30))
    stopped = await call(
        client, "POST", m.path(f"/requests/{opened['id']}/stop"), m.client_legal, status=200
    )
    assert stopped["status"] == "stopped"
    traveller.move_to(at(TUESDAY, 12))
    logged = await work(client, m, opened["id"], at(TUESDAY, 10), at(TUESDAY, 11))
    assert logged["due_minutes"] == 30
    after = await call(
        client,
        "POST",
        m.path(f"/requests/{opened['id']}/interventions"),
        m.staff,
        {"started_at": at(TUESDAY, 10, 45), "ended_at": at(TUESDAY, 11, 30)},
        status=409,
    )
    assert after["code"] == "work_after_stop"
    [line] = (await invoice(client, m))["lines"]
    assert (line["minutes"], line["amount_minor"]) == (30, 4500)
    again = await call(
        client, "POST", m.path(f"/requests/{opened['id']}/stop"), m.client_legal, status=409
    )
    assert again["code"] == "service_request_closed"


async def test_a_client_member_cannot_sign_a_quote_unless_a_manager(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    quote = await quote_for(client, m, opened["id"], [{"description": "Day", "unit_minor": 75000}])
    await call(client, "POST", m.path(f"/quotes/{quote['id']}/send"), m.staff, status=200)
    collaborator = await signed_in_user(client, db)
    await add_member(db, m.p.client_id, collaborator, Role.collaborator)
    refused = await call(
        client, "POST", m.path(f"/quotes/{quote['id']}/accept"), collaborator, status=403
    )
    assert refused["code"] == "quote_signatory_required"


async def test_on_site_without_a_signed_quote_only_the_trip_is_invoiced(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    quote = await quote_for(client, m, opened["id"], [{"description": "Day", "unit_minor": 75000}])
    await on_site(client, m, opened["id"], quote["id"])
    issued = await invoice(client, m)
    [line] = issued["lines"]
    # 30 km x 0.50 + 45 min at 90.00 an hour
    assert (line["kind"], line["amount_minor"]) == ("travel", 1500 + 6750)
    assert issued["net_minor"] == 8250


async def test_on_site_with_a_signed_quote_invoices_the_quote(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    quote = await quote_for(
        client,
        m,
        opened["id"],
        [
            {"description": "On-site day", "unit_minor": 75000},
            {"description": "Cables", "quantity": 3, "unit_minor": 1250},
        ],
    )
    assert quote["net_minor"] == 78750
    assert quote["currency"] == "EUR"
    assert quote["lines"][1] == {
        "description": "Cables",
        "quantity": 3,
        "unit_minor": 1250,
        "currency": "EUR",
    }
    accept = m.path(f"/quotes/{quote['id']}/accept")
    not_sent = await call(client, "POST", accept, m.client_legal, status=409)
    assert not_sent["code"] == "quote_not_sent"
    await call(client, "POST", m.path(f"/quotes/{quote['id']}/send"), m.staff, status=200)
    await mailbox.deliver(db.sessionmaker)
    assert "787.50" in mailbox.text(mailbox.last_to(m.client_legal.email))
    by_staff = await call(client, "POST", accept, m.staff, status=403)
    assert by_staff["code"] == "client_member_only"
    signed = await call(client, "POST", accept, m.p.client_admin, status=200)  # an administrator
    assert signed["status"] == "accepted"
    await on_site(client, m, opened["id"], quote["id"])
    [line] = (await invoice(client, m))["lines"]
    assert (line["kind"], line["amount_minor"]) == ("quote", 78750)


async def test_amounts_in_another_currency_than_the_rate_cards_are_refused_and_not_stored(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    opened = await request(client, m)
    body = {
        "description": "Support contract",
        "monthly_minor": 60000,
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }
    refused = await call(
        client, "POST", m.path("/contracts"), m.staff, body | {"currency": "CHF"}, status=422
    )
    assert refused["code"] == "currency_mismatch"
    line = {"description": "On-site day", "unit_minor": 75000}
    quote = {"request_id": opened["id"], "title": "Server install"}
    refused = await call(
        client,
        "POST",
        m.path("/quotes"),
        m.staff,
        quote | {"lines": [line | {"currency": "EUR"}, line | {"currency": "CHF"}]},
        status=422,
    )
    assert refused["code"] == "currency_mismatch"
    assert (await call(client, "GET", m.path("/contracts"), m.staff))["data"] == []
    assert (await call(client, "GET", m.path("/quotes"), m.staff))["data"] == []
    recorded = await call(client, "POST", m.path("/contracts"), m.staff, body | {"currency": "EUR"})
    assert (recorded["currency"], recorded["monthly_minor"]) == ("EUR", 60000)
    written = await call(
        client, "POST", m.path("/quotes"), m.staff, quote | {"lines": [line | {"currency": "EUR"}]}
    )
    assert written["lines"] == [line | {"quantity": 1, "currency": "EUR"}]
