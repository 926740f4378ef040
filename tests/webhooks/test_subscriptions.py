import uuid

import httpx
from sqlalchemy import insert

from app.core.db import Database
from app.events.catalog import EVENT_TYPES
from app.organizations.models import Membership
from app.organizations.types import Role
from tests.factories import User, signed_in_user
from tests.webhooks.conftest import subscribe, subscriptions_url


async def test_event_types_are_listed_publicly_and_in_the_openapi_document(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/v1/webhooks/event-types")

    assert response.status_code == 200
    listed = {item["type"]: item["description"] for item in response.json()["data"]}
    assert listed == EVENT_TYPES
    assert [item["type"] for item in response.json()["data"]] == sorted(EVENT_TYPES)
    assert response.json()["next_cursor"] is None
    assert response.json()["has_more"] is False
    document = (await client.get("/openapi.json")).json()
    enum = document["components"]["schemas"]["EventType"]["properties"]["type"]["enum"]
    assert set(enum) == set(EVENT_TYPES)


async def test_subscribing_returns_an_id_and_a_secret_shown_once(
    client: httpx.AsyncClient, manager: User
) -> None:
    created = await subscribe(client, manager, "https://hooks.example.com/in", ["member.*"])

    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["member.*"]
    assert created["active"] is True
    read = await client.get(
        f"{subscriptions_url(manager)}/{created['id']}", headers=manager.headers
    )
    assert read.status_code == 200
    assert "secret" not in read.json()
    listed = await client.get(subscriptions_url(manager), headers=manager.headers)
    assert [item["id"] for item in listed.json()["data"]] == [created["id"]]


async def test_unsubscribing_deletes_the_subscription(
    client: httpx.AsyncClient, manager: User
) -> None:
    created = await subscribe(client, manager, "https://hooks.example.com/in")
    url = f"{subscriptions_url(manager)}/{created['id']}"

    deleted = await client.delete(url, headers=manager.headers)

    assert deleted.status_code == 204
    assert (await client.get(url, headers=manager.headers)).status_code == 404
    assert (await client.delete(url, headers=manager.headers)).status_code == 404


async def test_unknown_event_types_and_malformed_patterns_are_refused(
    client: httpx.AsyncClient, manager: User
) -> None:
    for event_types in (["order.teleported"], ["order*"], ["*.created"], []):
        response = await client.post(
            subscriptions_url(manager),
            json={"target_url": "https://hooks.example.com/in", "event_types": event_types},
            headers=manager.headers,
        )
        assert response.status_code == 422, event_types
        assert response.json()["code"] in {"invalid_event_type_pattern", "validation_error"}


async def test_target_urls_must_be_http_urls_without_credentials(
    client: httpx.AsyncClient, manager: User
) -> None:
    for url in ("ftp://hooks.example.com/in", "https://user:pw@hooks.example.com/", "not a url"):
        response = await client.post(
            subscriptions_url(manager),
            json={"target_url": url, "event_types": ["*"]},
            headers=manager.headers,
        )
        assert response.status_code == 422, url
        assert response.json()["code"] == "webhook_target_not_allowed"


async def test_collaborators_cannot_manage_subscriptions(
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

    response = await client.post(
        subscriptions_url(manager),
        json={"target_url": "https://hooks.example.com/in", "event_types": ["*"]},
        headers=collaborator.headers,
    )

    assert response.status_code == 403
    assert response.json()["code"] == "role_forbidden"


async def test_another_organizations_subscription_is_not_found(
    client: httpx.AsyncClient, db: Database, manager: User
) -> None:
    created = await subscribe(client, manager, "https://hooks.example.com/in")
    stranger = await signed_in_user(client, db)

    response = await client.get(
        f"/v1/organizations/{stranger.organization_id}/webhooks/subscriptions/{created['id']}",
        headers=stranger.headers,
    )

    assert response.status_code == 404
    assert response.json()["code"] == "webhook_subscription_not_found"


async def _token(client: httpx.AsyncClient, user: User, scopes: list[str]) -> dict[str, str]:
    response = await client.post(
        "/v1/account/tokens", json={"name": "zapier", "scopes": scopes}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def test_a_token_needs_the_webhooks_manage_scope(
    client: httpx.AsyncClient, manager: User
) -> None:
    body = {"target_url": "https://hooks.example.com/in", "event_types": ["*"]}
    without = await _token(client, manager, ["account:read"])
    with_scope = await _token(client, manager, ["webhooks:manage"])

    refused = await client.post(subscriptions_url(manager), json=body, headers=without)
    created = await client.post(subscriptions_url(manager), json=body, headers=with_scope)

    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert created.status_code == 201
    removed = await client.delete(
        f"{subscriptions_url(manager)}/{created.json()['id']}", headers=with_scope
    )
    assert removed.status_code == 204


async def test_updating_changes_only_the_fields_sent(
    client: httpx.AsyncClient, manager: User
) -> None:
    created = await subscribe(client, manager, "https://hooks.example.com/in", ["member.*"])
    url = f"{subscriptions_url(manager)}/{created['id']}"

    response = await client.patch(
        url, json={"description": "CRM sync", "active": False}, headers=manager.headers
    )

    assert response.status_code == 200
    updated = response.json()
    assert updated["description"] == "CRM sync"
    assert updated["active"] is False
    assert updated["event_types"] == ["member.*"]
    assert updated["target_url"] == "https://hooks.example.com/in"


async def test_rotating_the_secret_keeps_the_previous_one_for_a_day(
    client: httpx.AsyncClient, manager: User
) -> None:
    created = await subscribe(client, manager, "https://hooks.example.com/in")

    response = await client.post(
        f"{subscriptions_url(manager)}/{created['id']}/secret/rotate", headers=manager.headers
    )

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    read = await client.get(
        f"{subscriptions_url(manager)}/{created['id']}", headers=manager.headers
    )
    assert read.json()["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]
