"""``manager demo`` fills a fresh database with a coherent data set its personas can log in to."""

import asyncio
import os
from collections.abc import Iterator

import httpx
import pytest

from app.core.db import Database
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.demo import PASSWORD, STEPS, run_demo
from app.main import create_app
from tests.conftest import _drop, fresh_database


@pytest.fixture(scope="module")
def demo_url(server_url: str) -> Iterator[str]:
    name = f"manager_test_demo_{os.getpid()}"
    url = fresh_database(server_url, name)
    upgrade(url)
    yield url
    asyncio.run(_drop(server_url, name))


async def test_demo_fills_a_fresh_database_and_its_personas_log_in(
    demo_url: str, settings: Settings
) -> None:
    steps: list[str] = []
    personas = await run_demo(demo_url, settings, steps.append)
    assert steps == [name for name, _ in STEPS]
    assert len(personas) == 7

    database = Database.connect(demo_url, pool_size=2, max_overflow=0)
    app = create_app(settings.model_copy(update={"database_url": demo_url}), database=database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as client:
            headers = {}
            for persona in personas:
                login = await client.post(
                    "/v1/auth/login", json={"email": persona.email, "password": PASSWORD}
                )
                assert login.status_code == 200, (persona.email, login.text)
                headers[persona.email] = {
                    "Authorization": f"Bearer {login.json()['tokens']['access_token']}"
                }
            currencies = set()
            for owner in ("alice@theatre-leman.example", "elodie@lyon-spectacles.example"):
                organizations = (
                    await client.get("/v1/organizations", headers=headers[owner])
                ).json()["data"]
                for organization in organizations:
                    invoices = await client.get(
                        f"/v1/organizations/{organization['id']}/invoices", headers=headers[owner]
                    )
                    currencies |= {invoice["currency"] for invoice in invoices.json()["data"]}
            assert currencies == {"CHF", "EUR"}
    finally:
        await database.dispose()
