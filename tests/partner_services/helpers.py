"""A partner managing a client with full access, and shortcuts to the partner-services API."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from app.core.db import Database
from tests.factories import User, log_in
from tests.mail import Mailbox
from tests.organizations.test_partners import Partnership, accept, invited

PARIS = ZoneInfo("Europe/Paris")


def at(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).isoformat()


@dataclass
class Managed:
    p: Partnership

    @property
    def staff(self) -> User:
        return self.p.partner_admin

    @property
    def client_legal(self) -> User:
        return self.p.client_legal

    def path(self, rest: str = "") -> str:
        return f"/v1/organizations/{self.p.client_id}/partner-services{rest}"


async def managed(client: httpx.AsyncClient, db: Database, mailbox: Mailbox) -> Managed:
    partnership = await invited(client, db, mailbox)
    response = await accept(client, partnership, {"access_type": "full"})
    assert response.status_code in (200, 201), response.text
    return Managed(partnership)


async def call(
    client: httpx.AsyncClient, method: str, path: str, user: User, body: Any = None, **expect: int
) -> Any:
    response = await client.request(method, path, json=body, headers=user.headers)
    wanted = expect.get("status", 201 if method == "POST" else 200)
    assert response.status_code == wanted, response.text
    return response.json()


async def contract(
    client: httpx.AsyncClient,
    m: Managed,
    monthly_minor: int,
    starts: date,
    ends: date,
    **extra: Any,
) -> dict[str, Any]:
    return await call(
        client,
        "POST",
        m.path("/contracts"),
        m.staff,
        {
            "description": "Support contract",
            "monthly_minor": monthly_minor,
            "starts_on": starts.isoformat(),
            "ends_on": ends.isoformat(),
        }
        | extra,
    )


async def request(
    client: httpx.AsyncClient, m: Managed, *, by: User | None = None, channel: str = "api"
) -> dict[str, Any]:
    return await call(
        client,
        "POST",
        m.path("/requests"),
        by or m.client_legal,
        {"subject": "Mail migration", "description": "Move our mailboxes", "channel": channel},
    )


async def work(
    client: httpx.AsyncClient,
    m: Managed,
    request_id: str,
    start: str,
    end: str,
    **extra: Any,
) -> dict[str, Any]:
    return await call(
        client,
        "POST",
        m.path(f"/requests/{request_id}/interventions"),
        m.staff,
        {"started_at": start, "ended_at": end, "description": "Work"} | extra,
    )


async def quote_for(
    client: httpx.AsyncClient, m: Managed, request_id: str, quote_lines: list[dict[str, Any]]
) -> dict[str, Any]:
    return await call(
        client,
        "POST",
        m.path("/quotes"),
        m.staff,
        {"request_id": request_id, "title": "Server install", "lines": quote_lines},
    )


async def on_site(
    client: httpx.AsyncClient, m: Managed, request_id: str, quote_id: str
) -> dict[str, Any]:
    """A day on site on Tuesday 1 December 2026, 30 km and 40 minutes away."""
    day = date(2026, 12, 1)
    return await work(
        client,
        m,
        request_id,
        at(day, 9),
        at(day, 17),
        location="on_site",
        quote_id=quote_id,
        distance_km=30,
        travel_minutes=40,
    )


async def invoice(client: httpx.AsyncClient, m: Managed, **expect: int) -> Any:
    return await call(client, "POST", m.path("/invoices"), m.staff, **expect)


def lines(invoice: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [line for line in invoice["lines"] if line["kind"] == kind]


def ids(*values: str) -> list[uuid.UUID]:
    return [uuid.UUID(value) for value in values]


async def relogin(client: httpx.AsyncClient, *users: User) -> None:
    """New sessions once the clock has moved past the old ones' end."""
    for user in users:
        response = await log_in(client, user.email)
        assert response.status_code == 200, response.text
        user.access_token = response.json()["tokens"]["access_token"]
