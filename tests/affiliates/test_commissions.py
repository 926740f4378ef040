"""What earns and at what rate: the referred organization's orders and renewals for 365 days
from its creation, at the tier in force for the affiliate's cumulative earnings (pending ones
count), on the amount excluding VAT, to the cent; and every exclusion earns nothing."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import httpx
import time_machine
from sqlalchemy import select, update

from app.affiliates import jobs
from app.billing import jobs as billing_jobs
from app.billing.models import Plan, Subscription
from app.core import clock
from app.core.db import Database
from app.events.models import DomainEvent
from app.organizations.models import Partnership
from tests.affiliates.conftest import (
    CLOUD,
    DRIVE,
    STREAMING,
    add_member,
    buy,
    commissions_of,
    days_after,
    item,
    join,
    referred,
)
from tests.billing.conftest import credit_prepaid, order, path, sign_in_again
from tests.factories import User, signed_in_user

WEB = "web_hosting.starter"  # CHF 9.92 a month
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

WALK = [
    # (item, base excl. VAT, rate %, commission, cumulative after)
    (item(CLOUD, quantity=5), 175_00, 2500, 43_75, 43_75),
    (item(STREAMING, quantity=2), 30_00, 2500, 7_50, 51_25),
    (item(CLOUD, "yearly", quantity=9), 3_150_00, 3000, 945_00, 996_25),
    (item(WEB), 9_92, 3000, 2_98, 999_23),  # 2.976 rounds half up to 2.98
    (item(DRIVE), 5_00, 3000, 1_50, 1_000_73),
    (item(CLOUD, "yearly", quantity=100), 35_000_00, 3500, 12_250_00, 13_250_73),
    (item(CLOUD, "yearly", quantity=55), 19_250_00, 3500, 6_737_50, 19_988_23),
    (item(STREAMING, quantity=3), 45_00, 3500, 15_75, 20_003_98),
    (item(DRIVE), 5_00, 5000, 2_50, 20_006_48),
]


async def test_an_affiliate_walked_past_20000_earns_25_30_35_then_50_percent(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    customer = await referred(client, db, affiliate.tag)
    standing_url = path(affiliate.user, "/affiliate/standing")
    for cart, base, rate_bp, amount, cumulative in WALK:
        invoice = await buy(client, db, customer, cart)
        assert invoice["subtotal_minor"] == base
        assert invoice["total_minor"] > base  # VAT is not commissioned
        earned = (await commissions_of(db, affiliate))[-1]
        assert (earned.base_minor, earned.rate_bp, earned.amount_minor) == (base, rate_bp, amount)
        assert earned.order_number == invoice["number"]
        standing = (await affiliate_client.get(standing_url, headers=affiliate.user.headers)).json()
        assert standing["cumulative_minor"] == cumulative
    assert standing["rate_bp"] == 5000
    assert standing["next_threshold_minor"] is None
    assert len(await commissions_of(db, affiliate)) == len(WALK)


async def test_the_standing_shows_the_rate_and_the_next_threshold(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    url = path(affiliate.user, "/affiliate/standing")
    start = (await affiliate_client.get(url, headers=affiliate.user.headers)).json()
    assert start | {"rate_bp": 2500, "next_rate_bp": 3000, "next_threshold_minor": 50_00} == start
    customer = await referred(client, db, affiliate.tag)
    await buy(client, db, customer, item(CLOUD, quantity=6))  # 210.00 → 52.50
    now = (await affiliate_client.get(url, headers=affiliate.user.headers)).json()
    assert now["cumulative_minor"] == 52_50
    assert now["pending_minor"] == 52_50
    assert (now["rate_bp"], now["next_rate_bp"], now["next_threshold_minor"]) == (
        3000,
        3500,
        1_000_00,
    )


async def test_a_renewal_on_day_364_earns_and_on_day_366_does_not(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD), item(STREAMING))
        subscriptions = (
            await client.get(path(customer, "/subscriptions"), headers=customer.headers)
        ).json()["data"]
    async with db.sessionmaker.begin() as session:
        cloud = await session.scalar(select(Plan.id).where(Plan.code == CLOUD))
        for row in subscriptions:
            day = 364 if row["plan_id"] == str(cloud) else 366
            await session.execute(
                update(Subscription)
                .where(Subscription.product_id == uuid.UUID(row["product_id"]))
                .values(expires_at=days_after(START, day))
            )
    await credit_prepaid(db, customer, 100_00)
    for day in (364, 366):
        with time_machine.travel(days_after(START, day), tick=False):
            assert await billing_jobs.renew_due(db.sessionmaker) == 1
            await jobs.read_billing_events(db.sessionmaker)
    earned = await commissions_of(db, affiliate)
    assert [row.base_minor for row in earned] == [35_00 + 15_00, 35_00]
    assert earned[1].ordered_at == days_after(START, 364)


async def test_a_refund_on_day_29_voids_the_commission_and_on_day_31_does_not(
    affiliate_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db: Database,
    catalog: None,
    staff: User,
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        early = await buy(client, db, customer, item(CLOUD))
        late = await buy(client, db, customer, item(STREAMING))
    for day, invoice in ((29, early), (31, late)):
        with time_machine.travel(days_after(START, day), tick=False):
            await jobs.validate_commissions(db.sessionmaker)
            await sign_in_again(client, staff)
            refund = await client.post(
                f"/v1/admin/invoices/{invoice['id']}/corrections",
                json={"reason": "money-back guarantee"},
                headers=staff.headers,
            )
            assert refund.status_code == 201, refund.text
            await jobs.validate_commissions(db.sessionmaker)
    states = {row.order_number: row.state for row in await commissions_of(db, affiliate)}
    assert states == {early["number"]: "void", late["number"]: "validated"}
    standing = (
        await affiliate_client.get(
            path(affiliate.user, "/affiliate/standing"), headers=affiliate.user.headers
        )
    ).json()
    assert standing["cumulative_minor"] == 3_75  # the voided 8.75 no longer counts
    async with db.sessionmaker() as session:
        voided = list(
            await session.scalars(
                select(DomainEvent).where(DomainEvent.type == "affiliate.commission_voided")
            )
        )
    assert [event.organization_id for event in voided] == [affiliate.user.organization_id]
    assert voided[0].data["order_number"] == early["number"]
    assert str(customer.organization_id) not in str(voided[0].data)


async def test_webhooks_offer_the_programme_events(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/v1/webhooks/event-types")).json()["data"]
    names = {entry["type"] for entry in listed}
    assert {
        "affiliate.commission_earned",
        "affiliate.commission_validated",
        "affiliate.commission_voided",
        "affiliate.payout_made",
    } <= names


async def test_excluded_products_earn_nothing_and_mixed_orders_earn_on_the_rest(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    customer = await referred(client, db, affiliate.tag)
    domain = {"plan_code": "domain.ch", "period": "yearly", "product_name": "example.ch"}
    await buy(client, db, customer, domain | {"renewal_warranty": True})
    assert await commissions_of(db, affiliate) == []
    await buy(client, db, customer, item(CLOUD), domain | {"product_name": "other.ch"})
    (earned,) = await commissions_of(db, affiliate)
    assert earned.base_minor == 35_00


async def order_for(client: httpx.AsyncClient, db: Database, member: User, customer: User) -> None:
    """``member`` (a member of the customer's organization too) orders a cloud server there;
    the customer pays it and billing's events are read."""
    invoice = (
        await order(client, replace(member, organization_id=customer.organization_id), item(CLOUD))
    )["invoice"]
    await credit_prepaid(db, customer, invoice["total_minor"])
    paid = await client.post(
        path(customer, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=customer.headers,
    )
    assert paid.status_code == 201, paid.text
    await jobs.read_billing_events(db.sessionmaker)


async def test_the_affiliates_own_orders_earn_nothing(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    await buy(affiliate_client, db, affiliate.user, item(CLOUD))
    customer = await referred(client, db, affiliate.tag)
    # An account that is a member of the affiliate's organization orders for the customer.
    await add_member(db, customer.organization_id, affiliate.user.account_id)
    await order_for(client, db, affiliate.user, customer)
    assert await commissions_of(db, affiliate) == []


async def test_an_order_from_an_address_the_affiliate_logs_in_from_earns_nothing(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    customer = await referred(client, db, affiliate.tag)
    await buy(affiliate_client, db, customer, item(CLOUD))
    assert await commissions_of(db, affiliate) == []
    await buy(client, db, customer, item(CLOUD))
    assert len(await commissions_of(db, affiliate)) == 1


async def test_accounts_and_organizations_that_existed_before_the_visit_earn_nothing(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    existing = await signed_in_user(client, db)
    # An existing customer follows the link and orders: its organization is not referred.
    from tests.affiliates.conftest import visit

    await visit(client, affiliate.tag)
    await buy(client, db, existing, item(CLOUD))
    # An account older than the visit orders in a referred organization.
    with time_machine.travel(days_after(clock.now(), 1), tick=False):
        customer = await referred(client, db, affiliate.tag)
        await add_member(db, customer.organization_id, existing.account_id)
        await sign_in_again(client, existing)
        await order_for(client, db, existing, customer)
    assert await commissions_of(db, affiliate) == []


async def test_an_organization_managed_by_a_partner_earns_nothing(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    partner = await signed_in_user(client, db)
    customer = await referred(client, db, affiliate.tag)
    async with db.sessionmaker.begin() as session:
        session.add(
            Partnership(
                id=uuid.uuid4(),
                partner_organization_id=partner.organization_id,
                client_organization_id=customer.organization_id,
                access_type="full",
                includes_billing=True,
                payment_mode="client_pays",
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    await buy(client, db, customer, item(CLOUD))
    assert await commissions_of(db, affiliate) == []


async def test_a_suspended_affiliate_earns_no_new_commissions(
    affiliate_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db: Database,
    catalog: None,
    staff: User,
) -> None:
    affiliate = await join(affiliate_client, db)
    customer = await referred(client, db, affiliate.tag)
    await buy(client, db, customer, item(CLOUD))
    suspended = await client.put(
        f"/v1/platform/affiliates/{affiliate.id}/suspension",
        json={"reason": "spam links"},
        headers=staff.headers,
    )
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    await buy(client, db, customer, item(CLOUD))
    assert len(await commissions_of(db, affiliate)) == 1
    reinstated = await client.delete(
        f"/v1/platform/affiliates/{affiliate.id}/suspension", headers=staff.headers
    )
    assert reinstated.json()["status"] == "active"
    await buy(client, db, customer, item(CLOUD))
    assert len(await commissions_of(db, affiliate)) == 2
