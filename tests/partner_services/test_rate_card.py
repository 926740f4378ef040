"""A partner's rate card: its managers change it; its country sets VAT and public holidays."""

from datetime import date

import httpx
import time_machine

from app.core.db import Database
from tests.mail import Mailbox
from tests.partner_services.helpers import at, call, invoice, managed, request, work


async def test_the_partner_country_and_prefix_shape_its_invoices(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox, traveller: time_machine.Traveller
) -> None:
    m = await managed(client, db, mailbox)
    card = f"/v1/organizations/{m.p.partner_id}/partner-services/rate-card"
    defaults = await call(client, "GET", card, m.p.partner_legal)
    assert (defaults["country"], defaults["vat_rate_bp"], defaults["hourly_minor"]) == (
        "FR",
        2000,
        9000,
    )
    refused = await call(client, "PATCH", card, m.p.partner_legal, {"country": "XX"}, status=422)
    assert refused["code"] == "unknown_partner_country"
    by_client = await call(
        client,
        "PATCH",
        f"/v1/organizations/{m.p.client_id}/partner-services/rate-card",
        m.client_legal,
        {"country": "DE"},
        status=403,
    )
    assert by_client["code"] == "not_a_partner"
    changed = await call(
        client,
        "PATCH",
        card,
        m.p.partner_legal,
        {
            "country": "DE",
            "subdivision": "BY",
            "time_zone": "Europe/Berlin",
            "invoice_prefix": "RE",
        },
    )
    assert changed["vat_rate_bp"] == 1900
    opened = await request(client, m)
    day = date(2026, 6, 4)  # Corpus Christi, a Thursday: a public holiday in Bavaria
    await work(client, m, opened["id"], at(day, 10), at(day, 11))
    issued = await invoice(client, m)
    assert issued["number"] == "RE-2026-00001"
    assert (issued["net_minor"], issued["vat_minor"]) == (10800, 2052)
