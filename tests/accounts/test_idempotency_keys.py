"""Idempotency-Key after authentication: a key is its account's whatever the credential, and a
response carrying credentials (tokens) is never stored nor replayed."""

import httpx
from sqlalchemy import select

from app.core.db import Database
from app.core.idempotency import IdempotencyKey
from tests.factories import PASSWORD, log_in, signed_in_user


async def test_a_login_response_is_never_stored_nor_replayed(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    body = {"email": user.email, "password": PASSWORD}
    headers = {"Idempotency-Key": "login-1"}
    first = await client.post("/v1/auth/login", json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = await client.post("/v1/auth/login", json=body, headers=headers)
    assert (again.status_code, again.json()["code"]) == (409, "idempotency_response_withheld")
    assert first.json()["tokens"]["refresh_token"] not in again.text
    async with db.sessionmaker() as session:
        stored = (await session.scalars(select(IdempotencyKey.response_body))).all()
    assert stored
    assert all(body is None for body in stored)
    # Without the key, the caller simply logs in again.
    assert (await log_in(client, user.email)).status_code == 200


async def test_a_key_is_the_account_s_whatever_its_credential(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    other_session = (await log_in(client, user.email)).json()["tokens"]["access_token"]
    stranger = await signed_in_user(client, db)
    body = {"name": "Bakery", "kind": "company"}
    key = {"Idempotency-Key": "org-1"}
    first = await client.post("/v1/organizations", json=body, headers=user.headers | key)
    assert first.status_code == 201, first.text
    replayed = await client.post(
        "/v1/organizations", json=body, headers={"Authorization": f"Bearer {other_session}"} | key
    )
    assert replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.json()["id"] == first.json()["id"]
    theirs = await client.post("/v1/organizations", json=body, headers=stranger.headers | key)
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
    # A forged or unknown credential is refused before any key is looked at.
    forged = await client.post(
        "/v1/organizations", json=body, headers={"Authorization": "Bearer forged"} | key
    )
    assert forged.status_code == 401
