"""Orders paid on invoice have a real invoice: the ticket office is the creditor, the QR-bill on
the PDF is what `qrbill` builds, a bank transfer pays the order and stops its reminders, and
cancelling the order cancels its invoice with a credit note."""

from datetime import datetime, timedelta
from typing import Any

import httpx
import time_machine
from qrbill import QRBill
from sqlalchemy import select

from app import ticket_sales
from app.billing import references
from app.billing.models import Invoice, InvoiceKind
from app.core import clock
from app.core.db import Database
from app.core.money import to_decimal_text
from app.notifications.models import MailMessage
from tests.billing.conftest import customer, make_staff
from tests.billing.test_transfers import camt054, transaction
from tests.mail import rendered
from tests.qr import all_qr_codes, qr_codes, text_of
from tests.ticketing.helpers import Shop, buy, fresh_headers, open_shop

UNICODE_NAME = "Rom\u00e9o \u2013 Juliette (\u03a9)"
START = datetime(2027, 1, 4, 9, 0, tzinfo=clock.now().tzinfo)
PAYEE = {
    "name": "Théâtre du Lac",
    "street": "Quai du Mont-Blanc",
    "building": "5",
    "postal_code": "1201",
    "town": "Genève",
    "country": "CH",
    "iban": "CH93 0076 2011 6238 5295 7",
    "qr_iban": "CH44 3199 9123 0008 8901 2",
    "vat_number": "CHE-109.322.551 MWST",
}


async def invoice_shop(client: httpx.AsyncClient, db: Database, **payee: Any) -> Shop:
    return await open_shop(client, db, settings={"payee": PAYEE | payee})


async def invoice_pdf(client: httpx.AsyncClient, order: dict[str, Any]) -> bytes:
    response = await client.get(f"/v1/shop/orders/{order['access_key']}/invoice.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def expected_qr_bill(order: dict[str, Any], amount_minor: int) -> str:
    invoice = order["invoice"]
    bill = QRBill(
        account=PAYEE["qr_iban"],
        creditor={
            "name": PAYEE["name"],
            "street": PAYEE["street"],
            "house_num": PAYEE["building"],
            "pcode": PAYEE["postal_code"],
            "city": PAYEE["town"],
            "country": PAYEE["country"],
        },
        amount=to_decimal_text(amount_minor),
        currency="CHF",
        reference_number=invoice["payment_reference"],
        additional_information=f"Invoice {invoice['number']}",
    )
    return str(bill.qr_data())


async def import_camt(client: httpx.AsyncClient, db: Database, document: bytes) -> dict[str, Any]:
    staff = await customer(client, db)
    await make_staff(db, staff)
    response = await client.post(
        "/v1/admin/bank-transfers",
        content=document,
        headers=staff.headers | {"Content-Type": "application/xml"},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def invoices_of_order(db: Database, invoice_id: str) -> list[Invoice]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Invoice)
                .where((Invoice.id == invoice_id) | (Invoice.corrects_invoice_id == invoice_id))
                .order_by(Invoice.created_at)
            )
        )


async def test_a_shop_order_on_invoice_has_an_invoice_whose_qr_bill_is_what_qrbill_builds(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await invoice_shop(client, db)
    order = await buy(client, shop, method="invoice", quantity=2)
    invoice = order["invoice"]
    assert invoice["payee_name"] == "Théâtre du Lac"
    assert invoice["account"] == "CH4431999123000889012"
    assert invoice["total_minor"] == order["total_minor"] == 10000
    assert references.is_valid_qr_reference(invoice["payment_reference"])
    assert invoice["pdf_url"].endswith(f"/v1/shop/orders/{order['access_key']}/invoice.pdf")
    page = (await client.get(f"/v1/shop/orders/{order['access_key']}")).json()
    assert page["invoice"] == invoice

    document = await invoice_pdf(client, order)
    [code] = qr_codes(document, 2)
    assert code == expected_qr_bill(order, 10000)
    assert "Genève" in code  # UTF-8, as the Swiss Payment Standards want
    content = text_of(document)
    assert f"Invoice {invoice['number']}" in content
    assert "VAT No. CHE-109.322.551 MWST" in content
    assert "Payment part" in content

    async with db.sessionmaker() as session:
        mail = await session.scalar(
            select(MailMessage).where(MailMessage.template == "order_confirmation")
        )
    assert mail is not None
    assert invoice["pdf_url"] in rendered(mail).text_body


async def test_a_camt054_paying_the_invoice_pays_the_order_and_no_reminder_follows(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await invoice_shop(client, db)
        order = await buy(client, shop, method="invoice", quantity=2)
        invoice = order["invoice"]
        result = await import_camt(
            client,
            db,
            camt054(transaction("T-TICKET", 10000, "CHF", invoice["payment_reference"])),
        )
        assert result["invoice_paid"] == 1
        headers = await fresh_headers(client, shop)
        read = await client.get(f"{shop.office_path}/orders/{order['id']}", headers=headers)
        assert read.json()["status"] == "paid"
        for day in (10, 20, 30, 40):
            traveller.move_to(START + timedelta(days=day))
            await ticket_sales.sweep_invoice_deadlines(db.sessionmaker)
        headers = await fresh_headers(client, shop)
        read = await client.get(f"{shop.office_path}/orders/{order['id']}", headers=headers)
        assert (read.json()["status"], read.json()["reminders_sent"]) == ("paid", 0)
        async with db.sessionmaker() as session:
            reminders = await session.scalars(
                select(MailMessage.id).where(MailMessage.template == "order_payment_reminder")
            )
            assert list(reminders) == []
        document = await invoice_pdf(client, order)
        assert "PAID" in text_of(document)
        assert all_qr_codes(document) == []


async def test_cancelling_an_order_on_invoice_cancels_its_invoice_with_a_credit_note(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await invoice_shop(client, db)
    order = await buy(client, shop, method="invoice", quantity=1)
    cancelled = await client.post(
        f"{shop.office_path}/orders/{order['id']}/cancel",
        json={"refund_method": "none", "reason": "Customer asked"},
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    invoice, credit_note = await invoices_of_order(db, order["invoice"]["id"])
    assert (invoice.status, credit_note.kind) == ("void", InvoiceKind.credit_note)
    assert credit_note.total_minor == invoice.total_minor
    assert credit_note.creditor == invoice.creditor
    document = await invoice_pdf(client, order)
    assert "CANCELLED" in text_of(document)
    assert all_qr_codes(document) == []
    # A transfer arriving after the cancellation pays nothing and credits no prepaid account.
    result = await import_camt(
        client,
        db,
        camt054(transaction("T-LATE", 5000, "CHF", order["invoice"]["payment_reference"])),
    )
    assert (result["invoice_paid"], result["credited_to_prepaid"], result["unassigned"]) == (
        0,
        0,
        1,
    )


async def test_marking_an_order_paid_by_hand_pays_its_invoice(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await invoice_shop(client, db)
    order = await buy(client, shop, method="invoice", quantity=1)
    marked = await client.post(
        f"{shop.office_path}/orders/{order['id']}/mark-paid",
        json={"payment_reference": "cash at the desk"},
        headers=shop.organizer.headers,
    )
    assert marked.status_code == 200, marked.text
    assert marked.json()["status"] == "paid"
    [invoice] = await invoices_of_order(db, order["invoice"]["id"])
    assert (invoice.status, invoice.paid_minor) == ("paid", 5000)
    assert all_qr_codes(await invoice_pdf(client, order)) == []


async def test_the_sweep_cancelling_an_unpaid_order_cancels_its_invoice(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await invoice_shop(client, db)
        order = await buy(client, shop, method="invoice", quantity=1)
        traveller.move_to(START + timedelta(days=31))
        await ticket_sales.sweep_invoice_deadlines(db.sessionmaker)
    invoice, credit_note = await invoices_of_order(db, order["invoice"]["id"])
    assert (invoice.status, credit_note.kind) == ("void", InvoiceKind.credit_note)


async def test_an_office_without_a_qr_iban_is_paid_with_an_rf_reference_on_its_iban(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await invoice_shop(client, db, qr_iban=None)
    order = await buy(client, shop, method="invoice", quantity=1)
    invoice = order["invoice"]
    assert invoice["account"] == "CH9300762011623852957"
    assert references.is_valid_creditor_reference(invoice["payment_reference"])
    [code] = qr_codes(await invoice_pdf(client, order), 2)
    lines = code.splitlines()
    assert (lines[3], lines[-4], lines[-3]) == (
        "CH9300762011623852957",
        "SCOR",
        invoice["payment_reference"],
    )


async def test_a_card_order_has_no_invoice(client: httpx.AsyncClient, db: Database) -> None:
    shop = await invoice_shop(client, db)
    order = await buy(client, shop, method="card", quantity=1)
    assert order["invoice"] is None
    response = await client.get(f"/v1/shop/orders/{order['access_key']}/invoice.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "order_invoice_not_found"


async def test_a_payee_needs_valid_accounts(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    for wrong in (
        {"iban": "CH93 0076 2011 6238 5295 8"},  # check digits
        {"iban": PAYEE["qr_iban"], "qr_iban": None},  # a QR-IBAN given as the IBAN
        {"qr_iban": PAYEE["iban"]},  # an IBAN given as the QR-IBAN
    ):
        response = await client.patch(
            shop.office_path, json={"payee": PAYEE | wrong}, headers=shop.organizer.headers
        )
        assert response.status_code == 422, wrong


async def test_tickets_print_every_character_and_say_unpaid_until_the_invoice_is_paid(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await invoice_shop(client, db)
    renamed = await client.patch(
        f"{shop.office_path}/events/{shop.event_id}",
        json={"name": UNICODE_NAME},
        headers=shop.organizer.headers,
    )
    assert renamed.status_code == 200, renamed.text
    order = await buy(client, shop, method="invoice", quantity=1)
    tickets = await client.get(f"/v1/shop/orders/{order['access_key']}/tickets.pdf")
    content = text_of(tickets.content)
    assert UNICODE_NAME in content
    assert UNICODE_NAME in text_of(await invoice_pdf(client, order))
    assert "UNPAID - not valid until the invoice is paid" in content
    await client.post(
        f"{shop.office_path}/orders/{order['id']}/mark-paid",
        json={},
        headers=shop.organizer.headers,
    )
    paid = await client.get(f"/v1/shop/orders/{order['access_key']}/tickets.pdf")
    assert "UNPAID" not in text_of(paid.content)
