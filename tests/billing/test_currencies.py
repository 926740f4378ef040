"""Every amount carries its currency: amounts sent in another currency than the invoice's or the
prepaid account's are refused (422 ``currency_mismatch``) and change nothing; invoice lines and
proforma lines say their currency; a bank credit in a currency the platform does not book refuses
its file."""

from typing import Any

import httpx
from sqlalchemy import func, select

from app.billing.models import BankTransfer, PrepaidEntry, Withdrawal
from app.core.db import Database
from tests.billing.conftest import add_card, balance, credit_prepaid, customer, make_staff, order
from tests.billing.conftest import path as org_path
from tests.billing.test_transfers import camt054, transaction
from tests.factories import User

DOMAIN = {"plan_code": "domain.ch", "period": "yearly", "product_name": "example.ch"}


def refused_for_currency(response: httpx.Response) -> None:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "currency_mismatch"


async def count(db: Database, model: type[Any], user: User) -> int:
    async with db.sessionmaker() as session:
        value = await session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.organization_id == user.organization_id)
        )
    return int(value or 0)


async def test_paying_an_invoice_in_another_currency_is_refused_and_pays_nothing(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    assert invoice["currency"] == "CHF"
    await credit_prepaid(db, user, invoice["total_minor"])
    response = await client.post(
        org_path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid", "amount_minor": invoice["total_minor"], "currency": "EUR"},
        headers=user.headers,
    )
    refused_for_currency(response)
    assert await balance(db, user.organization_id) == invoice["total_minor"]
    unpaid = await client.get(org_path(user, f"/invoices/{invoice['id']}"), headers=user.headers)
    assert unpaid.json()["status"] == "open"
    assert unpaid.json()["paid_minor"] == 0
    payments = await client.get(org_path(user, "/payments"), headers=user.headers)
    assert payments.json()["data"] == []

    paid = await client.post(
        org_path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid", "currency": "CHF"},
        headers=user.headers,
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["payment"]["currency"] == "CHF"
    assert paid.json()["invoice"]["status"] == "paid"


async def test_a_card_top_up_in_another_currency_than_the_account_charges_nothing(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await add_card(client, user)
    response = await client.post(
        org_path(user, "/prepaid/CHF/top-ups"),
        json={"amount_minor": 5000, "currency": "EUR"},
        headers=user.headers,
    )
    refused_for_currency(response)
    assert await balance(db, user.organization_id) == 0
    payments = await client.get(org_path(user, "/payments"), headers=user.headers)
    assert payments.json()["data"] == []

    topped = await client.post(
        org_path(user, "/prepaid/EUR/top-ups"),
        json={"amount_minor": 5000, "currency": "EUR"},
        headers=user.headers,
    )
    assert topped.status_code == 201, topped.text
    assert topped.json()["currency"] == "EUR"
    assert await balance(db, user.organization_id, "EUR") == 5000


async def test_a_withdrawal_in_another_currency_than_the_account_is_refused(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await credit_prepaid(db, user, 3000)
    response = await client.post(
        org_path(user, "/prepaid/CHF/withdrawals"),
        json={
            "amount_minor": 1000,
            "currency": "EUR",
            "iban": "CH9300762011623852957",
            "account_holder": "Théâtre du Lac",
        },
        headers=user.headers,
    )
    refused_for_currency(response)
    assert await balance(db, user.organization_id) == 3000
    assert await count(db, Withdrawal, user) == 0
    assert await count(db, PrepaidEntry, user) == 1  # the credit only


async def test_a_correction_line_in_another_currency_than_the_invoice_is_refused(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    invoice = (await order(client, user, DOMAIN))["invoice"]
    response = await client.post(
        f"/v1/admin/invoices/{invoice['id']}/corrections",
        json={
            "reason": "Mauvais prix",
            "lines": [
                {"description": "Domain .ch", "unit_price_minor": 1000, "currency": "CHF"},
                {"description": "Domain .ch (bis)", "unit_price_minor": 500, "currency": "EUR"},
            ],
        },
        headers=staff.headers,
    )
    refused_for_currency(response)
    unchanged = await client.get(org_path(user, f"/invoices/{invoice['id']}"), headers=user.headers)
    assert unchanged.json()["status"] == "open"
    history = await client.get(org_path(user, "/invoices"), headers=user.headers)
    assert [entry["kind"] for entry in history.json()["data"]] == ["invoice"]


async def test_invoice_and_proforma_lines_carry_the_invoice_currency(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db, country="FR")
    placed = await order(client, user, DOMAIN)
    invoice = placed["invoice"]
    assert placed["currency"] == invoice["currency"] == "EUR"
    assert invoice["lines"]
    assert {line["currency"] for line in invoice["lines"]} == {"EUR"}
    await credit_prepaid(db, user, invoice["total_minor"], "EUR")
    paid = await client.post(
        org_path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert paid.status_code == 201, paid.text
    [subscription] = (
        await client.get(org_path(user, "/subscriptions"), headers=user.headers)
    ).json()["data"]
    proforma = await client.post(
        org_path(user, "/proforma"),
        json={"product_ids": [subscription["product_id"]]},
        headers=user.headers,
    )
    assert proforma.status_code == 200, proforma.text
    assert proforma.json()["currency"] == "EUR"
    assert {line["currency"] for line in proforma.json()["lines"]} == {"EUR"}


async def test_a_bank_file_with_a_credit_in_another_currency_imports_nothing(
    client: httpx.AsyncClient, db: Database
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    document = camt054(
        transaction("USD-1", 1000, "CHF", None), transaction("USD-2", 2500, "USD", None)
    )
    response = await client.post(
        "/v1/admin/bank-transfers",
        content=document,
        headers=staff.headers | {"content-type": "application/xml"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_camt_file"
    async with db.sessionmaker() as session:
        imported = await session.scalar(
            select(func.count())
            .select_from(BankTransfer)
            .where(BankTransfer.entry_reference.in_(["USD-1", "USD-2"]))
        )
    assert imported == 0
