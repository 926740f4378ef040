"""Resellers: external members with the sell right, each selling from its own quota of seats per
performance, set by the organizer, who sees each quota, what was sold and what remains."""

import asyncio
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.organizations.types import Role
from tests.factories import User, signed_in_user
from tests.organizations.helpers import add_member
from tests.ticketing.helpers import Shop, open_shop, order_body, sell


async def reseller_of(
    client: httpx.AsyncClient, db: Database, shop: Shop, *, role: Role = Role.external
) -> User:
    user = await signed_in_user(client, db)
    await add_member(db, shop.organizer.organization_id, user, role)
    granted = await client.post(
        f"/v1/organizations/{shop.organizer.organization_id}/grants",
        json={
            "account_id": str(user.account_id),
            "scope": "product",
            "product_id": shop.office_id,
            "rights": ["use", "sell"],
        },
        headers=shop.organizer.headers,
    )
    assert granted.status_code == 201, granted.text
    return user


async def set_quota(
    client: httpx.AsyncClient, shop: Shop, reseller: User, quota: int, performance: int = 0
) -> httpx.Response:
    return await client.put(
        f"{shop.office_path}/reseller-quotas",
        json={
            "account_id": str(reseller.account_id),
            "performance_id": shop.performance_ids[performance],
            "quota": quota,
        },
        headers=shop.organizer.headers,
    )


async def resell(
    client: httpx.AsyncClient, shop: Shop, reseller: User, **kwargs: Any
) -> httpx.Response:
    return await client.post(
        f"{shop.office_path}/events/{shop.event_id}/orders",
        json=order_body(shop, method="cash", **kwargs),
        headers=reseller.headers,
    )


async def quotas(client: httpx.AsyncClient, shop: Shop) -> list[dict[str, Any]]:
    listed = await client.get(f"{shop.office_path}/reseller-quotas", headers=shop.organizer.headers)
    assert listed.status_code == 200, listed.text
    return listed.json()["data"]  # type: ignore[no-any-return]


async def test_a_reseller_sells_within_its_quota_and_the_organizer_sees_sold_and_remaining(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=50, settings={"payment_methods": ["card", "cash"]})
    reseller = await reseller_of(client, db, shop)
    assert (await set_quota(client, shop, reseller, 5)).status_code == 200

    sold = await resell(client, shop, reseller, quantity=3)
    assert sold.status_code == 201, sold.text
    assert sold.json()["channel"] == "reseller"
    too_many = await resell(client, shop, reseller, quantity=3)
    assert (too_many.status_code, too_many.json()["code"]) == (409, "reseller_quota_exceeded")
    assert too_many.json()["remaining"] == 2
    elsewhere = await resell(client, shop, reseller, quantity=1, performance=1)
    assert elsewhere.json()["code"] == "reseller_quota_exceeded"  # no quota: nothing to sell

    [quota] = await quotas(client, shop)
    assert (quota["account_id"], quota["quota"], quota["sold"], quota["remaining"]) == (
        str(reseller.account_id),
        5,
        3,
        2,
    )

    cancelled = await client.post(
        f"{shop.office_path}/orders/{sold.json()['id']}/cancel",
        json={"refund_method": "cash", "reason": "Changement de programme"},
        headers=shop.organizer.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    [quota] = await quotas(client, shop)
    assert (quota["sold"], quota["remaining"]) == (0, 5)


async def test_the_box_office_is_not_bound_by_quotas_but_the_reseller_channel_is_resellers_own(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=10, settings={"payment_methods": ["card", "cash"]})
    staff = await reseller_of(client, db, shop, role=Role.collaborator)
    at_box_office = await resell(client, shop, staff, quantity=2)
    assert at_box_office.status_code == 201, at_box_office.text
    assert at_box_office.json()["channel"] == "box_office"
    as_reseller = await resell(client, shop, staff, quantity=1, channel="reseller")
    assert (as_reseller.status_code, as_reseller.json()["code"]) == (
        422,
        "reseller_channel_reserved",
    )
    refused = await set_quota(client, shop, staff, 3)
    assert (refused.status_code, refused.json()["code"]) == (422, "not_a_reseller")


async def test_a_quota_stays_within_capacity_and_above_what_was_sold(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=10, settings={"payment_methods": ["card", "cash"]})
    reseller = await reseller_of(client, db, shop)
    over = await set_quota(client, shop, reseller, 11)
    assert (over.status_code, over.json()["code"]) == (422, "reseller_quota_over_capacity")
    assert (await set_quota(client, shop, reseller, 4)).status_code == 200
    assert (await resell(client, shop, reseller, quantity=3)).status_code == 201
    below = await set_quota(client, shop, reseller, 2)
    assert (below.status_code, below.json()["code"]) == (409, "reseller_quota_below_sold")
    raised = await set_quota(client, shop, reseller, 8)
    assert raised.json()["remaining"] == 5

    # The box office sells the rest of the hall: the reseller's quota cannot go beyond it.
    await sell(client, shop, quantity=7, method="cash")
    [quota] = await quotas(client, shop)
    assert (quota["quota"], quota["sold"], quota["remaining"]) == (8, 3, 0)
    full = await resell(client, shop, reseller, quantity=1)
    assert (full.status_code, full.json()["code"]) == (409, "sold_out")


async def test_50_reseller_orders_racing_for_the_last_seats_of_a_quota(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(
            client,
            committed_db,
            capacity=500,
            performances=1,
            settings={"payment_methods": ["card", "cash"]},
        )
        reseller = await reseller_of(client, committed_db, shop)
        assert (await set_quota(client, shop, reseller, 12)).status_code == 200
        assert (await resell(client, shop, reseller, quantity=2)).status_code == 201

        async def order() -> int:
            return (await resell(client, shop, reseller, quantity=1)).status_code

        statuses = await asyncio.gather(*(order() for _ in range(50)))
        assert statuses.count(201) == 10
        assert statuses.count(409) == 40
        [quota] = await quotas(client, shop)
        assert (quota["sold"], quota["remaining"]) == (12, 0)
        event = await client.get(
            f"{shop.office_path}/events/{shop.event_id}", headers=shop.organizer.headers
        )
        assert event.json()["performances"][0]["sold"] == 12


async def test_50_reseller_orders_never_sell_beyond_the_performance_capacity(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        shop = await open_shop(
            client,
            committed_db,
            capacity=20,
            performances=1,
            settings={"payment_methods": ["card", "cash"]},
        )
        first = await reseller_of(client, committed_db, shop)
        second = await reseller_of(client, committed_db, shop)
        for reseller in (first, second):
            assert (await set_quota(client, shop, reseller, 15)).status_code == 200

        async def order(reseller: User) -> int:
            return (await resell(client, shop, reseller, quantity=1)).status_code

        statuses = await asyncio.gather(*(order((first, second)[i % 2]) for i in range(50)))
        assert statuses.count(201) == 20
        sold = {quota["account_id"]: quota["sold"] for quota in await quotas(client, shop)}
        assert sum(sold.values()) == 20
        assert all(count <= 15 for count in sold.values())
        assert uuid.UUID(next(iter(sold))) in {first.account_id, second.account_id}
