"""Invoices: the PDF with its payment slip (Swiss QR-bill, EPC QR code) while unpaid, history and
CSV (credit notes negative), proforma, corrections, immutability."""

import csv
import io
import re
from decimal import Decimal

import httpx
import pytest
from pypdf import PdfReader
from qrbill import QRBill
from sqlalchemy import text

from app.billing import references
from app.billing.pdf import invoice_qr_payload
from app.core.db import Database
from app.core.money import to_decimal_text
from tests.billing.conftest import credit_prepaid, customer, make_staff, order, path
from tests.qr import all_qr_codes, qr_codes, text_of

DOMAIN = {"plan_code": "domain.ch", "period": "yearly", "product_name": "example.ch"}


async def paid_invoice(client: httpx.AsyncClient, db: Database, user: object) -> dict:  # type: ignore[type-arg]
    invoice = (await order(client, user, DOMAIN))["invoice"]  # type: ignore[arg-type]
    return await pay_from_prepaid(client, db, user, invoice, invoice["total_minor"])


async def pay_from_prepaid(
    client: httpx.AsyncClient,
    db: Database,
    user: object,
    invoice: dict,
    amount_minor: int,  # type: ignore[type-arg]
) -> dict:  # type: ignore[type-arg]
    await credit_prepaid(db, user, amount_minor)  # type: ignore[arg-type]
    response = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),  # type: ignore[arg-type]
        json={"method": "prepaid", "amount_minor": amount_minor},
        headers=user.headers,  # type: ignore[attr-defined]
    )
    assert response.status_code == 201, response.text
    return response.json()["invoice"]  # type: ignore[no-any-return]


async def pdf_of(client: httpx.AsyncClient, user: object, invoice: dict) -> bytes:  # type: ignore[type-arg]
    response = await client.get(
        path(user, f"/invoices/{invoice['id']}/pdf"),  # type: ignore[arg-type]
        headers=user.headers,  # type: ignore[attr-defined]
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def platform_qr_bill(invoice: dict, amount_minor: int) -> str:  # type: ignore[type-arg]
    """What `qrbill` builds for the platform's invoice and the amount still due."""
    address = invoice["billing_address"]
    return str(
        QRBill(
            account="CH4431999123000889012",
            creditor={
                "name": "Manager Cloud SA",
                "street": "Rue du Stand",
                "house_num": "60",
                "pcode": "1204",
                "city": "Genève",
                "country": "CH",
            },
            amount=to_decimal_text(amount_minor),
            currency="CHF",
            debtor={
                "name": address["name"],
                "street": address["line1"],
                "pcode": address["postal_code"],
                "city": address["city"],
                "country": address["country"],
            },
            reference_number=invoice["payment_reference"],
            additional_information=f"Invoice {invoice['number']}",
        ).qr_data()
    )


async def test_unpaid_chf_invoice_pdf_carries_the_qr_bill_for_the_amount_due(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    document = await pdf_of(client, user, invoice)
    content = text_of(document)
    assert f"Invoice {invoice['number']}" in content
    assert "Payment part" in content
    assert "Receipt" in content
    assert "PAID" not in content
    printed = re.search(r"Reference\s*\n?\s*((?:\d{2}) (?:\d{5} ){4}\d{5})", content)
    assert printed is not None
    assert references.normalize(printed.group(1)) == invoice["payment_reference"]
    assert references.is_valid_qr_reference(printed.group(1))
    assert qr_codes(document, 2) == [platform_qr_bill(invoice, invoice["total_minor"])]


async def test_partly_paid_invoice_pdf_carries_the_qr_bill_for_the_rest(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    partly = await pay_from_prepaid(client, db, user, invoice, 500)
    assert partly["status"] == "partially_paid"
    rest = invoice["total_minor"] - 500
    document = await pdf_of(client, user, invoice)
    assert qr_codes(document, 2) == [platform_qr_bill(invoice, rest)]
    assert f"Amount due CHF {to_decimal_text(rest)}" in text_of(document)


async def test_paid_invoice_pdf_is_stamped_paid_and_carries_no_slip(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = await paid_invoice(client, db, user)
    document = await pdf_of(client, user, invoice)
    content = text_of(document)
    assert "PAID" in content
    assert "Payment part" not in content
    assert len(PdfReader(io.BytesIO(document)).pages) == 1
    assert all_qr_codes(document) == []


async def test_qr_payload_follows_the_swiss_payment_standards(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    from app.billing import invoices as service

    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    async with db.sessionmaker() as session:
        row = await service.get_invoice(session, invoice["id"])
        lines = invoice_qr_payload(row).splitlines()
    assert lines[:3] == ["SPC", "0200", "1"]
    assert lines[3] == "CH4431999123000889012"
    assert lines[4] == "S"
    assert lines[9] == "Genève"
    assert lines[11:18] == [""] * 7
    assert lines[18] == f"{invoice['total_minor'] // 100}.{invoice['total_minor'] % 100:02d}"
    assert lines[19] == "CHF"
    assert lines[20] == "S"
    assert lines[21] == invoice["billing_address"]["name"]
    assert lines[27] == "QRR"
    assert references.is_valid_qr_reference(lines[28])
    assert lines[-1] == "EPD"
    assert len(lines) == 31


async def test_eur_invoice_carries_iban_bic_rf_reference_and_an_epc_qr_code(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db, country="FR")
    invoice = (await order(client, user, DOMAIN))["invoice"]
    assert invoice["currency"] == "EUR"
    assert references.is_valid_creditor_reference(invoice["payment_reference"])
    document = await pdf_of(client, user, invoice)
    content = text_of(document)
    assert "IBAN: CH93 0076 2011 6238 5295 7" in content
    assert "BIC: UBSWCHZH80A" in content
    assert f"Reference: {references.grouped(invoice['payment_reference'])}" in content
    [code] = qr_codes(document, 1)
    lines = code.splitlines()
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4:7] == ["UBSWCHZH80A", "Manager Cloud SA", "CH9300762011623852957"]
    assert lines[7].startswith("EUR")
    assert Decimal(lines[7][3:]) == Decimal(to_decimal_text(invoice["total_minor"]))
    assert lines[9] == invoice["payment_reference"]


async def test_history_filters_by_status_and_exports_csv(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    paid = await paid_invoice(client, db, user)
    unpaid = (await order(client, user, DOMAIN))["invoice"]
    listed = await client.get(
        path(user, "/invoices"), params={"status": "paid"}, headers=user.headers
    )
    assert [row["id"] for row in listed.json()["data"]] == [paid["id"]]
    both = await client.get(path(user, "/invoices"), headers=user.headers)
    assert [row["id"] for row in both.json()["data"]] == [unpaid["id"], paid["id"]]
    future = await client.get(
        path(user, "/invoices"),
        params={"issued_from": "2999-01-01T00:00:00Z"},
        headers=user.headers,
    )
    assert future.json()["data"] == []
    exported = await client.get(
        path(user, "/invoices/export.csv"), params={"status": "open"}, headers=user.headers
    )
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["number"] for row in rows] == [unpaid["number"]]
    assert rows[0]["total"] == f"{unpaid['total_minor'] / 100:.2f}"


async def test_proforma_prices_the_renewal_of_selected_products_without_invoicing(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await paid_invoice(client, db, user)
    [subscription] = (await client.get(path(user, "/subscriptions"), headers=user.headers)).json()[
        "data"
    ]
    response = await client.post(
        path(user, "/proforma"),
        json={"product_ids": [subscription["product_id"]]},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    proforma = response.json()
    assert proforma["subtotal_minor"] == 1100
    assert proforma["vat_minor"] == 89  # 8.1 % of 11.00 = 0.891
    assert proforma["total_minor"] == 1189
    history = await client.get(path(user, "/invoices"), headers=user.headers)
    assert len(history.json()["data"]) == 1


async def test_correction_is_a_credit_note_plus_a_new_invoice(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    paid = await paid_invoice(client, db, user)
    response = await client.post(
        f"/v1/admin/invoices/{paid['id']}/corrections",
        json={
            "reason": "wrong product name",
            "lines": [{"description": "Domain .ch: example.ch", "unit_price_minor": 1000}],
        },
        headers=staff.headers,
    )
    assert response.status_code == 201, response.text
    corrected = response.json()
    assert corrected["credit_note"]["kind"] == "credit_note"
    assert corrected["credit_note"]["number"].startswith("CN-")
    assert corrected["credit_note"]["total_minor"] == paid["total_minor"]
    assert corrected["replacement"]["total_minor"] == 1000 + 81
    original = await client.get(path(user, f"/invoices/{paid['id']}"), headers=user.headers)
    assert original.json()["status"] == "refunded"
    assert original.json()["total_minor"] == paid["total_minor"]
    prepaid = await client.get(path(user, "/prepaid"), headers=user.headers)
    assert prepaid.json()["data"][0]["balance_minor"] == paid["total_minor"]


async def test_issued_invoice_amounts_cannot_be_changed_in_the_database(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    async with db.sessionmaker() as session:
        with pytest.raises(Exception, match="cannot change"):
            await session.execute(
                text(
                    "UPDATE billing_invoices SET total_minor = 1, subtotal_minor = 1 - vat_minor"
                    " WHERE id = :id"
                ),
                {"id": invoice["id"]},
            )


async def test_csv_of_a_month_with_an_invoice_and_its_credit_note_sums_to_zero(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    paid = await paid_invoice(client, db, user)
    corrected = await client.post(
        f"/v1/admin/invoices/{paid['id']}/corrections",
        json={"reason": "sold by mistake", "lines": []},
        headers=staff.headers,
    )
    assert corrected.status_code == 201, corrected.text
    credit_note = corrected.json()["credit_note"]
    exported = await client.get(path(user, "/invoices/export.csv"), headers=user.headers)
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["kind"] for row in rows] == ["invoice", "credit_note"]
    assert rows[1]["corrects"] == paid["number"]
    assert rows[1]["total"] == f"-{paid['total_minor'] / 100:.2f}"
    for column in ("subtotal", "vat", "total"):
        assert sum(Decimal(row[column]) for row in rows) == 0, column
    document = await pdf_of(client, user, credit_note)
    content = text_of(document)
    assert f"Credit note {credit_note['number']}" in content
    assert f"Corrects invoice {paid['number']}" in content
    assert f"-{paid['total_minor'] / 100:.2f}" in content
    assert all_qr_codes(document) == []
