"""Renewal Warranty for all products at once, on or off, as well as per product."""

import httpx
import time_machine

from app.billing import jobs
from app.core.db import Database
from tests.billing.conftest import DECLINED_CARD, add_card, customer, path
from tests.billing.test_renewals import DOMAIN, HOSTING, after, bought, subscription
from tests.factories import User


async def warranties(client: httpx.AsyncClient, user: User) -> dict[str, bool]:
    listed = await client.get(path(user, "/subscriptions"), headers=user.headers)
    return {row["product_id"]: row["renewal_warranty"] for row in listed.json()["data"]}


async def test_renewal_warranty_is_switched_for_every_product_at_once(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    site = await bought(client, db, user, HOSTING)
    blog = await bought(client, db, user, HOSTING | {"product_name": "blog"})
    domain = await bought(client, db, user, DOMAIN)
    given_up = await bought(client, db, user, HOSTING | {"product_name": "old"})
    await client.post(
        path(user, f"/subscriptions/{given_up['product_id']}/give-up"), headers=user.headers
    )

    on = await client.post(
        path(user, "/renewal-warranty"),
        json={"renewal_warranty": True},
        headers=user.headers,
    )
    assert on.status_code == 200, on.text
    assert set(on.json()["changed_product_ids"]) == {
        site["product_id"],
        blog["product_id"],
        domain["product_id"],
    }
    assert await warranties(client, user) == {
        site["product_id"]: True,
        blog["product_id"]: True,
        domain["product_id"]: True,
        given_up["product_id"]: False,
    }
    # Again: nothing left to change.
    again = await client.post(
        path(user, "/renewal-warranty"),
        json={"renewal_warranty": True},
        headers=user.headers,
    )
    assert again.json()["changed_product_ids"] == []

    # Off for a selection; per product through PATCH, as before.
    off = await client.post(
        path(user, "/renewal-warranty"),
        json={"renewal_warranty": False, "product_ids": [blog["product_id"]]},
        headers=user.headers,
    )
    assert off.json()["changed_product_ids"] == [blog["product_id"]]
    patched = await client.patch(
        path(user, f"/subscriptions/{domain['product_id']}"),
        json={"renewal_warranty": False},
        headers=user.headers,
    )
    assert patched.json()["renewal_warranty"] is False
    states = await warranties(client, user)
    assert (states[site["product_id"]], states[blog["product_id"]]) == (True, False)

    # The warranty set in bulk works: with a declined card, only the site still renews.
    await add_card(client, user, DECLINED_CARD)
    with time_machine.travel(after(site["expires_at"], hours=1), tick=False):
        await jobs.renew_due(db.sessionmaker)
    assert (await subscription(db, site["product_id"])).status == "active"
    assert (await subscription(db, blog["product_id"])).status == "expired"


async def test_a_bulk_change_naming_an_unknown_product_changes_nothing(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    site = await bought(client, db, user, HOSTING)
    other = await customer(client, db)
    theirs = await bought(client, db, other, HOSTING)
    refused = await client.post(
        path(user, "/renewal-warranty"),
        json={"renewal_warranty": True, "product_ids": [site["product_id"], theirs["product_id"]]},
        headers=user.headers,
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "subscription_not_found")
    assert (await subscription(db, site["product_id"])).renewal_warranty is False
