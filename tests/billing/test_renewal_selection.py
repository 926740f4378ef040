"""Paying a selection of renewals at once: one invoice for several products' next periods, issued
once, and paying it renews them all."""

import asyncio
from datetime import datetime

import httpx
from sqlalchemy import func, select

from app.billing.models import Invoice
from app.core.db import Database
from tests.billing.conftest import credit_prepaid, customer, path
from tests.billing.test_renewals import DOMAIN, HOSTING, bought, subscription


async def test_one_invoice_renews_the_selected_products_together(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    hosting = await bought(client, db, user, HOSTING | {"renewal_warranty": True})
    domain = await bought(client, db, user, DOMAIN | {"auto_renew": False})
    selection = {"product_ids": [hosting["product_id"], domain["product_id"]]}
    issued = await client.post(path(user, "/renewals"), json=selection, headers=user.headers)
    assert issued.status_code == 201, issued.text
    invoice = issued.json()
    lines = sorted((line["kind"], line["net_minor"]) for line in invoice["lines"])
    # Hosting 9.92 a month and its Renewal Warranty 1.00, the .ch domain 11.00 a year.
    assert lines == [("renewal", 992), ("renewal", 1100), ("renewal_warranty", 100)]
    assert invoice["subtotal_minor"] == 992 + 100 + 1100
    assert invoice["total_minor"] == invoice["subtotal_minor"] + invoice["vat_minor"]
    assert invoice["vat_minor"] == sum(line["vat_minor"] for line in invoice["lines"])

    # Asked again (a double click): the same invoice, nothing billed twice.
    again = await client.post(
        path(user, "/renewals"),
        json={"product_ids": list(reversed(selection["product_ids"]))},
        headers=user.headers,
    )
    assert again.status_code == 201, again.text
    assert again.json()["id"] == invoice["id"]
    overlapping = await client.post(
        path(user, "/renewals"),
        json={"product_ids": [hosting["product_id"]]},
        headers=user.headers,
    )
    assert (overlapping.status_code, overlapping.json()["code"]) == (
        409,
        "renewal_already_invoiced",
    )

    await credit_prepaid(db, user, invoice["total_minor"])
    paid = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert paid.status_code == 201, paid.text
    renewed_hosting = await subscription(db, hosting["product_id"])
    renewed_domain = await subscription(db, domain["product_id"])
    assert renewed_hosting.expires_at.month != datetime.fromisoformat(hosting["expires_at"]).month
    assert renewed_domain.expires_at.year == datetime.fromisoformat(domain["expires_at"]).year + 1


async def test_a_selection_refuses_products_it_cannot_renew(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    hosting = await bought(client, db, user, HOSTING)
    await client.post(
        path(user, f"/subscriptions/{hosting['product_id']}/give-up"), headers=user.headers
    )
    given_up = await client.post(
        path(user, "/renewals"),
        json={"product_ids": [hosting["product_id"]]},
        headers=user.headers,
    )
    assert (given_up.status_code, given_up.json()["code"]) == (409, "subscription_not_renewable")
    other = await customer(client, db)
    foreign = await client.post(
        path(other, "/renewals"),
        json={"product_ids": [hosting["product_id"]]},
        headers=other.headers,
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "subscription_not_found")


async def test_concurrent_selections_issue_one_invoice(
    settings: object, committed_db: Database
) -> None:
    from app.billing.seed import seed_catalog
    from app.main import create_app

    app = create_app(settings, database=committed_db)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with committed_db.sessionmaker.begin() as session:
            await seed_catalog(session)
        user = await customer(client, committed_db)
        products = [
            (await bought(client, committed_db, user, HOSTING | {"product_name": name}))[
                "product_id"
            ]
            for name in ("a", "b", "c")
        ]
        answers = await asyncio.gather(
            *(
                client.post(
                    path(user, "/renewals"),
                    json={"product_ids": products if turn % 2 else list(reversed(products))},
                    headers=user.headers,
                )
                for turn in range(4)
            )
        )
    assert {answer.status_code for answer in answers} <= {201, 409}
    issued = {answer.json()["id"] for answer in answers if answer.status_code == 201}
    assert len(issued) == 1
    async with committed_db.sessionmaker() as session:
        invoices = await session.scalar(
            select(func.count())
            .select_from(Invoice)
            .where(Invoice.organization_id == user.organization_id)
        )
    assert invoices == 3 + 1  # the three orders, and one renewal invoice
