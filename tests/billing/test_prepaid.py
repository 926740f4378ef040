"""The prepaid ledger: balance is the sum of entries, never negative, even under concurrency."""

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select, text

from app.billing import invoices, ledger
from app.billing.models import EntryKind, LineKind, PrepaidEntry
from app.billing.seed import seed_catalog
from app.core.db import Database
from tests.billing.conftest import add_card, balance, credit_prepaid, customer, path


async def test_top_up_by_card_then_withdraw_everything(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await add_card(client, user)
    topped = await client.post(
        path(user, "/prepaid/CHF/top-ups"),
        json={"amount_minor": 12345},
        headers=user.headers | {"Idempotency-Key": "top-up-1"},
    )
    assert topped.status_code == 201, topped.text
    replay = await client.post(
        path(user, "/prepaid/CHF/top-ups"),
        json={"amount_minor": 12345},
        headers=user.headers | {"Idempotency-Key": "top-up-1"},
    )
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert await balance(db, user.organization_id) == 12345
    withdrawn = await client.post(
        path(user, "/prepaid/CHF/withdrawals"),
        json={"iban": "CH93 0076 2011 6238 5295 7", "account_holder": "Ada Lovelace"},
        headers=user.headers,
    )
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.json()["amount_minor"] == 12345
    assert await balance(db, user.organization_id) == 0
    again = await client.post(
        path(user, "/prepaid/CHF/withdrawals"),
        json={"iban": "CH9300762011623852957", "account_holder": "Ada Lovelace"},
        headers=user.headers,
    )
    assert again.status_code == 409
    entries = await client.get(path(user, "/prepaid/CHF/entries"), headers=user.headers)
    assert [entry["kind"] for entry in entries.json()["data"]] == ["withdrawal", "top_up"]


async def test_declined_card_top_up_is_refused_and_recorded(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await add_card(client, user, "4000000000000002")
    response = await client.post(
        path(user, "/prepaid/CHF/top-ups"), json={"amount_minor": 1000}, headers=user.headers
    )
    assert response.status_code == 402
    assert response.json()["code"] == "payment_declined"
    assert await balance(db, user.organization_id) == 0
    payments = await client.get(path(user, "/payments"), headers=user.headers)
    assert [p["status"] for p in payments.json()["data"]] == ["failed"]


async def test_ledger_entries_cannot_be_altered(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await credit_prepaid(db, user, 1000)
    async with db.sessionmaker() as session:
        with pytest.raises(Exception, match="append-only"):
            await session.execute(text("UPDATE billing_prepaid_entries SET amount_minor = 1"))


async def test_100_concurrent_payments_against_a_balance_covering_10(
    committed_client: httpx.AsyncClient, committed_db: Database
) -> None:
    client, db = committed_client, committed_db
    async with db.sessionmaker.begin() as session:
        await seed_catalog(session)
    user = await customer(client, db)
    async with db.sessionmaker.begin() as session:
        from app.organizations import service as organizations

        organization = await organizations.billing_details(session, user.organization_id)
        assert organization is not None
        issued = [
            await invoices.create(
                session,
                organization_id=user.organization_id,
                currency="CHF",
                billing_address=invoices.address_of(organization),
                lines=[
                    invoices.DraftLine(
                        kind=LineKind.correction, description="Service", unit_price_minor=1000
                    )
                ],
            )
            for _ in range(100)
        ]
        total = issued[0].total_minor
        await ledger.post(
            session,
            organization_id=user.organization_id,
            currency="CHF",
            kind=EntryKind.top_up,
            amount_minor=10 * total,
            reference=f"test:{uuid.uuid4()}",
        )

    async def pay(invoice_id: uuid.UUID) -> int:
        response = await client.post(
            path(user, f"/invoices/{invoice_id}/payments"),
            json={"method": "prepaid"},
            headers=user.headers,
        )
        assert response.status_code in (201, 409), response.text
        return response.status_code

    statuses = await asyncio.gather(*(pay(invoice.id) for invoice in issued))
    assert statuses.count(201) == 10
    assert statuses.count(409) == 90
    assert await balance(db, user.organization_id) == 0
    async with db.sessionmaker() as session:
        ledger_sum = await session.scalar(
            select(func.sum(PrepaidEntry.amount_minor)).where(
                PrepaidEntry.organization_id == user.organization_id
            )
        )
        debits = await session.scalar(
            select(func.count()).where(
                PrepaidEntry.organization_id == user.organization_id,
                PrepaidEntry.kind == EntryKind.invoice_payment,
            )
        )
    assert ledger_sum == 0
    assert debits == 10


async def test_unpaid_invoices_and_prepaid_balance_block_organization_deletion(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    from app import lifecycle
    from app.organizations.models import Organization
    from tests.billing.conftest import order

    user = await customer(client, db)
    await order(client, user, {"plan_code": "domain.ch", "product_name": "a.ch"})
    await credit_prepaid(db, user, 100)
    async with db.sessionmaker() as session:
        organization = await session.get(Organization, user.organization_id)
        assert organization is not None
        blockers = await lifecycle.organization_deletion_blockers(session, organization)
    assert {"unpaid_invoices", "prepaid_balance"} <= set(blockers)
