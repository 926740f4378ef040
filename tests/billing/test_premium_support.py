"""Premium support: a catalog product like any other, which gives its organization a VIP code
while it runs and takes it away when it ends (expiry, non-payment, giving it up)."""

import httpx
import time_machine

from app.billing import jobs
from app.core.db import Database
from tests.billing.conftest import credit_prepaid, customer, path, sign_in_again
from tests.billing.test_renewals import after, bought
from tests.factories import User

PREMIUM = {
    "plan_code": "premium_support.standard",
    "period": "monthly",
    "product_name": "Premium support",
}


async def vip_code(client: httpx.AsyncClient, user: User) -> str | None:
    support = await client.get(path(user, "/support"), headers=user.headers)
    assert support.status_code == 200, support.text
    return support.json()["vip_code"]  # type: ignore[no-any-return]


async def test_premium_support_is_seeded_and_billed_like_any_plan(
    client: httpx.AsyncClient, catalog: None
) -> None:
    plan = await client.get("/v1/catalog/plans/premium_support.standard")
    assert plan.status_code == 200, plan.text
    assert plan.json()["product_type"] == "premium_support"


async def test_paying_premium_support_gives_a_vip_code_lost_when_it_expires_unpaid(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    assert await vip_code(client, user) is None
    sub = await bought(client, db, user, PREMIUM)
    code = await vip_code(client, user)
    assert code is not None
    assert code.isdigit()
    second = await client.post(path(user, "/cart/items"), json=PREMIUM, headers=user.headers)
    assert (second.status_code, second.json()["code"]) == (409, "premium_support_already_held")

    # Not paid at its end (no card, no prepaid balance): it expires, the VIP code goes with it.
    with time_machine.travel(after(sub["expires_at"], hours=1), tick=False):
        await jobs.renew_due(db.sessionmaker)
        await sign_in_again(client, user)
        assert await vip_code(client, user) is None
        # Renewed later: premium support, and the same VIP code, come back.
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
        assert await vip_code(client, user) == code


async def test_premium_support_given_up_ends_with_its_period(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    sub = await bought(client, db, user, PREMIUM)
    await client.post(
        path(user, f"/subscriptions/{sub['product_id']}/give-up"), headers=user.headers
    )
    assert await vip_code(client, user) is not None
    with time_machine.travel(after(sub["expires_at"], hours=1), tick=False):
        await jobs.renew_due(db.sessionmaker)
        await sign_in_again(client, user)
        assert await vip_code(client, user) is None
