"""The hold and the monthly payout: validated after 30 days (converted at the day's rate, kept
on the commission), paid at the start of a month once 50 is due — once, however many runs or
workers — to the prepaid account or as a PayPal/bank instruction staff mark paid out; below 50
the balance carries over. What the affiliate sees never names the customer."""

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import time_machine
from sqlalchemy import func, select

from app.activity.models import ActivityEntry
from app.affiliates import jobs
from app.affiliates.models import Affiliate, Commission, Payout
from app.billing.models import PrepaidEntry
from app.core import clock
from app.core.db import Database
from app.events.models import DomainEvent
from app.notifications.models import MailMessage
from app.organizations.models import Organization
from tests.affiliates.conftest import CLOUD, buy, commissions_of, days_after, item, join, referred
from tests.billing.conftest import balance, path, sign_in_again
from tests.factories import User
from tests.mail import rendered

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def next_month(moment: datetime) -> datetime:
    """The first day of the month after ``moment``'s, at 03:00 UTC."""
    return datetime(moment.year + (moment.month == 12), moment.month % 12 + 1, 1, 3, tzinfo=UTC)


APRIL = datetime(2027, 4, 1, 2, 0, tzinfo=UTC)
MAY = datetime(2027, 5, 1, 2, 0, tzinfo=UTC)


async def test_validated_commissions_are_paid_once_into_the_prepaid_account(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db, language="fr")
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD, "yearly"))  # 350.00 → 87.50
    with time_machine.travel(days_after(START, 29), tick=False):
        assert await jobs.validate_commissions(db.sessionmaker) == 0
    with time_machine.travel(days_after(START, 30), tick=False):
        assert await jobs.validate_commissions(db.sessionmaker) == 1
    with time_machine.travel(APRIL, tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 1
        assert await jobs.pay_affiliates(db.sessionmaker) == 0
    with time_machine.travel(days_after(APRIL, 20), tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 0
    assert await balance(db, affiliate.user.organization_id) == 87_50
    (line,) = await commissions_of(db, affiliate)
    assert line.state == "paid"
    async with db.sessionmaker() as session:
        mail = (
            await session.scalars(
                select(MailMessage).where(MailMessage.template == "affiliate_payout")
            )
        ).one()
        types = set(
            await session.scalars(
                select(DomainEvent.type).where(
                    DomainEvent.organization_id == affiliate.user.organization_id
                )
            )
        )
    assert mail.language == "fr"
    assert "87.50" in rendered(mail).text_body
    assert "compte prépayé" in rendered(mail).text_body
    assert {
        "affiliate.commission_earned",
        "affiliate.commission_validated",
        "affiliate.payout_made",
    } <= types


async def test_below_50_nothing_is_paid_and_the_balance_carries_over(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD, quantity=5))  # 175.00 → 43.75
    with time_machine.travel(days_after(START, 24), tick=False):
        await sign_in_again(client, customer)
        await buy(client, db, customer, item(CLOUD))  # 35.00 at 25 % → 8.75, held to April 24
    with time_machine.travel(days_after(START, 30), tick=False):
        assert await jobs.validate_commissions(db.sessionmaker) == 1
    with time_machine.travel(APRIL, tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 0  # 43.75 carries over
    with time_machine.travel(days_after(START, 54), tick=False):
        assert await jobs.validate_commissions(db.sessionmaker) == 1
    with time_machine.travel(MAY, tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 1
        await sign_in_again(affiliate_client, affiliate.user)
        listed = await affiliate_client.get(
            path(affiliate.user, "/affiliate/payouts"), headers=affiliate.user.headers
        )
        (payout,) = listed.json()["data"]
        assert payout["amount_minor"] == 52_50
        assert payout["month"] == "2027-05-01"
        detail = await affiliate_client.get(
            path(affiliate.user, f"/affiliate/payouts/{payout['id']}"),
            headers=affiliate.user.headers,
        )
    assert [line["amount_minor"] for line in detail.json()["lines"]] == [43_75, 8_75]
    assert {line["account_currency"] for line in detail.json()["lines"]} == {"CHF"}


async def test_paypal_payouts_are_instructions_staff_mark_paid_out(
    affiliate_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db: Database,
    catalog: None,
    staff: User,
) -> None:
    affiliate = await join(
        affiliate_client, db, payout_method="paypal", paypal_email="writer@example.org"
    )
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD, "yearly"))
    with time_machine.travel(days_after(START, 30), tick=False):
        await jobs.validate_commissions(db.sessionmaker)
    with time_machine.travel(APRIL, tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 1
    waiting = (await client.get("/v1/platform/affiliate-payouts", headers=staff.headers)).json()
    (payout,) = waiting["data"]
    assert (payout["status"], payout["destination"]) == ("instructed", "writer@example.org")
    assert await balance(db, affiliate.user.organization_id) == 0
    url = f"/v1/platform/affiliate-payouts/{payout['id']}/paid-out"
    done = await client.post(url, headers=staff.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "paid"
    again = await client.post(url, headers=staff.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "affiliate_payout_not_instructed"


async def test_another_currency_is_converted_at_the_rate_of_the_validation_day(
    affiliate_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db: Database,
    catalog: None,
    staff: User,
) -> None:
    affiliate = await join(affiliate_client, db, currency="EUR")
    for valid_from, rate in (("2027-03-01", "0.95"), ("2027-03-31", "0.9387")):
        response = await client.put(
            "/v1/platform/affiliate-exchange-rates",
            json={"base": "CHF", "quote": "EUR", "valid_from": valid_from, "rate": rate},
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD, "yearly"))  # CHF 87.50
    with time_machine.travel(days_after(START, 30), tick=False):
        await jobs.validate_commissions(db.sessionmaker)
    (line,) = await commissions_of(db, affiliate)
    assert (line.currency, line.amount_minor) == ("CHF", 87_50)
    assert line.exchange_rate == Decimal("0.9387")
    await sign_in_again(affiliate_client, affiliate.user)
    listed = await affiliate_client.get(
        path(affiliate.user, "/affiliate/commissions"), headers=affiliate.user.headers
    )
    (shown,) = listed.json()["data"]
    assert (shown["currency"], shown["amount_minor"]) == ("CHF", 87_50)
    assert (shown["account_currency"], shown["converted_minor"]) == ("EUR", 82_14)
    assert line.converted_minor == 82_14  # 87.50 x 0.9387 = 82.13625
    with time_machine.travel(APRIL, tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 1
    assert await balance(db, affiliate.user.organization_id, "EUR") == 82_14


async def test_without_an_exchange_rate_a_commission_waits(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db, currency="EUR")
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD, "yearly"))
    with time_machine.travel(days_after(START, 30), tick=False):
        assert await jobs.validate_commissions(db.sessionmaker) == 0
    (line,) = await commissions_of(db, affiliate)
    assert (line.state, line.converted_minor) == ("pending", None)


async def test_the_affiliate_sees_orders_never_customers_with_monthly_totals_and_csv(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        invoice = await buy(client, db, customer, item(CLOUD, quantity=2))  # 70.00 → 17.50
        await sign_in_again(affiliate_client, affiliate.user)
        headers = affiliate.user.headers
        listed = await affiliate_client.get(
            path(affiliate.user, "/affiliate/commissions"), headers=headers
        )
        totals = await affiliate_client.get(
            path(affiliate.user, "/affiliate/monthly-totals"), headers=headers
        )
        csv = await affiliate_client.get(
            path(affiliate.user, "/affiliate/commissions/export.csv"), headers=headers
        )
    (row,) = listed.json()["data"]
    assert row["order_number"] == invoice["number"]
    assert (row["base_minor"], row["rate_bp"], row["amount_minor"], row["state"]) == (
        70_00,
        2500,
        17_50,
        "pending",
    )
    text = listed.text + csv.text
    for secret in (str(customer.organization_id), str(customer.account_id), customer.email):
        assert secret not in text
    assert row["currency"] == row["account_currency"] == "CHF"
    assert totals.json() == {
        "data": [{"month": "2027-03-01", "currency": "CHF", "earned_minor": 17_50, "count": 1}],
        "next_cursor": None,
        "has_more": False,
    }
    lines = csv.text.splitlines()
    assert lines[0].startswith("order_number,ordered_at,kind,state,base")
    assert lines[1].startswith(f"{invoice['number']},")
    assert ",70.00,CHF,25,17.50," in lines[1]


async def test_staff_list_affiliates_and_adjust_with_a_reason_that_is_audited(
    affiliate_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    db: Database,
    catalog: None,
    staff: User,
) -> None:
    affiliate = await join(affiliate_client, db)
    zero = await client.post(
        f"/v1/platform/affiliates/{affiliate.id}/adjustments",
        json={"amount_minor": 0, "reason": "nothing"},
        headers=staff.headers,
    )
    assert zero.status_code == 422
    adjusted = await client.post(
        f"/v1/platform/affiliates/{affiliate.id}/adjustments",
        json={"amount_minor": 60_00, "reason": "missed commission on order 1042"},
        headers=staff.headers,
    )
    assert adjusted.status_code == 201, adjusted.text
    assert adjusted.json() | {"kind": "adjustment", "state": "validated"} == adjusted.json()
    listed = (await client.get("/v1/platform/affiliates", headers=staff.headers)).json()
    (row,) = [row for row in listed["data"] if row["id"] == affiliate.id]
    assert (row["cumulative_minor"], row["paid_minor"]) == (60_00, 0)
    async with db.sessionmaker() as session:
        audit = (
            await session.scalars(
                select(ActivityEntry).where(ActivityEntry.action == "affiliate.adjusted")
            )
        ).one()
    assert audit.actor_account_id == staff.account_id
    assert audit.details["reason"] == "missed commission on order 1042"
    with time_machine.travel(next_month(clock.now()), tick=False):
        assert await jobs.pay_affiliates(db.sessionmaker) == 1
    assert await balance(db, affiliate.user.organization_id) == 60_00


async def test_two_workers_at_once_pay_a_month_once(committed_db: Database) -> None:
    now = clock.now()
    async with committed_db.sessionmaker.begin() as session:
        organization = Organization(id=uuid.uuid4(), name="Writer", created_at=now, updated_at=now)
        session.add(organization)
        await session.flush()
        affiliate = Affiliate(
            id=uuid.uuid4(),
            organization_id=organization.id,
            tag="concurrenttag001",
            currency="CHF",
            payout_method="prepaid",
            status="active",
            created_at=now,
            updated_at=now,
        )
        session.add(affiliate)
        await session.flush()
        for amount in (30_00, 25_00):
            session.add(
                Commission(
                    id=uuid.uuid4(),
                    affiliate_id=affiliate.id,
                    kind="adjustment",
                    reason="test",
                    ordered_at=now,
                    hold_until=now,
                    base_minor=0,
                    currency="CHF",
                    rate_bp=0,
                    amount_minor=amount,
                    converted_minor=amount,
                    exchange_rate=Decimal(1),
                    state="validated",
                    validated_at=now,
                    created_at=now,
                )
            )
    later = next_month(now)
    paid = await asyncio.gather(
        *(jobs.pay_affiliates(committed_db.sessionmaker, now=later) for _ in range(4))
    )
    assert sum(paid) == 1
    async with committed_db.sessionmaker() as session:
        payouts = list(await session.scalars(select(Payout)))
        entries = await session.scalar(
            select(func.count())
            .select_from(PrepaidEntry)
            .where(PrepaidEntry.organization_id == organization.id)
        )
    assert [payout.amount_minor for payout in payouts] == [55_00]
    assert entries == 1


async def test_monthly_totals_are_pages_of_months_newest_first(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        customer = await referred(client, db, affiliate.tag)
        await buy(client, db, customer, item(CLOUD))  # 35.00 → 8.75
    for days in (31, 32):  # April 1 and 2
        with time_machine.travel(days_after(START, days), tick=False):
            await sign_in_again(client, customer)
            await buy(client, db, customer, item(CLOUD))
    with time_machine.travel(days_after(START, 33), tick=False):
        await sign_in_again(affiliate_client, affiliate.user)
        url = path(affiliate.user, "/affiliate/monthly-totals")
        first = (
            await affiliate_client.get(url, params={"limit": 1}, headers=affiliate.user.headers)
        ).json()
        second = (
            await affiliate_client.get(
                url,
                params={"limit": 1, "cursor": first["next_cursor"]},
                headers=affiliate.user.headers,
            )
        ).json()
    assert first["has_more"] is True
    assert first["data"] == [
        {"month": "2027-04-01", "currency": "CHF", "earned_minor": 17_50, "count": 2}
    ]
    assert second == {
        "data": [{"month": "2027-03-01", "currency": "CHF", "earned_minor": 8_75, "count": 1}],
        "next_cursor": None,
        "has_more": False,
    }


async def test_staff_page_through_the_exchange_rates_latest_first(
    client: httpx.AsyncClient, staff: User
) -> None:
    url = "/v1/platform/affiliate-exchange-rates"
    for valid_from, base, quote, rate in (
        ("2027-03-01", "CHF", "EUR", "0.95"),
        ("2027-03-31", "CHF", "EUR", "0.9387"),
        ("2027-03-31", "EUR", "CHF", "1.0653"),
    ):
        body = {"base": base, "quote": quote, "valid_from": valid_from, "rate": rate}
        response = await client.put(url, json=body, headers=staff.headers)
        assert response.status_code == 200, response.text
    same = {"base": "CHF", "quote": "CHF", "valid_from": "2027-04-01", "rate": "1"}
    assert (await client.put(url, json=same, headers=staff.headers)).status_code == 422
    first = (await client.get(url, params={"limit": 2}, headers=staff.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=staff.headers
        )
    ).json()
    assert first["has_more"] is True
    assert [row["valid_from"] for row in first["data"]] == ["2027-03-31", "2027-03-31"]
    assert {row["base"] for row in first["data"]} == {"CHF", "EUR"}
    assert rest == {
        "data": [{"base": "CHF", "quote": "EUR", "valid_from": "2027-03-01", "rate": "0.95000000"}],
        "next_cursor": None,
        "has_more": False,
    }


async def test_an_adjustment_in_another_currency_is_refused_and_nothing_is_stored(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database, staff: User
) -> None:
    affiliate = await join(affiliate_client, db, currency="EUR")
    url = f"/v1/platform/affiliates/{affiliate.id}/adjustments"
    body = {"amount_minor": 60_00, "reason": "missed commission on order 1042"}
    refused = await client.post(url, json=body | {"currency": "CHF"}, headers=staff.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "currency_mismatch"
    assert await commissions_of(db, affiliate) == []
    async with db.sessionmaker() as session:
        audited = await session.scalar(
            select(func.count())
            .select_from(ActivityEntry)
            .where(ActivityEntry.action == "affiliate.adjusted")
        )
    assert audited == 0
    accepted = await client.post(url, json=body | {"currency": "EUR"}, headers=staff.headers)
    assert accepted.status_code == 201, accepted.text
    assert (accepted.json()["currency"], accepted.json()["account_currency"]) == ("EUR", "EUR")
    (line,) = await commissions_of(db, affiliate)
    assert (line.currency, line.amount_minor) == ("EUR", 60_00)
