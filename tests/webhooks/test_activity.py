import httpx

from tests.factories import User
from tests.webhooks.conftest import subscribe, subscriptions_url


async def test_every_change_to_a_subscription_is_logged_with_who_made_it_and_how(
    client: httpx.AsyncClient, manager: User
) -> None:
    token = await client.post(
        "/v1/account/tokens",
        json={"name": "zapier", "scopes": ["webhooks:manage"]},
        headers=manager.headers,
    )
    by_token = {"Authorization": f"Bearer {token.json()['token']}"}
    created = await client.post(
        subscriptions_url(manager),
        json={"target_url": "https://hooks.example.com/in", "event_types": ["*"]},
        headers=by_token,
    )
    assert created.status_code == 201, created.text
    url = f"{subscriptions_url(manager)}/{created.json()['id']}"
    other = await subscribe(client, manager, "https://hooks.example.com/other")
    headers = manager.headers
    assert (await client.patch(url, json={"description": "CRM"}, headers=headers)).is_success
    assert (await client.post(url + "/secret/rotate", headers=headers)).is_success
    ping = await client.post(url + "/test", headers=headers)
    assert ping.status_code == 202
    event_id = ping.json()["event_id"]
    assert (await client.post(f"{url}/events/{event_id}/redeliver", headers=headers)).is_success
    failed = await client.post(
        url + "/redeliver-failed", json={"since": "2020-01-01T00:00:00Z"}, headers=headers
    )
    assert failed.json() == {"queued": 0}
    other_url = f"{subscriptions_url(manager)}/{other['id']}"
    assert (await client.delete(other_url, headers=headers)).status_code == 204

    log = await client.get(
        f"/v1/organizations/{manager.organization_id}/activity",
        params={"action": "webhooks.", "limit": 100},
        headers=headers,
    )

    entries = list(reversed(log.json()["data"]))
    assert [entry["action"] for entry in entries] == [
        "webhooks.subscription_created",
        "webhooks.subscription_created",
        "webhooks.subscription_updated",
        "webhooks.secret_rotated",
        "webhooks.test_sent",
        "webhooks.event_redelivered",
        "webhooks.failed_redelivered",
        "webhooks.subscription_deleted",
    ]
    assert {entry["actor_account_id"] for entry in entries} == {str(manager.account_id)}
    assert {entry["actor_organization_id"] for entry in entries} == {str(manager.organization_id)}
    assert entries[0]["details"]["token"] is True
    assert all("token" not in entry["details"] for entry in entries[1:])
    assert entries[5]["details"] == {"subscription_id": created.json()["id"], "event_id": event_id}
