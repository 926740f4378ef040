"""Invoices: PDF with the Swiss QR-bill, history and CSV, proforma, corrections, immutability."""

import csv
import io
import re

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import text

from app.billing import references
from app.billing.pdf import invoice_qr_payload
from app.core.db import Database
from tests.billing.conftest import credit_prepaid, customer, make_staff, order, path

DOMAIN = {"plan_code": "domain.ch", "period": "yearly", "product_name": "example.ch"}


async def paid_invoice(client: httpx.AsyncClient, db: Database, user: object) -> dict:  # type: ignore[type-arg]
    invoice = (await order(client, user, DOMAIN))["invoice"]  # type: ignore[arg-type]
    await credit_prepaid(db, user, invoice["total_minor"])  # type: ignore[arg-type]
    response = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),  # type: ignore[arg-type]
        json={"method": "prepaid"},
        headers=user.headers,  # type: ignore[attr-defined]
    )
    assert response.status_code == 201, response.text
    return response.json()["invoice"]  # type: ignore[no-any-return]


async def test_paid_chf_invoice_pdf_carries_a_qr_bill_whose_reference_validates(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = await paid_invoice(client, db, user)
    response = await client.get(path(user, f"/invoices/{invoice['id']}/pdf"), headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    content = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Invoice {invoice['number']}" in content
    assert "Payment part" in content
    assert "Receipt" in content
    printed = re.search(r"Reference\s*\n?\s*((?:\d{2}) (?:\d{5} ){4}\d{5})", content)
    assert printed is not None
    reference = printed.group(1)
    assert references.normalize(reference) == invoice["payment_reference"]
    assert references.is_valid_qr_reference(reference)
    assert len(reader.pages[1].images) == 1  # the QR code


async def test_qr_payload_follows_the_swiss_payment_standards(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    from app.billing import invoices as service

    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    async with db.sessionmaker() as session:
        row = await service.get_invoice(session, invoice["id"])
        lines = invoice_qr_payload(row).split("\n")
    assert lines[:3] == ["SPC", "0200", "1"]
    assert lines[3] == "CH4431999123000889012"
    assert lines[4] == "S"
    assert lines[11:18] == [""] * 7
    assert lines[18] == f"{invoice['total_minor'] // 100}.{invoice['total_minor'] % 100:02d}"
    assert lines[19] == "CHF"
    assert lines[20] == "S"
    assert lines[21] == invoice["billing_address"]["name"]
    assert lines[27] == "QRR"
    assert references.is_valid_qr_reference(lines[28])
    assert lines[-1] == "EPD"
    assert len(lines) == 31


async def test_unpaid_invoice_has_no_final_pdf(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    response = await client.get(path(user, f"/invoices/{invoice['id']}/pdf"), headers=user.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_not_paid"


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
