import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.core.db import Database
from app.core.settings import Settings
from app.events.service import emit
from app.webhooks.delivery import deliver_due
from app.webhooks.fanout import fan_out
from tests.factories import User, signed_in_user
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
async def manager(client: httpx.AsyncClient, db: Database) -> User:
    """A signed-in legal representative of their own organization."""
    return await signed_in_user(client, db)


def subscriptions_url(user: User) -> str:
    return f"/v1/organizations/{user.organization_id}/webhooks/subscriptions"


async def subscribe(
    client: httpx.AsyncClient, user: User, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        subscriptions_url(user),
        json={"target_url": url, "event_types": event_types or ["*"], "description": "test"},
        headers=user.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def emit_event(
    db: Database, organization_id: uuid.UUID, type: str = "member.added", **data: Any
) -> uuid.UUID:
    async with db.sessionmaker.begin() as session:
        event = await emit(session, type, {"note": "test", **data}, organization_id=organization_id)
    return event.id


async def run_worker(db: Database, settings: Settings) -> int:
    """Fans out new events, then sends what is due until nothing is; returns attempts made."""
    attempts = 0
    while await fan_out(db.sessionmaker):
        pass
    while handled := await deliver_due(db.sessionmaker, settings):
        attempts += handled
    return attempts
