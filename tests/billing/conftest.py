"""Billing fixtures: the seeded catalog and organizations ready to order and pay."""

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from app.accounts.models import Account
from app.billing import ledger
from app.billing.models import EntryKind, PrepaidAccount
from app.billing.seed import seed_catalog
from app.core.db import Database
from tests.factories import User, signed_in_user

GOOD_CARD = "4242 4242 4242 4242"
DECLINED_CARD = "4000000000000002"


@pytest.fixture
async def catalog(db: Database) -> None:
    async with db.sessionmaker.begin() as session:
        await seed_catalog(session)


async def customer(client: httpx.AsyncClient, db: Database, *, country: str = "CH") -> User:
    """A signed-in legal representative of an organization in ``country``."""
    user = await signed_in_user(client, db)
    if country != "CH":
        from app.organizations.models import Organization

        async with db.sessionmaker.begin() as session:
            await session.execute(
                update(Organization)
                .where(Organization.id == user.organization_id)
                .values(
                    country=country,
                    currency="CHF" if country in ("CH", "LI") else "EUR",
                    address={
                        "line1": "1 rue de la Paix",
                        "postal_code": "75002",
                        "city": "Paris",
                        "country": country,
                    },
                )
            )
    return user


async def make_staff(db: Database, user: User) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Account).where(Account.id == user.account_id).values(is_platform_staff=True)
        )


async def credit_prepaid(
    db: Database, user: User, amount_minor: int, currency: str = "CHF"
) -> None:
    async with db.sessionmaker.begin() as session:
        await ledger.post(
            session,
            organization_id=user.organization_id,
            currency=currency,
            kind=EntryKind.top_up,
            amount_minor=amount_minor,
            reference=f"test:{uuid.uuid4()}",
        )


async def balance(db: Database, organization_id: uuid.UUID, currency: str = "CHF") -> int:
    async with db.sessionmaker() as session:
        value = await session.scalar(
            select(PrepaidAccount.balance_minor).where(
                PrepaidAccount.organization_id == organization_id,
                PrepaidAccount.currency == currency,
            )
        )
    return value or 0


def path(user: User, rest: str) -> str:
    return f"/v1/organizations/{user.organization_id}{rest}"


async def order(
    client: httpx.AsyncClient,
    user: User,
    *items: dict[str, Any],
    checkout: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Puts ``items`` in the cart and checks out; returns the placed order with its invoice."""
    for item in items:
        response = await client.post(path(user, "/cart/items"), json=item, headers=user.headers)
        assert response.status_code == 201, response.text
    response = await client.post(
        path(user, "/cart/checkout"), json=checkout or {}, headers=user.headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def add_card(
    client: httpx.AsyncClient, user: User, number: str = GOOD_CARD
) -> dict[str, Any]:
    response = await client.post(
        path(user, "/payment-profiles"),
        json={
            "kind": "card",
            "card_number": number,
            "expiry_month": 12,
            "expiry_year": 2099,
            "cvc": "123",
            "holder_name": "Ada Lovelace",
        },
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def sign_in_again(client: httpx.AsyncClient, user: User) -> None:
    """A fresh access token (after moving the clock past the old one's expiry)."""
    from tests.factories import log_in

    response = await log_in(client, user.email)
    assert response.status_code == 200, response.text
    user.access_token = response.json()["tokens"]["access_token"]
