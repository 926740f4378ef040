"""Affiliate fixtures: an affiliate signed in from its own IP address, customers referred by a
visit with its tag, orders paid from prepaid, and the programme's jobs run on demand."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.affiliates import jobs
from app.affiliates.models import Commission
from app.core.db import Database
from tests.billing.conftest import catalog, credit_prepaid, make_staff, order, path
from tests.factories import User, signed_in_user

AFFILIATE_IP = "203.0.113.7"
CUSTOMER_IP = "198.51.100.20"
CLOUD = "cloud_server.small"  # CHF 35.00 a month, 350.00 a year, excl. VAT
STREAMING = "streaming.basic"  # CHF 15.00 a month
DRIVE = "drive.solo"  # CHF 5.00 a month


def item(plan: str, period: str = "monthly", quantity: int = 1) -> dict[str, Any]:
    return {
        "plan_code": plan,
        "period": period,
        "quantity": quantity,
        "product_name": f"{plan} x{quantity}",
    }


def client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    """A client whose requests come from ``ip``."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(ip, 4000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def affiliate_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, AFFILIATE_IP) as client:
        yield client


@pytest.fixture
async def customer_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app, CUSTOMER_IP) as client:
        yield client


@pytest.fixture
async def staff(client: httpx.AsyncClient, db: Database) -> User:
    """A signed-in member of the provider's staff."""
    user = await signed_in_user(client, db)
    await make_staff(db, user)
    return user


@dataclass
class Affiliate:
    user: User
    id: str
    tag: str
    currency: str


async def join(
    client: httpx.AsyncClient,
    db: Database,
    *,
    currency: str = "CHF",
    language: str = "en",
    **payout: Any,
) -> Affiliate:
    """A new organization (signed in from ``client``'s IP) joined to the programme."""
    user = await sign_up_with(client, db, None, language=language)
    body = {"currency": currency, "payout_method": "prepaid"} | payout
    response = await client.post(path(user, "/affiliate"), json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    data = response.json()
    return Affiliate(user=user, id=data["id"], tag=data["tag"], currency=currency)


async def visit(client: httpx.AsyncClient, tag: str, token: str | None = None) -> str:
    response = await client.post("/v1/affiliate-visits", json={"tag": tag, "token": token})
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


async def sign_up_with(
    client: httpx.AsyncClient, db: Database, token: str | None, **extra: Any
) -> User:
    """Signs up presenting ``token`` (or none), confirms and signs in."""
    return await signed_in_user(client, db, attribution_token=token, **extra)


async def referred(client: httpx.AsyncClient, db: Database, tag: str) -> User:
    """A new customer who followed the affiliate's link, then signed up."""
    return await sign_up_with(client, db, await visit(client, tag))


async def buy(
    client: httpx.AsyncClient, db: Database, user: User, *items: dict[str, Any]
) -> dict[str, Any]:
    """Orders ``items`` and pays the invoice from prepaid; billing's events are then read."""
    invoice = (await order(client, user, *items))["invoice"]
    await credit_prepaid(db, user, invoice["total_minor"], invoice["currency"])
    paid = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert paid.status_code == 201, paid.text
    await jobs.read_billing_events(db.sessionmaker)
    return invoice  # type: ignore[no-any-return]


async def commissions_of(db: Database, affiliate: Affiliate) -> list[Commission]:
    async with db.sessionmaker() as session:
        rows = await session.scalars(
            select(Commission)
            .where(Commission.affiliate_id == uuid.UUID(affiliate.id))
            .order_by(Commission.created_at, Commission.id)
        )
        return list(rows)


def days_after(moment: datetime, days: float) -> datetime:
    return moment + timedelta(days=days)


async def add_member(db: Database, organization_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """Makes ``account_id`` an administrator of the organization (straight in the tables)."""
    from app.core import clock
    from app.organizations.models import Membership

    async with db.sessionmaker.begin() as session:
        session.add(
            Membership(
                id=uuid.uuid4(),
                organization_id=organization_id,
                account_id=account_id,
                role="administrator",
                acts_for_clients=False,
                created_at=clock.now(),
            )
        )


__all__ = ["catalog"]
