"""Partner pricing: 20 % off then the volume tier when the partner pays; cashback to the
partner's prepaid account, once per client payment, per the access type."""

import dataclasses
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select, update

from app.activity.models import ActivityEntry
from app.billing import cashback
from app.billing.models import EntryKind, Invoice, PrepaidEntry
from app.billing.partners import PartnerTerms, Pricing, pricing_for
from app.core.db import Database
from app.organizations.models import Organization, Partnership
from app.organizations.types import PartnerAccess, PaymentMode
from tests.billing.conftest import balance, credit_prepaid, customer, make_staff, order, path
from tests.factories import User

HOSTINGS = {"plan_code": "web_hosting.starter", "period": "monthly", "product_name": "site",
            "quantity": 35}  # fmt: skip


async def partnership(
    db: Database, partner: User, client: User, *, access: PartnerAccess, mode: PaymentMode
) -> None:
    async with db.sessionmaker.begin() as session:
        session.add(
            Partnership(
                id=uuid.uuid4(),
                partner_organization_id=partner.organization_id,
                client_organization_id=client.organization_id,
                access_type=access,
                includes_billing=True,
                payment_mode=mode,
            )
        )


async def cashback_entries(db: Database, organization_id: uuid.UUID) -> int:
    async with db.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    PrepaidEntry.organization_id == organization_id,
                    PrepaidEntry.kind == EntryKind.cashback,
                )
            )
            or 0
        )


async def make_partner(db: Database, partner: User) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == partner.organization_id)
            .values(is_partner=True)
        )


async def paid_order(client: httpx.AsyncClient, db: Database, managed: User) -> dict[str, Any]:
    """The client orders the hostings and pays them from its prepaid account."""
    invoice: dict[str, Any] = (await order(client, managed, HOSTINGS))["invoice"]
    await credit_prepaid(db, managed, invoice["total_minor"])
    paid = await client.post(
        path(managed, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=managed.headers,
    )
    assert paid.status_code == 201, paid.text
    return invoice


def test_pricing_rules_per_access_type() -> None:
    partner = uuid.uuid4()
    product = uuid.uuid4()
    full_partner_pays = PartnerTerms(partner, full_access=True, partner_pays=True)
    full_client_pays = PartnerTerms(partner, full_access=True, partner_pays=False)
    limited = PartnerTerms(partner, False, False, frozenset({product}))
    assert pricing_for(full_partner_pays, paid_by_partner=True) == Pricing.partner_price
    assert pricing_for(full_partner_pays, paid_by_partner=False) == Pricing.public_with_cashback
    assert pricing_for(full_client_pays, paid_by_partner=False) == Pricing.public_with_cashback
    assert pricing_for(limited, paid_by_partner=False) == Pricing.public
    assert (
        pricing_for(limited, paid_by_partner=False, product_ids=[product])
        == Pricing.public_with_cashback
    )
    assert pricing_for(None, paid_by_partner=False) == Pricing.public


async def test_partner_paying_with_its_own_means_gets_20_percent_then_the_tier(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    partner = await customer(client, db)
    managed = await customer(client, db)
    await partnership(
        db, partner, managed, access=PartnerAccess.full, mode=PaymentMode.partner_pays
    )
    await make_partner(db, partner)
    acting = dataclasses.replace(partner, organization_id=managed.organization_id)
    placed = await order(client, acting, HOSTINGS, checkout={"paid_by_partner": True})
    invoice = placed["invoice"]
    [line] = invoice["lines"]
    assert invoice["organization_id"] == str(partner.organization_id)
    assert invoice["beneficiary_organization_id"] == str(managed.organization_id)
    assert line["gross_minor"] == 34720
    assert line["gross_minor"] - line["partner_discount_minor"] == 27776
    assert line["net_minor"] == 20832
    await credit_prepaid(db, partner, invoice["total_minor"])
    paid = await client.post(
        path(partner, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=partner.headers,
    )
    assert paid.status_code == 201, paid.text
    assert await cashback_entries(db, partner.organization_id) == 0  # the discount, no cashback
    products = await client.get(
        path(managed, "/subscriptions"), params={"limit": 100}, headers=managed.headers
    )
    assert len(products.json()["data"]) == 35


async def test_client_payment_credits_the_partner_cashback_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    partner = await customer(client, db)
    managed = await customer(client, db)
    await partnership(db, partner, managed, access=PartnerAccess.full, mode=PaymentMode.client_pays)
    invoice = (await order(client, managed, HOSTINGS))["invoice"]
    assert invoice["organization_id"] == str(managed.organization_id)
    assert invoice["lines"][0]["net_minor"] == 26040  # public price, tier applied
    await credit_prepaid(db, managed, invoice["total_minor"])
    await client.post(
        path(managed, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid", "amount_minor": 1000},
        headers=managed.headers,
    )
    assert await cashback_entries(db, partner.organization_id) == 0  # not paid in full yet
    await client.post(
        path(managed, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=managed.headers,
    )
    assert await balance(db, partner.organization_id) == 26040 - 20832
    async with db.sessionmaker.begin() as session:
        row = await session.get(Invoice, invoice["id"])
        assert row is not None
        await cashback.credit(session, row)  # a second delivery of the same payment
    assert await cashback_entries(db, partner.organization_id) == 1
    assert await balance(db, partner.organization_id) == 5208


async def test_limited_access_new_orders_earn_no_cashback(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    partner = await customer(client, db)
    managed = await customer(client, db)
    await partnership(
        db, partner, managed, access=PartnerAccess.limited, mode=PaymentMode.client_pays
    )
    await paid_order(client, db, managed)
    assert await cashback_entries(db, partner.organization_id) == 0


async def test_without_a_partner_paid_by_partner_is_refused(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await client.post(path(user, "/cart/items"), json=HOSTINGS, headers=user.headers)
    response = await client.post(
        path(user, "/cart/checkout"), json={"paid_by_partner": True}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "partner_payment_not_allowed"


async def test_partner_staff_acting_in_a_client_billing_show_as_the_partner_in_its_log(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    partner = await customer(client, db)
    managed = await customer(client, db)
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Organization)
            .where(Organization.id == partner.organization_id)
            .values(is_partner=True)
        )
    await partnership(db, partner, managed, access=PartnerAccess.full, mode=PaymentMode.client_pays)
    acting = dataclasses.replace(partner, organization_id=managed.organization_id)
    placed = await order(client, acting, HOSTINGS)
    async with db.sessionmaker() as session:
        entry = await session.scalar(
            select(ActivityEntry).where(
                ActivityEntry.organization_id == managed.organization_id,
                ActivityEntry.action == "billing.order_placed",
            )
        )
    assert entry is not None
    assert entry.details["order_id"] == placed["id"]
    assert entry.actor_account_id == partner.account_id
    assert entry.actor_organization_id == partner.organization_id
    assert entry.details["via"] == "partner"


async def test_a_client_cannot_bill_its_partner(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    partner = await customer(client, db)
    managed = await customer(client, db)
    await partnership(
        db, partner, managed, access=PartnerAccess.full, mode=PaymentMode.partner_pays
    )
    await client.post(path(managed, "/cart/items"), json=HOSTINGS, headers=managed.headers)
    response = await client.post(
        path(managed, "/cart/checkout"), json={"paid_by_partner": True}, headers=managed.headers
    )
    assert response.status_code == 422
    assert response.json()["code"] == "partner_payment_not_allowed"
    async with db.sessionmaker() as session:
        billed = await session.scalar(
            select(func.count()).where(Invoice.organization_id == partner.organization_id)
        )
    assert billed == 0


async def test_a_refunded_client_payment_takes_the_partner_cashback_back_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await customer(client, db)
    await make_staff(db, staff)
    partner = await customer(client, db)
    managed = await customer(client, db)
    await partnership(db, partner, managed, access=PartnerAccess.full, mode=PaymentMode.client_pays)
    invoice = await paid_order(client, db, managed)
    assert await balance(db, partner.organization_id) == 5208
    corrected = await client.post(
        f"/v1/admin/invoices/{invoice['id']}/corrections",
        json={"reason": "refunded to the client"},
        headers=staff.headers,
    )
    assert corrected.status_code == 201, corrected.text
    assert await balance(db, partner.organization_id) == 0
    again = await client.post(
        f"/v1/admin/invoices/{invoice['id']}/corrections",
        json={"reason": "twice"},
        headers=staff.headers,
    )
    assert again.status_code == 409
    async with db.sessionmaker.begin() as session:
        row = await session.get(Invoice, invoice["id"])
        assert row is not None
        assert await cashback.reverse(session, row) == 0  # once
        await cashback.credit(session, row)  # a late redelivery of the payment credits nothing
    assert await balance(db, partner.organization_id) == 0
    async with db.sessionmaker() as session:
        kinds = list(
            await session.scalars(
                select(PrepaidEntry.kind)
                .where(PrepaidEntry.organization_id == partner.organization_id)
                .order_by(PrepaidEntry.created_at)
            )
        )
    assert kinds == [EntryKind.cashback, EntryKind.cashback_reversal]
