import uuid

import httpx
from sqlalchemy import insert

from app.core.db import Database
from app.core.settings import Settings
from app.organizations.models import Membership
from app.organizations.types import Role
from tests.factories import User, signed_in_user
from tests.webhooks.conftest import emit_event, run_worker, subscribe
from tests.webhooks.receiver import Receiver


def feed_url(user: User) -> str:
    return f"/v1/organizations/{user.organization_id}/events"


async def test_the_feed_lists_the_organizations_events_newest_first_by_type(
    client: httpx.AsyncClient, db: Database, manager: User
) -> None:
    added = await emit_event(db, manager.organization_id, "member.added")
    await emit_event(db, manager.organization_id, "product.created")
    removed = await emit_event(db, manager.organization_id, "member.removed")
    other = await signed_in_user(client, db)
    await emit_event(db, other.organization_id, "member.added")

    members = await client.get(feed_url(manager) + "?type=member.*", headers=manager.headers)
    both = await client.get(
        feed_url(manager) + "?type=member.removed,product.created", headers=manager.headers
    )

    assert members.status_code == 200
    assert [event["id"] for event in members.json()["data"]] == [str(removed), str(added)]
    assert [event["type"] for event in both.json()["data"]] == [
        "member.removed",
        "product.created",
    ]


async def test_the_feed_is_paginated_with_a_cursor(
    client: httpx.AsyncClient, db: Database, manager: User
) -> None:
    emitted = [await emit_event(db, manager.organization_id) for _ in range(3)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "type": "member.added"} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(feed_url(manager), params=params, headers=manager.headers)).json()
        seen += [event["id"] for event in page["data"]]
        if not page["has_more"]:
            break
        cursor = page["next_cursor"]

    assert seen == [str(event_id) for event_id in reversed(emitted)]


async def test_the_feed_carries_the_payload_webhooks_deliver(
    client: httpx.AsyncClient,
    db: Database,
    settings: Settings,
    manager: User,
    receiver: Receiver,
) -> None:
    await subscribe(client, manager, receiver.url + "/hooks")
    await emit_event(db, manager.organization_id, "product.created", name="Billetterie")
    await run_worker(db, settings)

    feed = await client.get(feed_url(manager) + "?type=product.*", headers=manager.headers)

    [event] = feed.json()["data"]
    assert event == receiver.received[0].json


async def test_malformed_type_filters_are_refused(client: httpx.AsyncClient, manager: User) -> None:
    response = await client.get(feed_url(manager) + "?type=member.*.x*", headers=manager.headers)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_event_type_pattern"


async def test_members_read_the_feed_and_tokens_need_a_read_scope(
    client: httpx.AsyncClient, db: Database, manager: User
) -> None:
    collaborator = await signed_in_user(client, db)
    async with db.sessionmaker.begin() as session:
        await session.execute(
            insert(Membership).values(
                id=uuid.uuid4(),
                organization_id=manager.organization_id,
                account_id=collaborator.account_id,
                role=Role.collaborator,
            )
        )
    tokens = {}
    for scopes in (["billing:read"], ["organizations:read"]):
        created = await client.post(
            "/v1/account/tokens",
            json={"name": "poller", "scopes": scopes},
            headers=manager.headers,
        )
        tokens[scopes[0]] = {"Authorization": f"Bearer {created.json()['token']}"}

    assert (await client.get(feed_url(manager), headers=collaborator.headers)).status_code == 200
    assert (await client.get(feed_url(manager), headers=tokens["billing:read"])).status_code == 403
    allowed = await client.get(feed_url(manager), headers=tokens["organizations:read"])
    assert allowed.status_code == 200
    assert (await client.get(feed_url(manager))).status_code == 401
