"""Giving a product up before its term: it runs to the end of the period paid for, is not
renewed (not even under Renewal Warranty), nothing is refunded, and then the organization can be
deleted. A plan may say otherwise (``refunds_unused_period``): the product then ends at once and
the unused days of its paid period are refunded, once, to the prepaid account."""

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import time_machine
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.billing import jobs
from app.billing.models import Invoice, InvoiceLine, Payment, PrepaidEntry
from app.core.db import Database
from app.core.money import scale
from app.organizations.models import Product
from tests.billing.conftest import (
    add_card,
    balance,
    credit_prepaid,
    customer,
    make_staff,
    path,
    sign_in_again,
)
from tests.billing.test_renewals import DOMAIN, HOSTING, after, bought, count, subscription
from tests.factories import PASSWORD, User, signed_in_user

BOUGHT = datetime(2027, 3, 1, 10, tzinfo=UTC)
"""A monthly period bought then runs 31 days, to 2027-04-01 10:00."""
GIVEN_UP = datetime(2027, 3, 11, 11, tzinfo=UTC)
"""20 whole days (and 23 hours) before the term: 20 unused days are refunded."""


async def test_a_product_given_up_runs_to_its_term_then_ends_unrenewed_and_unrefunded(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING | {"renewal_warranty": True})
    await add_card(client, user)
    product_id = sub["product_id"]
    plan = await client.get("/v1/catalog/plans/web_hosting.starter")
    assert plan.json()["refunds_unused_period"] is False
    given_up = await client.post(
        path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers
    )
    assert given_up.status_code == 200, given_up.text
    assert given_up.json()["status"] == "active"
    assert given_up.json()["given_up_at"] is not None
    again = await client.post(
        path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers
    )
    assert (again.status_code, again.json()["code"]) == (409, "product_already_given_up")
    renewal = await client.post(
        path(user, f"/subscriptions/{product_id}/renewals"), headers=user.headers
    )
    assert (renewal.status_code, renewal.json()["code"]) == (409, "subscription_not_renewable")
    # Still running: the organization cannot be deleted yet.
    blocked = await client.post(
        path(user, "/deletion"), json={"password": PASSWORD}, headers=user.headers
    )
    assert blocked.status_code == 409
    assert "products" in blocked.json()["blockers"]

    with time_machine.travel(after(sub["expires_at"], hours=-1), tick=False):
        assert await jobs.renew_due(db.sessionmaker) == 0
    assert (await subscription(db, product_id)).status == "active"
    with time_machine.travel(after(sub["expires_at"], hours=1), tick=False):
        assert await jobs.renew_due(db.sessionmaker) == 1
        assert await jobs.renew_due(db.sessionmaker) == 0
        ended = await subscription(db, product_id)
        assert ended.status == "ended"
        assert ended.expires_at == datetime.fromisoformat(sub["expires_at"])
        async with db.sessionmaker() as session:
            product = await session.get(Product, product_id)
            assert product is not None
            assert product.status == "released"
        # Neither the card nor Renewal Warranty renewed it; nothing was refunded.
        assert await count(db, Payment, organization_id=user.organization_id, method="card") == 0
        assert await count(db, Invoice, organization_id=user.organization_id) == 1
        assert await balance(db, user.organization_id) == 0
        await sign_in_again(client, user)
        deleted = await client.post(
            path(user, "/deletion"), json={"password": PASSWORD}, headers=user.headers
        )
        assert deleted.status_code == 204, deleted.text


async def test_a_product_given_up_can_be_taken_back_before_its_term(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING)
    await add_card(client, user)
    product_id = sub["product_id"]
    await client.post(path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers)
    taken_back = await client.delete(
        path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers
    )
    assert taken_back.status_code == 200, taken_back.text
    assert taken_back.json()["given_up_at"] is None
    not_given_up = await client.delete(
        path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers
    )
    assert not_given_up.json()["code"] == "product_not_given_up"
    with time_machine.travel(after(sub["expires_at"], hours=1), tick=False):
        await jobs.renew_due(db.sessionmaker)
    renewed = await subscription(db, product_id)
    assert (renewed.status, renewed.given_up_at) == ("active", None)
    assert renewed.expires_at > datetime.fromisoformat(sub["expires_at"])


async def test_giving_up_voids_the_unpaid_renewal_and_gets_no_reminder(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, DOMAIN | {"auto_renew": False})
    product_id = sub["product_id"]
    renewal = await client.post(
        path(user, f"/subscriptions/{product_id}/renewals"), headers=user.headers
    )
    assert renewal.status_code == 201
    await client.post(path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers)
    voided = await client.get(path(user, f"/invoices/{renewal.json()['id']}"), headers=user.headers)
    assert voided.json()["status"] == "void"
    with time_machine.travel(after(sub["expires_at"], days=-20), tick=False):
        assert await jobs.send_renewal_reminders(db.sessionmaker) == 0
    with time_machine.travel(after(sub["expires_at"], days=1), tick=False):
        await jobs.renew_due(db.sessionmaker)
    # A domain given up does not go through redemption: it is gone.
    assert (await subscription(db, product_id)).status == "ended"


async def test_an_expired_product_given_up_ends_at_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING | {"auto_renew": False})
    with time_machine.travel(after(sub["expires_at"], days=2), tick=False):
        await jobs.renew_due(db.sessionmaker)
        assert (await subscription(db, sub["product_id"])).status == "expired"
        await sign_in_again(client, user)
        given_up = await client.post(
            path(user, f"/subscriptions/{sub['product_id']}/give-up"), headers=user.headers
        )
    assert given_up.status_code == 200, given_up.text
    assert given_up.json()["status"] == "ended"


async def refunding(client: httpx.AsyncClient, db: Database, code: str) -> None:
    """Staff make ``code`` a plan whose unused period is refunded when given up."""
    staff = await signed_in_user(client, db)
    await make_staff(db, staff)
    changed = await client.patch(
        f"/v1/admin/catalog/plans/{code}",
        json={"refunds_unused_period": True},
        headers=staff.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["refunds_unused_period"] is True


async def credit_notes(db: Database, organization_id: uuid.UUID) -> list[Invoice]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Invoice)
                .where(Invoice.organization_id == organization_id, Invoice.kind == "credit_note")
                .order_by(Invoice.number)
            )
        )


async def net_of_lines(db: Database, invoice_id: uuid.UUID) -> int:
    async with db.sessionmaker() as session:
        lines = await session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
        )
        return sum(line.net_minor for line in lines if line.kind in ("new_product", "renewal"))


async def give_up(client: httpx.AsyncClient, user: User, product_id: str) -> httpx.Response:
    return await client.post(
        path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers
    )


async def test_a_plan_refunding_the_unused_period_ends_the_product_at_once_and_refunds_its_days(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    await refunding(client, db, "web_hosting.starter")
    with time_machine.travel(BOUGHT, tick=False):
        user = await customer(client, db)
        sub = await bought(client, db, user, HOSTING | {"renewal_warranty": True})
        invoices = await client.get(path(user, "/invoices"), headers=user.headers)
    [order_invoice] = invoices.json()["data"]
    product_id = sub["product_id"]
    with time_machine.travel(GIVEN_UP, tick=False):
        await sign_in_again(client, user)
        given_up = await give_up(client, user, product_id)
        assert given_up.status_code == 200, given_up.text
        assert given_up.json()["status"] == "ended"
        assert datetime.fromisoformat(given_up.json()["expires_at"]) == GIVEN_UP

        # 20 of the 31 days of CHF 9.92 (the Renewal Warranty option is not refunded): CHF 6.40,
        # plus 8.1 % VAT, credited once to the prepaid account by a credit note.
        [note] = await credit_notes(db, user.organization_id)
        assert (note.corrects_invoice_id, note.subtotal_minor) == (
            uuid.UUID(order_invoice["id"]),
            scale(992, 20, 31),
        )
        assert note.subtotal_minor == 640
        assert (note.vat_minor, note.total_minor, note.status) == (52, 692, "paid")
        assert await balance(db, user.organization_id) == 692
        async with db.sessionmaker() as session:
            entries = list(
                await session.scalars(
                    select(PrepaidEntry).where(PrepaidEntry.organization_id == user.organization_id)
                )
            )
            logged = await session.scalar(
                select(ActivityEntry).where(
                    ActivityEntry.organization_id == user.organization_id,
                    ActivityEntry.action == "billing.unused_period_refunded",
                )
            )
        assert [(entry.kind, entry.amount_minor) for entry in entries][-1] == (
            "invoice_refund",
            692,
        )
        assert logged is not None
        assert logged.details["credit_notes"] == [note.number]

        # Taking it back cannot keep the product running with its refund paid out.
        taken_back = await client.delete(
            path(user, f"/subscriptions/{product_id}/give-up"), headers=user.headers
        )
        assert (taken_back.status_code, taken_back.json()["code"]) == (
            409,
            "subscription_not_renewable",
        )
        assert (await subscription(db, product_id)).status == "ended"
        assert await balance(db, user.organization_id) == 692
        # Crediting the invoice whole now would refund those days twice.
        staff = await signed_in_user(client, db)
        await make_staff(db, staff)
        corrected = await client.post(
            f"/v1/admin/invoices/{order_invoice['id']}/corrections",
            json={"reason": "Wrong address"},
            headers=staff.headers,
        )
        assert corrected.json()["code"] == "invoice_not_correctable"
        # The product no longer blocks deleting the organization: only the refund does.
        blocked = await client.post(
            path(user, "/deletion"), json={"password": PASSWORD}, headers=user.headers
        )
        assert blocked.json()["blockers"] == ["prepaid_balance"]

    with time_machine.travel(after(sub["expires_at"], hours=1), tick=False):
        assert await jobs.renew_due(db.sessionmaker) == 0
    assert await balance(db, user.organization_id) == 692
    assert await count(db, Payment, organization_id=user.organization_id, method="card") == 0


async def test_a_renewed_period_is_refunded_whole_and_the_running_one_by_its_days_left(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    await refunding(client, db, "web_hosting.starter")
    with time_machine.travel(BOUGHT, tick=False):
        user = await customer(client, db)
        sub = await bought(client, db, user, HOSTING)
        renewal = await client.post(
            path(user, f"/subscriptions/{sub['product_id']}/renewals"), headers=user.headers
        )
        assert renewal.status_code == 201, renewal.text
        await credit_prepaid(db, user, renewal.json()["total_minor"])
        paid = await client.post(
            path(user, f"/invoices/{renewal.json()['id']}/payments"),
            json={"method": "prepaid"},
            headers=user.headers,
        )
        assert paid.status_code == 201, paid.text
    assert (await subscription(db, sub["product_id"])).expires_at > after(
        sub["expires_at"], days=27
    )
    with time_machine.travel(GIVEN_UP, tick=False):
        await sign_in_again(client, user)
        assert (await give_up(client, user, sub["product_id"])).json()["status"] == "ended"
    first, second = await credit_notes(db, user.organization_id)
    order_net = await net_of_lines(db, first.corrects_invoice_id)  # type: ignore[arg-type]
    renewal_net = await net_of_lines(db, second.corrects_invoice_id)  # type: ignore[arg-type]
    assert second.corrects_invoice_id == uuid.UUID(renewal.json()["id"])
    assert first.subtotal_minor == scale(order_net, 20, 31)
    assert second.subtotal_minor == renewal_net  # April, not begun: all of its 30 days
    assert await balance(db, user.organization_id) == first.total_minor + second.total_minor


async def test_a_product_given_up_twice_at_once_is_refunded_once(
    settings: object, committed_db: Database
) -> None:
    from app.billing.seed import seed_catalog
    from app.main import create_app

    app = create_app(settings, database=committed_db)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        async with committed_db.sessionmaker.begin() as session:
            await seed_catalog(session)
        await refunding(client, committed_db, "web_hosting.starter")
        with time_machine.travel(BOUGHT, tick=False):
            user = await customer(client, committed_db)
            sub = await bought(client, committed_db, user, HOSTING)
        with time_machine.travel(GIVEN_UP, tick=False):
            await sign_in_again(client, user)
            answers = await asyncio.gather(
                *(give_up(client, user, sub["product_id"]) for _ in range(4))
            )
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    assert {answer.json()["code"] for answer in answers if answer.status_code == 409} == {
        "product_already_given_up"
    }
    [note] = await credit_notes(committed_db, user.organization_id)
    assert await balance(committed_db, user.organization_id) == note.total_minor == 692
