"""Every change to a ticket office is in its organization's activity log, whoever made it."""

import httpx
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.core.db import Database
from tests.ticketing.helpers import buy, open_shop


async def _entries(db: Database, action: str) -> list[ActivityEntry]:
    async with db.sessionmaker() as session:
        return list(
            await session.scalars(
                select(ActivityEntry)
                .where(ActivityEntry.action == action)
                .order_by(ActivityEntry.created_at)
            )
        )


async def test_updating_an_event_is_logged_with_its_changed_fields(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    updated = await client.patch(
        f"{shop.office_path}/events/{shop.event_id}",
        json={"name": "Die Zauberflöte"},
        headers=shop.organizer.headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["name"] == "Die Zauberflöte"
    [entry] = [
        e
        for e in await _entries(db, "ticketing.event_updated")
        if e.product_id is not None and str(e.product_id) == shop.office_id
    ]
    assert entry.organization_id == shop.organizer.organization_id
    assert entry.actor_account_id == shop.organizer.account_id
    assert entry.actor_organization_id == shop.organizer.organization_id
    assert entry.details["event_id"] == shop.event_id
    assert entry.details["fields"] == ["name"]


async def test_building_and_publishing_an_event_is_logged(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    for action in ("ticketing.office_created", "ticketing.event_created"):
        assert any(str(e.product_id) == shop.office_id for e in await _entries(db, action))
    [published] = [
        e
        for e in await _entries(db, "ticketing.event_published")
        if str(e.product_id) == shop.office_id
    ]
    assert published.details["event_id"] == shop.event_id
    assert published.actor_account_id == shop.organizer.account_id


async def test_a_shop_order_is_logged_as_the_customer_s(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop)
    [entry] = [
        e
        for e in await _entries(db, "ticketing.order_placed")
        if e.details["number"] == order["number"]
    ]
    assert entry.actor_account_id is None
    assert entry.actor_organization_id is None
    assert entry.details["channel"] == "online"
    assert "via" not in entry.details


async def test_a_change_made_with_a_personal_access_token_is_marked_so(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    created = await client.post(
        "/v1/account/tokens",
        json={"name": "sync", "scopes": ["ticketing:write"]},
        headers=shop.organizer.headers,
    )
    assert created.status_code == 201, created.text
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    unpublished = await client.post(
        f"{shop.office_path}/events/{shop.event_id}/unpublish", headers=token
    )
    assert unpublished.status_code == 200, unpublished.text
    [entry] = [
        e
        for e in await _entries(db, "ticketing.event_unpublished")
        if str(e.product_id) == shop.office_id
    ]
    assert entry.actor_account_id == shop.organizer.account_id
    assert entry.details["token"] is True
