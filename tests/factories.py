"""Helpers that build accounts and sign them in through the real API."""

import itertools
import uuid
from dataclasses import dataclass, field

import httpx
import pyotp
from sqlalchemy import func, select, update

from app.accounts.models import Account
from app.core import clock
from app.core.db import Database
from app.organizations.models import Membership

PASSWORD = "correct horse battery staple"
_counter = itertools.count()


@dataclass
class User:
    account_id: uuid.UUID
    email: str
    password: str
    organization_id: uuid.UUID
    access_token: str = ""
    refresh_token: str = ""
    totp_secret: str | None = None
    emergency_codes: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{next(_counter)}.{uuid.uuid4().hex[:6]}@example.org"


async def sign_up(
    client: httpx.AsyncClient,
    *,
    email: str | None = None,
    language: str = "en",
    database: Database | None = None,
    **extra: object,
) -> dict:  # type: ignore[type-arg]
    """Signs up through the API (which answers alike for every address) and adds the new
    account's id, read from ``database`` (by default the in-process app's)."""
    body = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": email or unique_email(),
        "password": PASSWORD,
        "language": language,
        "address": {
            "line1": "Rue du Rhône 1",
            "postal_code": "1204",
            "city": "Genève",
            "country": "CH",
        },
    } | extra
    response = await client.post("/v1/accounts", json=body)
    assert response.status_code == 202, response.text
    if database is None:
        database = client._transport.app.state.database  # type: ignore[attr-defined]
    async with database.sessionmaker() as session:
        account_id = await session.scalar(
            select(Account.id).where(func.lower(Account.email) == str(body["email"]).lower())
        )
    assert account_id is not None
    return response.json() | {"id": str(account_id)}  # type: ignore[no-any-return]


async def confirm_directly(db: Database, account_id: uuid.UUID) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(Account).where(Account.id == account_id).values(email_confirmed_at=clock.now())
        )


async def log_in(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, **headers: str
) -> httpx.Response:
    return await client.post(
        "/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


async def signed_in_user(
    client: httpx.AsyncClient, db: Database, *, email: str | None = None, **extra: object
) -> User:
    """A confirmed account, signed in, with its personal organization (``extra``: more sign-up
    fields)."""
    account = await sign_up(client, email=email, database=db, **extra)
    account_id = uuid.UUID(account["id"])
    await confirm_directly(db, account_id)
    response = await log_in(client, account["email"])
    assert response.status_code == 200, response.text
    tokens = response.json()["tokens"]
    async with db.sessionmaker() as session:
        organization_id = await session.scalar(
            select(Membership.organization_id).where(Membership.account_id == account_id)
        )
    assert organization_id is not None
    return User(
        account_id=account_id,
        email=account["email"],
        password=PASSWORD,
        organization_id=organization_id,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


async def enable_two_factor(client: httpx.AsyncClient, user: User) -> None:
    enrollment = (
        await client.post("/v1/account/two-factor/enrollment", headers=user.headers)
    ).json()
    user.totp_secret = enrollment["secret"]
    response = await client.post(
        "/v1/account/two-factor/enrollment/confirm",
        json={"code": current_code(user)},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    user.emergency_codes = response.json()["emergency_codes"]


def current_code(user: User, offset_steps: int = 0) -> str:
    assert user.totp_secret
    totp = pyotp.TOTP(user.totp_secret)
    return totp.at(clock.now().timestamp() + 30 * offset_steps)


async def personal_access_token(
    client: httpx.AsyncClient, user: User, *scopes: str, name: str = "sync"
) -> dict[str, str]:
    """The headers of a new personal access token of ``user`` (``account:read`` by default)."""
    created = await client.post(
        "/v1/account/tokens",
        json={"name": name, "scopes": list(scopes or ["account:read"])},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}
