"""Token scopes on the account's own routes: a read-only token reads and changes nothing."""

import httpx
import pytest

from app.core.db import Database
from tests.factories import User, signed_in_user

READ_ONLY = ["account:read", "organizations:read", "billing:read", "ticketing:read"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

WRITES = [
    ("PATCH", "/v1/account", {"json": {"first_name": "X"}}),
    ("PUT", "/v1/account/avatar", {"files": {"file": ("a.png", PNG, "image/png")}}),
    ("POST", "/v1/account/recovery-phone/confirm", {"json": {"code": "123456"}}),
    ("POST", "/v1/account/email-confirmation/resend", {}),
    ("PATCH", "/v1/account/security", {"json": {"notify_login_success": True}}),
    ("POST", "/v1/account/sessions/end-others", {}),
    ("POST", "/v1/account/two-factor/enrollment", {}),
    ("POST", "/v1/auth/logout", {}),
    ("POST", "/v1/account/deletion", {"json": {"password": "x"}}),
    ("POST", "/v1/invitations/accept", {"json": {"token": "x" * 20}}),
]


async def _token(client: httpx.AsyncClient, user: User, scopes: list[str]) -> dict[str, str]:
    created = await client.post(
        "/v1/account/tokens", json={"name": "sync", "scopes": scopes}, headers=user.headers
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_a_token_with_only_read_scopes_changes_nothing(
    client: httpx.AsyncClient, db: Database, method: str, path: str, body: dict[str, object]
) -> None:
    user = await signed_in_user(client, db)
    read_only = await _token(client, user, READ_ONLY)
    response = await client.request(method, path, headers=read_only, **body)  # type: ignore[arg-type]
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_scope"


async def test_a_read_only_token_still_reads(client: httpx.AsyncClient, db: Database) -> None:
    user = await signed_in_user(client, db)
    read_only = await _token(client, user, ["account:read"])
    for path in ("/v1/account", "/v1/account/security", "/v1/account/activity"):
        assert (await client.get(path, headers=read_only)).status_code == 200, path


async def test_a_write_token_sets_the_avatar_and_the_log_says_a_token_did(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    writer = await _token(client, user, ["account:write"])
    files = {"file": ("a.png", PNG, "image/png")}
    assert (await client.put("/v1/account/avatar", files=files, headers=writer)).status_code == 204
    changed = await client.patch("/v1/account", json={"first_name": "Grace"}, headers=writer)
    assert changed.status_code == 200
    entries = (
        await client.get(
            "/v1/account/activity", params={"action": "account."}, headers=user.headers
        )
    ).json()["data"]
    assert entries[0]["action"] == "account.profile_updated"
    assert entries[0]["details"] == {"fields": ["first_name"], "token": True}
    assert entries[0]["actor_account_id"] == str(user.account_id)
