"""Giving a product up before its term: it runs to the end of the period paid for, is not
renewed (not even under Renewal Warranty), nothing is refunded, and then the organization can be
deleted."""

from datetime import datetime

import httpx
import time_machine

from app.billing import jobs
from app.billing.models import Invoice, Payment
from app.core.db import Database
from app.organizations.models import Product
from tests.billing.conftest import add_card, balance, customer, path, sign_in_again
from tests.billing.test_renewals import DOMAIN, HOSTING, after, bought, count, subscription
from tests.factories import PASSWORD


async def test_a_product_given_up_runs_to_its_term_then_ends_unrenewed_and_unrefunded(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, HOSTING | {"renewal_warranty": True})
    await add_card(client, user)
    product_id = sub["product_id"]
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
