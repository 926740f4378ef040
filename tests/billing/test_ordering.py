"""Cart → order → invoice, VAT, promo codes and free grants, paying, products appearing."""

import httpx
from sqlalchemy import select

from app.billing.models import Subscription
from app.core.db import Database
from app.organizations.models import Product
from tests.billing.conftest import balance, credit_prepaid, customer, make_staff, order, path

HOSTING = {"plan_code": "web_hosting.starter", "period": "monthly", "product_name": "shop"}


async def test_35_hostings_invoice_with_tier_and_swiss_vat(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    placed = await order(client, user, HOSTING | {"quantity": 35})
    invoice = placed["invoice"]
    [line] = invoice["lines"]
    assert line["gross_minor"] == 34720
    assert line["volume_discount_minor"] == 8680  # 25 % from 35 hostings
    assert line["net_minor"] == 26040
    assert line["vat_rate_bp"] == 810
    assert line["vat_minor"] == 2109  # 2109.24
    assert invoice["total_minor"] == 26040 + 2109
    assert invoice["status"] == "open"
    assert invoice["currency"] == "CHF"
    assert len(invoice["payment_reference"]) == 27


async def test_paying_from_prepaid_creates_the_products(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    placed = await order(client, user, HOSTING | {"quantity": 2, "renewal_warranty": True})
    invoice = placed["invoice"]
    assert [line["kind"] for line in invoice["lines"]] == ["new_product", "renewal_warranty"]
    await credit_prepaid(db, user, invoice["total_minor"] + 500)
    response = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["invoice"]["status"] == "paid"
    assert await balance(db, user.organization_id) == 500
    async with db.sessionmaker() as session:
        products = list(
            await session.scalars(
                select(Product).where(Product.organization_id == user.organization_id)
            )
        )
        subscriptions = list(
            await session.scalars(
                select(Subscription).where(Subscription.organization_id == user.organization_id)
            )
        )
    assert sorted(product.name for product in products) == ["shop 1", "shop 2"]
    assert all(s.renewal_warranty and s.auto_renew and s.period == "monthly" for s in subscriptions)
    order_now = await client.get(path(user, f"/orders/{placed['id']}"), headers=user.headers)
    assert order_now.json()["status"] == "paid"


async def test_partial_payment_then_the_rest(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, HOSTING))["invoice"]
    await credit_prepaid(db, user, 500)
    first = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid", "amount_minor": 500},
        headers=user.headers,
    )
    assert first.json()["invoice"]["status"] == "partially_paid"
    assert first.json()["invoice"]["amount_due_minor"] == invoice["total_minor"] - 500
    too_much = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid", "amount_minor": invoice["total_minor"]},
        headers=user.headers,
    )
    assert too_much.status_code == 422
    assert too_much.json()["code"] == "amount_exceeds_amount_due"
    empty = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert empty.status_code == 409
    assert empty.json()["code"] == "insufficient_prepaid_balance"


async def test_eur_organization_in_france_pays_french_vat_with_rf_reference(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db, country="FR")
    invoice = (await order(client, user, HOSTING | {"quantity": 35}))["invoice"]
    [line] = invoice["lines"]
    assert invoice["currency"] == "EUR"
    assert line["gross_minor"] == 20125
    assert line["net_minor"] == 15094  # 150.9375 → 150.94
    assert line["vat_minor"] == 3019  # 20 % of 150.94 = 30.188
    assert invoice["payment_reference"].startswith("RF")


async def test_promo_code_applies_at_the_end_and_only_once_per_organization(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    created = await client.post(
        "/v1/admin/promo-codes",
        json={
            "code": "welcome10",
            "kind": "percent",
            "percent_bp": 1000,
            "max_uses": 5,
            "product_types": ["web_hosting"],
        },
        headers=staff.headers,
    )
    assert created.status_code == 201, created.text
    user = await customer(client, db)
    invoice = (
        await order(
            client,
            user,
            HOSTING | {"quantity": 35},
            {"plan_code": "domain.ch", "period": "yearly", "product_name": "shop.ch"},
            checkout={"promo_codes": ["WELCOME10"]},
        )
    )["invoice"]
    hosting, domain = invoice["lines"]
    assert hosting["promo_discount_minor"] == 2604  # 10 % of 260.40, after the tier
    assert hosting["net_minor"] == 23436
    assert domain["promo_discount_minor"] == 0  # restricted to web hosting
    await client.post(path(user, "/cart/items"), json=HOSTING, headers=user.headers)
    again = await client.post(
        path(user, "/cart/checkout"), json={"promo_codes": ["welcome10"]}, headers=user.headers
    )
    assert again.status_code == 422
    assert again.json()["code"] == "promo_code_already_used"


async def test_free_grant_makes_one_unit_free_and_a_zero_invoice_is_paid_at_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    grant = await client.post(
        f"/v1/admin/organizations/{user.organization_id}/free-grants",
        json={"plan_code": "domain.ch", "reason": "migration offer"},
        headers=staff.headers,
    )
    assert grant.status_code == 201, grant.text
    placed = await order(
        client,
        user,
        {"plan_code": "domain.ch", "period": "yearly", "product_name": "free.ch"},
        checkout={"free_grant_ids": [grant.json()["id"]]},
    )
    assert placed["invoice"]["total_minor"] == 0
    assert placed["invoice"]["status"] == "paid"
    products = await client.get(path(user, "/subscriptions"), headers=user.headers)
    assert len(products.json()["data"]) == 1


async def test_cancelling_a_partly_paid_order_refunds_to_prepaid(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    placed = await order(client, user, HOSTING)
    await credit_prepaid(db, user, 300)
    await client.post(
        path(user, f"/invoices/{placed['invoice']['id']}/payments"),
        json={"method": "prepaid", "amount_minor": 300},
        headers=user.headers,
    )
    assert await balance(db, user.organization_id) == 0
    cancelled = await client.post(
        path(user, f"/orders/{placed['id']}/cancel"), headers=user.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert await balance(db, user.organization_id) == 300
    invoice = await client.get(
        path(user, f"/invoices/{placed['invoice']['id']}"), headers=user.headers
    )
    assert invoice.json()["status"] == "void"


async def test_an_extra_billing_address_changes_what_is_printed_not_the_vat_of_the_seat(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    import uuid

    from app.organizations.models import BillingAddress

    user = await customer(client, db)
    address_id = uuid.uuid4()
    async with db.sessionmaker.begin() as session:
        session.add(
            BillingAddress(
                id=address_id,
                organization_id=user.organization_id,
                label="Berlin office",
                recipient="Ada GmbH",
                line1="Unter den Linden 1",
                postal_code="10117",
                city="Berlin",
                country="DE",
            )
        )
    invoice = (
        await order(client, user, HOSTING, checkout={"billing_address_id": str(address_id)})
    )["invoice"]
    assert invoice["billing_address"]["name"] == "Ada GmbH"
    assert invoice["billing_address"]["country"] == "DE"
    assert invoice["vat_country"] == "CH"  # the organization's seat
    assert invoice["lines"][0]["vat_rate_bp"] == 810
    assert invoice["vat_minor"] == 80  # 8.1 % of 9.92 = 0.80352
    await client.post(path(user, "/cart/items"), json=HOSTING, headers=user.headers)
    unknown = await client.post(
        path(user, "/cart/checkout"),
        json={"billing_address_id": str(uuid.uuid4())},
        headers=user.headers,
    )
    assert unknown.status_code == 404


async def test_a_swiss_organization_typing_a_us_address_still_pays_swiss_vat(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    address = {"name": "Ada Inc.", "line1": "1 Main St", "postal_code": "10001",
               "city": "New York", "country": "US"}  # fmt: skip
    invoice = (await order(client, user, HOSTING, checkout={"billing_address": address}))["invoice"]
    assert invoice["billing_address"]["country"] == "US"
    assert (invoice["vat_country"], invoice["lines"][0]["vat_rate_bp"]) == ("CH", 810)
