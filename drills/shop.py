"""A ticket office to sell from, made through the API: an organizer (signed up, e-mail confirmed
in SQL, a personal access token), an office, and a published event whose one performance never
sells out.

Rule: everything but the e-mail confirmation goes through the service, as a customer would.
"""

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from bench.ticketing import PASSWORD, expect

ADDRESS = {"line1": "Rue du Rhône 1", "postal_code": "1204", "city": "Genève", "country": "CH"}


@dataclass(frozen=True)
class Shop:
    organization_id: str
    office_id: str
    event_id: str
    performance_id: str
    category_id: str
    token: str

    @property
    def office_path(self) -> str:
        return f"/v1/organizations/{self.organization_id}/ticket-offices/{self.office_id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(client: httpx.AsyncClient, database_url: str, email: str) -> None:
    """A confirmed account (the confirmation link's work done in SQL)."""
    expect(
        await client.post(
            "/v1/accounts",
            json={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": email,
                "password": PASSWORD,
                "language": "en",
                "address": ADDRESS,
            },
        ),
        202,
    )
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE accounts SET email_confirmed_at = now() WHERE email = $1", email
        )
    finally:
        await connection.close()


async def organization_of(database_url: str, email: str) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        return str(
            await connection.fetchval(
                """SELECT m.organization_id FROM organizations_memberships m
                   JOIN accounts a ON a.id = m.account_id WHERE a.email = $1""",
                email,
            )
        )
    finally:
        await connection.close()


def event_body(capacity: int = 1_000_000) -> dict[str, Any]:
    start = datetime.now(UTC) + timedelta(days=60)
    return {
        "name": "La Flûte enchantée",
        "performances": [
            {
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=3)).isoformat(),
                "venue": "Grande salle",
                "capacity": capacity,
            }
        ],
        "price_categories": [{"name": "Parterre", "price_minor": 6500}],
    }


async def open_shop(service_url: str, database_url: str) -> Shop:
    email = f"organizer.{os.getpid()}.{uuid.uuid4().hex[:6]}@example.org"
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as client:
        await sign_up(client, database_url, email)
        login = expect(
            await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}), 200
        )
        session = {"Authorization": f"Bearer {login['tokens']['access_token']}"}
        token = expect(
            await client.post(
                "/v1/account/tokens",
                json={"name": "drill", "scopes": ["ticketing:read", "ticketing:write"]},
                headers=session,
            ),
            201,
        )["token"]
        headers = {"Authorization": f"Bearer {token}"}
        organization_id = await organization_of(database_url, email)
        base = f"/v1/organizations/{organization_id}/ticket-offices"
        office = expect(await client.post(base, json={"name": "Drill"}, headers=headers), 201)
        event = expect(
            await client.post(f"{base}/{office['id']}/events", json=event_body(), headers=headers),
            201,
        )
        expect(
            await client.post(
                f"{base}/{office['id']}/events/{event['id']}/publish", headers=headers
            ),
            200,
        )
    return Shop(
        organization_id=organization_id,
        office_id=office["id"],
        event_id=event["id"],
        performance_id=event["performances"][0]["id"],
        category_id=event["price_categories"][0]["id"],
        token=token,
    )
