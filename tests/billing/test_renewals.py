"""Renewal jobs: automatic renewal, Renewal Warranty, reminders, frequency change, redemption,
dunning. Each job run twice does its work once."""

from datetime import datetime, timedelta

import httpx
import time_machine
from sqlalchemy import func, select

from app.billing import jobs
from app.billing.models import Invoice, Payment, Subscription
from app.core.db import Database
from app.notifications.models import MailMessage
from app.organizations.models import Product
from tests.billing.conftest import (
    DECLINED_CARD,
    add_card,
    credit_prepaid,
    customer,
    order,
    path,
    sign_in_again,
)
from tests.factories import User
from tests.mail import rendered

HOSTING = {"plan_code": "web_hosting.starter", "period": "monthly", "product_name": "site"}
DOMAIN = {"plan_code": "domain.ch", "period": "yearly", "product_name": "example.ch"}


async def bought(
    client: httpx.AsyncClient,
    db: Database,
    user: User,
    item: dict,  # type: ignore[type-arg]
) -> dict:  # type: ignore[type-arg]
    """Orders ``item``, pays it from prepaid, returns the product's subscription."""
    invoice = (await order(client, user, item))["invoice"]
    await credit_prepaid(db, user, invoice["total_minor"])
    paid = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert paid.status_code == 201, paid.text
    subscriptions = (await client.get(path(user, "/subscriptions"), headers=user.headers)).json()
    return subscriptions["data"][0]  # type: ignore[no-any-return]


async def subscription(db: Database, product_id: str) -> Subscription:
    async with db.sessionmaker() as session:
        row = await session.get(Subscription, product_id)
        assert row is not None
        return row


async def count(db: Database, model: type, **where: object) -> int:
    async with db.sessionmaker() as session:
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return int(await session.scalar(statement) or 0)


def after(moment: str, **delta: float) -> datetime:
    return datetime.fromisoformat(moment) + timedelta(**delta)


async def test_auto_renewal_charges_the_default_card_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING)
    await add_card(client, user)
    with time_machine.travel(after(sub["expires_at"], hours=1), tick=False):
        assert await jobs.renew_due(db.sessionmaker) == 1
        assert await jobs.renew_due(db.sessionmaker) == 0
    renewed = await subscription(db, sub["product_id"])
    assert renewed.expires_at > datetime.fromisoformat(sub["expires_at"]) + timedelta(days=27)
    assert renewed.status == "active"
    card_payments = await count(db, Payment, organization_id=user.organization_id, method="card")
    assert card_payments == 1
    invoices = (await client.get(path(user, "/invoices"), headers=user.headers)).json()["data"]
    assert [invoice["status"] for invoice in invoices] == ["paid", "paid"]


async def test_auto_renewal_falls_back_to_the_prepaid_balance(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING)
    await credit_prepaid(db, user, 5000)
    with time_machine.travel(after(sub["expires_at"], minutes=5), tick=False):
        await jobs.renew_due(db.sessionmaker)
    assert (await subscription(db, sub["product_id"])).status == "active"
    entries = (await client.get(path(user, "/prepaid/CHF/entries"), headers=user.headers)).json()
    assert entries["data"][0]["kind"] == "invoice_payment"
    assert entries["data"][0]["amount_minor"] == -(992 + 80)  # 9.92 + 8.1 % VAT (0.8035)


async def test_renewal_warranty_renews_even_when_the_card_is_declined(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING | {"renewal_warranty": True})
    await add_card(client, user, DECLINED_CARD)
    with time_machine.travel(after(sub["expires_at"], minutes=5), tick=False):
        assert await jobs.renew_due(db.sessionmaker) == 1
        assert await jobs.renew_due(db.sessionmaker) == 0
    renewed = await subscription(db, sub["product_id"])
    assert renewed.status == "active"
    assert renewed.expires_at > datetime.fromisoformat(sub["expires_at"])
    [renewal_invoice, _] = (await client.get(path(user, "/invoices"), headers=user.headers)).json()[
        "data"
    ]
    assert renewal_invoice["status"] == "open"
    assert await count(db, Payment, organization_id=user.organization_id, status="failed") == 1


async def test_without_payment_or_warranty_the_product_expires(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING)
    await add_card(client, user, DECLINED_CARD)
    with time_machine.travel(after(sub["expires_at"], minutes=5), tick=False):
        await jobs.renew_due(db.sessionmaker)
    assert (await subscription(db, sub["product_id"])).status == "expired"
    async with db.sessionmaker() as session:
        product = await session.get(Product, sub["product_id"])
        assert product is not None
        assert product.status == "expired"
        # Its unpaid renewal invoice ended with it: no reminders, no late revival.
        renewal = await session.scalar(
            select(Invoice)
            .where(Invoice.organization_id == user.organization_id, Invoice.status != "paid")
            .order_by(Invoice.created_at.desc())
        )
        assert renewal is not None
        assert (renewal.status, renewal.next_reminder_at) == ("void", None)
        declined = await session.scalar(
            select(MailMessage).where(
                MailMessage.template == "renewal_charge_declined",
                MailMessage.to_address == user.email,
            )
        )
        assert declined is not None
        assert "declined" in rendered(declined).text_body


async def test_domain_reminder_once_then_redemption_restore_with_fee(
    client: httpx.AsyncClient, db: Database, catalog: None, mailbox: object
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, DOMAIN | {"auto_renew": False})
    with time_machine.travel(after(sub["expires_at"], days=-20), tick=False):
        assert await jobs.send_renewal_reminders(db.sessionmaker) == 1
        assert await jobs.send_renewal_reminders(db.sessionmaker) == 0
    await mailbox.deliver(db.sessionmaker)  # type: ignore[attr-defined]
    assert len(mailbox.messages_to(user.email)) >= 1  # type: ignore[attr-defined]
    with time_machine.travel(after(sub["expires_at"], days=1), tick=False):
        assert await jobs.renew_due(db.sessionmaker) == 1
        domain = await subscription(db, sub["product_id"])
        assert domain.status == "redemption"
        await sign_in_again(client, user)
        restore = await client.post(
            path(user, f"/subscriptions/{sub['product_id']}/restore"), headers=user.headers
        )
        assert restore.status_code == 201, restore.text
        fee, renewal = restore.json()["lines"]
        assert (fee["kind"], fee["net_minor"]) == ("restore", 9000)
        assert (renewal["kind"], renewal["net_minor"]) == ("renewal", 1100)
        await credit_prepaid(db, user, restore.json()["total_minor"])
        paid = await client.post(
            path(user, f"/invoices/{restore.json()['id']}/payments"),
            json={"method": "prepaid"},
            headers=user.headers,
        )
        assert paid.status_code == 201, paid.text
    restored = await subscription(db, sub["product_id"])
    assert restored.status == "active"
    assert restored.expires_at.year == datetime.fromisoformat(sub["expires_at"]).year + 1


async def test_unrestored_domain_is_released_after_redemption(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, DOMAIN | {"auto_renew": False})
    with time_machine.travel(after(sub["expires_at"], days=1), tick=False):
        await jobs.renew_due(db.sessionmaker)
    with time_machine.travel(after(sub["expires_at"], days=39), tick=False):
        assert await jobs.release_domains(db.sessionmaker) == 0
    with time_machine.travel(after(sub["expires_at"], days=41), tick=False):
        assert await jobs.release_domains(db.sessionmaker) == 1
        assert await jobs.release_domains(db.sessionmaker) == 0
    assert (await subscription(db, sub["product_id"])).status == "released"


async def test_yearly_to_monthly_takes_effect_only_in_the_last_month(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING | {"period": "yearly"})
    changed = await client.patch(
        path(user, f"/subscriptions/{sub['product_id']}"),
        json={"period": "monthly"},
        headers=user.headers,
    )
    assert changed.json()["period"] == "yearly"
    assert changed.json()["pending_period"] == "monthly"
    assert changed.json()["pending_period_effective_at"] < sub["expires_at"]
    proforma_url = path(user, "/proforma")
    body = {"product_ids": [sub["product_id"]]}
    with time_machine.travel(after(sub["expires_at"], days=-45), tick=False):
        await sign_in_again(client, user)
        early = await client.post(proforma_url, json=body, headers=user.headers)
    assert early.json()["lines"][0]["period"] == "yearly"
    with time_machine.travel(after(sub["expires_at"], days=-20), tick=False):
        await sign_in_again(client, user)
        late = await client.post(proforma_url, json=body, headers=user.headers)
        renewal = await client.post(
            path(user, f"/subscriptions/{sub['product_id']}/renewals"), headers=user.headers
        )
    assert late.json()["lines"][0]["period"] == "monthly"
    assert renewal.json()["lines"][0]["period"] == "monthly"
    assert renewal.json()["subtotal_minor"] == 992


async def test_unpaid_invoice_reminders_are_sent_once_each(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, HOSTING))["invoice"]
    due = datetime.fromisoformat(invoice["due_at"])
    with time_machine.travel(due + timedelta(days=1), tick=False):
        assert await jobs.send_invoice_reminders(db.sessionmaker) == 0
    with time_machine.travel(due + timedelta(days=4), tick=False):
        assert await jobs.send_invoice_reminders(db.sessionmaker) == 1
        assert await jobs.send_invoice_reminders(db.sessionmaker) == 0
    with time_machine.travel(due + timedelta(days=15), tick=False):
        assert await jobs.send_invoice_reminders(db.sessionmaker) == 1
    async with db.sessionmaker() as session:
        row = await session.get(Invoice, invoice["id"])
        assert row is not None
        assert row.reminder_count == 2


async def test_suite_plans_only_move_up(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(
        client,
        db,
        user,
        {"plan_code": "suite.business", "period": "yearly", "product_name": "team"},
    )
    down = await client.post(
        path(user, f"/subscriptions/{sub['product_id']}/plan"),
        json={"plan_code": "suite.standard"},
        headers=user.headers,
    )
    assert down.status_code == 422
    assert down.json()["code"] == "plan_downgrade_not_allowed"
    with time_machine.travel(after(sub["expires_at"], days=-73), tick=False):  # ~ a fifth left
        await sign_in_again(client, user)
        up = await client.post(
            path(user, f"/subscriptions/{sub['product_id']}/plan"),
            json={"plan_code": "suite.enterprise"},
            headers=user.headers,
        )
        assert up.status_code == 201, up.text
        assert 28000 < up.json()["subtotal_minor"] < 29000  # (1990 - 550) * 73 / 365
        await credit_prepaid(db, user, up.json()["total_minor"])
        await client.post(
            path(user, f"/invoices/{up.json()['id']}/payments"),
            json={"method": "prepaid"},
            headers=user.headers,
        )
        moved = (await client.get(path(user, "/subscriptions"), headers=user.headers)).json()
    plan = (await client.get("/v1/catalog/plans/suite.enterprise")).json()
    assert moved["data"][0]["plan_id"] == plan["id"]


async def test_two_workers_renew_a_product_once(settings: object, committed_db: Database) -> None:
    import asyncio

    from app.billing.seed import seed_catalog
    from app.main import create_app

    app = create_app(settings, database=committed_db)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with committed_db.sessionmaker.begin() as session:
            await seed_catalog(session)
        user = await customer(client, committed_db)
        subscriptions = []
        for name in ("a", "b", "c"):
            subscriptions.append(
                await bought(client, committed_db, user, HOSTING | {"product_name": name})
            )
        await add_card(client, user)
    latest = max(sub["expires_at"] for sub in subscriptions)
    with time_machine.travel(after(latest, hours=1), tick=False):
        handled = await asyncio.gather(
            jobs.renew_due(committed_db.sessionmaker), jobs.renew_due(committed_db.sessionmaker)
        )
        assert sum(handled) == 3
        assert await jobs.renew_due(committed_db.sessionmaker) == 0
    payments = await count(
        committed_db, Payment, organization_id=user.organization_id, method="card"
    )
    assert payments == 3
