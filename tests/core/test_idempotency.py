"""Idempotency-Key: replayed for 24 h, 422 with another body, 409 while the first still runs."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
import time_machine
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import func, select, text

from app.core import clock, idempotency
from app.core.db import Database, Session
from app.core.errors import Conflict
from app.core.idempotency import IdempotencyKey, purge_expired
from app.core.settings import Settings
from app.main import create_app


class Transfer(BaseModel):
    amount: int


class Receipt(BaseModel):
    id: uuid.UUID
    amount: int


class NegativeAmount(Conflict):
    code = "negative_amount"


def _caller(request: Request) -> None:
    """Stands for authentication: ``X-Test-Caller`` names the authenticated caller."""
    caller = request.headers.get("x-test-caller")
    if caller:
        idempotency.set_principal(request, caller)


def build_app(settings: Settings, db: Database, gate: asyncio.Event | None = None) -> FastAPI:
    app = create_app(settings, database=db)

    @app.post(
        "/v1/transfers",
        operation_id="test-transfer",
        status_code=201,
        dependencies=[Depends(_caller)],
    )
    async def transfer(body: Transfer, session: Session) -> Receipt:
        if gate is not None:
            await gate.wait()
        if body.amount < 0:
            raise NegativeAmount("negative")
        receipt_id = uuid.uuid4()
        await session.execute(
            text("INSERT INTO idem_test_transfers (id, amount) VALUES (:id, :amount)"),
            {"id": receipt_id, "amount": body.amount},
        )
        return Receipt(id=receipt_id, amount=body.amount)

    return app


CREATE_TABLE = "CREATE TABLE IF NOT EXISTS idem_test_transfers (id uuid PRIMARY KEY, amount int)"


@pytest.fixture
async def app(settings: Settings, db: Database) -> FastAPI:
    async with db.sessionmaker.begin() as session:
        await session.execute(text(CREATE_TABLE))
    return build_app(settings, db)


async def transfers(db: Database) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(text("SELECT count(*) FROM idem_test_transfers")) or 0)


async def test_same_key_replays_the_first_response(client: httpx.AsyncClient, db: Database) -> None:
    headers = {"Idempotency-Key": "k-1"}
    first = await client.post("/v1/transfers", json={"amount": 10}, headers=headers)
    second = await client.post("/v1/transfers", json={"amount": 10}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await transfers(db) == 1


async def test_without_a_key_each_request_runs(client: httpx.AsyncClient, db: Database) -> None:
    await client.post("/v1/transfers", json={"amount": 10})
    await client.post("/v1/transfers", json={"amount": 10})
    assert await transfers(db) == 2


async def test_same_key_with_another_body_is_422(client: httpx.AsyncClient, db: Database) -> None:
    headers = {"Idempotency-Key": "k-2", "X-Test-Caller": "account:1"}
    await client.post("/v1/transfers", json={"amount": 10}, headers=headers)
    response = await client.post("/v1/transfers", json={"amount": 11}, headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert await transfers(db) == 1


async def test_keys_are_per_caller(client: httpx.AsyncClient, db: Database) -> None:
    one = {"Idempotency-Key": "same", "X-Test-Caller": "account:1"}
    await client.post("/v1/transfers", json={"amount": 1}, headers=one)
    for other in ({"X-Test-Caller": "account:2"}, {}):
        response = await client.post(
            "/v1/transfers", json={"amount": 1}, headers={"Idempotency-Key": "same"} | other
        )
        assert "idempotent-replayed" not in response.headers
    assert await transfers(db) == 3


async def test_an_anonymous_key_is_scoped_to_its_request(
    client: httpx.AsyncClient, db: Database
) -> None:
    """Two anonymous callers who pick the same key never meet: another body is another key."""
    headers = {"Idempotency-Key": "anonymous"}
    first = await client.post("/v1/transfers", json={"amount": 1}, headers=headers)
    second = await client.post("/v1/transfers", json={"amount": 2}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "idempotent-replayed" not in second.headers
    assert await transfers(db) == 2


async def test_error_response_is_not_stored(client: httpx.AsyncClient, db: Database) -> None:
    headers = {"Idempotency-Key": "k-3"}
    failed = await client.post("/v1/transfers", json={"amount": -1}, headers=headers)
    assert failed.status_code == 409
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


async def test_key_expires_after_24_hours(client: httpx.AsyncClient, db: Database) -> None:
    headers = {"Idempotency-Key": "k-4"}
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await client.post("/v1/transfers", json={"amount": 5}, headers=headers)
        traveller.shift(timedelta(hours=23, minutes=59))
        replay = await client.post("/v1/transfers", json={"amount": 5}, headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true"
        traveller.shift(timedelta(minutes=2))
        fresh = await client.post("/v1/transfers", json={"amount": 5}, headers=headers)
        assert "idempotent-replayed" not in fresh.headers
    assert await transfers(db) == 2


async def test_purge_removes_only_expired_keys(client: httpx.AsyncClient, db: Database) -> None:
    with time_machine.travel(clock.now(), tick=False) as traveller:
        await client.post("/v1/transfers", json={"amount": 5}, headers={"Idempotency-Key": "old"})
        traveller.shift(timedelta(hours=20))
        await client.post("/v1/transfers", json={"amount": 5}, headers={"Idempotency-Key": "new"})
        traveller.shift(timedelta(hours=5))
        assert await purge_expired(db.sessionmaker) == 1
    async with db.sessionmaker() as session:
        assert list(await session.scalars(select(IdempotencyKey.key))) == ["new"]


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
async def test_invalid_key_is_400(client: httpx.AsyncClient, key: str) -> None:
    response = await client.post(
        "/v1/transfers", json={"amount": 1}, headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


async def test_concurrent_retry_gets_409_then_replay(
    settings: Settings, committed_db: Database
) -> None:
    async with committed_db.sessionmaker.begin() as session:
        await session.execute(text(CREATE_TABLE))
    gate = asyncio.Event()
    app = build_app(settings, committed_db, gate)
    transport = httpx.ASGITransport(app=app)
    headers = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(
                client.post("/v1/transfers", json={"amount": 7}, headers=headers)
            )
            for _ in range(100):  # until the first request holds the key
                async with committed_db.sessionmaker() as session:
                    if await session.scalar(select(func.count()).select_from(IdempotencyKey)):
                        break
                await asyncio.sleep(0.01)
            second = await client.post("/v1/transfers", json={"amount": 7}, headers=headers)
            assert second.status_code == 409
            assert second.json()["code"] == "idempotency_key_in_progress"
            gate.set()
            assert (await first).status_code == 201
            third = await client.post("/v1/transfers", json={"amount": 7}, headers=headers)
            assert third.headers["idempotent-replayed"] == "true"
            assert third.json() == (await first).json()
        assert await transfers(committed_db) == 1
    finally:
        async with committed_db.sessionmaker.begin() as session:
            await session.execute(text("DROP TABLE idem_test_transfers"))
