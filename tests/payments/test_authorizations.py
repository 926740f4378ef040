"""Cards are authorized during the request and captured only once its transaction committed:
a failed commit voids the authorization, a capture is never taken twice, and the recovery job
finishes what a process that died left half done."""

import asyncio
import uuid
from datetime import timedelta

import httpx
import pytest
import time_machine
from sqlalchemy import select, text

from app.core import clock
from app.core.db import Database
from app.payments import jobs, providers, service
from app.payments.models import PaymentAuthorization
from app.payments.providers import TestCardProvider
from app.payments.types import AuthorizationStatus
from app.ticketing.models import TicketOrder
from tests.ticketing.helpers import Shop, buy, open_shop, order_body


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> TestCardProvider:
    """A test provider of this test's own, to see exactly what it was asked to do."""
    fresh = TestCardProvider()
    monkeypatch.setitem(providers.PROVIDERS, "test", fresh)
    return fresh


def after_grace() -> time_machine.travel:
    return time_machine.travel(clock.now() + jobs.GRACE + timedelta(minutes=1), tick=False)


async def authorization_row(db: Database, key: str) -> PaymentAuthorization | None:
    async with db.sessionmaker() as session:
        row: PaymentAuthorization | None = await session.scalar(
            select(PaymentAuthorization).where(PaymentAuthorization.key == key)
        )
        return row


async def order_id(db: Database, number: str) -> uuid.UUID:
    async with db.sessionmaker() as session:
        found = await session.scalar(select(TicketOrder.id).where(TicketOrder.number == number))
    assert found is not None
    return found


async def available(client: httpx.AsyncClient, shop: Shop) -> int:
    event = (await client.get(f"/v1/shop/events/{shop.event_id}")).json()
    return int(event["performances"][0]["available"])


FAIL_AT_COMMIT = [
    """CREATE FUNCTION test_refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'this order may not commit'; END $$""",
    """CREATE CONSTRAINT TRIGGER test_refuse_commit AFTER INSERT ON ticketing_orders
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
       WHEN (NEW.customer_name = 'Commit Fails') EXECUTE FUNCTION test_refuse_commit()""",
]


async def test_card_order_whose_commit_fails_is_not_charged(
    committed_client: httpx.AsyncClient, committed_db: Database, provider: TestCardProvider
) -> None:
    client, db = committed_client, committed_db
    shop = await open_shop(client, db, performances=1)
    async with db.engine.begin() as connection:
        for statement in FAIL_AT_COMMIT:
            await connection.execute(text(statement))
    try:
        body = order_body(shop)
        body["customer"]["name"] = "Commit Fails"
        response = await client.post(f"/v1/shop/events/{shop.event_id}/orders", json=body)
    finally:
        async with db.engine.begin() as connection:
            await connection.execute(text("DROP TRIGGER test_refuse_commit ON ticketing_orders"))
            await connection.execute(text("DROP FUNCTION test_refuse_commit()"))

    assert response.status_code >= 500
    # The card was authorized during the request (the commit failed after), then voided.
    [held] = provider.authorizations()
    assert held.key.startswith("ticketing-order:")
    assert (held.status, held.captures) == (AuthorizationStatus.voided, 0)
    assert await authorization_row(db, held.key) is None
    async with db.sessionmaker() as session:
        assert await session.scalar(select(TicketOrder.id)) is None
    assert await available(client, shop) == 100
    # The recovery job finds nothing to capture, nor anything left to void.
    with after_grace():
        assert await jobs.recover(db.sessionmaker) == 0
    assert provider.authorization(held.key) == held

    # The next order commits and is captured.
    placed = await buy(client, shop)
    key = f"ticketing-order:{await order_id(db, placed['number'])}"
    captured = provider.authorization(key)
    assert captured is not None
    assert (captured.status, captured.captures) == (AuthorizationStatus.captured, 1)


async def test_committed_card_order_is_captured_exactly_once_whatever_the_jobs_do(
    committed_client: httpx.AsyncClient,
    committed_db: Database,
    provider: TestCardProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, db = committed_client, committed_db
    shop = await open_shop(client, db, performances=1)
    captured_in_request = await buy(client, shop)

    # The next order's capture right after its commit fails (the provider cannot be reached).
    real_capture = provider.capture
    failures = 0

    async def unreachable(*, key: str) -> None:
        nonlocal failures
        failures += 1
        raise ConnectionError("provider unreachable")

    monkeypatch.setattr(provider, "capture", unreachable)
    left_authorized = await buy(client, shop)
    monkeypatch.setattr(provider, "capture", real_capture)
    assert failures == 1
    assert left_authorized["status"] == "paid"

    first = f"ticketing-order:{await order_id(db, captured_in_request['number'])}"
    second = f"ticketing-order:{await order_id(db, left_authorized['number'])}"
    first_row, second_row = await authorization_row(db, first), await authorization_row(db, second)
    assert first_row is not None
    assert first_row.status == AuthorizationStatus.captured
    assert second_row is not None
    assert second_row.status == AuthorizationStatus.authorized

    with after_grace():
        handled = await asyncio.gather(jobs.recover(db.sessionmaker), jobs.recover(db.sessionmaker))
        assert sum(handled) == 1
        assert await jobs.recover(db.sessionmaker) == 0
        # A capture repeated by hand takes nothing either.
        async with db.sessionmaker.begin() as session:
            assert not await service.capture(session, key=second, provider_name="test")

    for key in (first, second):
        held = provider.authorization(key)
        assert held is not None
        assert (held.status, held.captures) == (AuthorizationStatus.captured, 1)
        row = await authorization_row(db, key)
        assert row is not None
        assert row.status == AuthorizationStatus.captured
        assert row.captured_at is not None
    assert [held.captures for held in provider.authorizations()] == [1, 1]


async def test_recovery_job_captures_a_committed_authorization_the_process_did_not_capture(
    client: httpx.AsyncClient,
    db: Database,
    provider: TestCardProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = await open_shop(client, db, performances=1)
    # The process dies right after the commit: the after-commit capture never runs.
    with monkeypatch.context() as patch:
        patch.setattr(service, "on_commit", lambda session, callback: None)
        placed = await buy(client, shop)
    key = f"ticketing-order:{await order_id(db, placed['number'])}"
    held = provider.authorization(key)
    assert held is not None
    assert held.status == AuthorizationStatus.authorized
    row = await authorization_row(db, key)
    assert row is not None
    assert (row.status, row.amount_minor, row.currency) == ("authorized", 10000, "CHF")
    assert row.provider_reference == held.provider_reference

    # And another process died before its rollback voided its authorization (no row).
    orphan = f"ticketing-order:{uuid.uuid4()}"
    await provider.authorize(
        key=orphan, token="tok_visa", amount_minor=5000, currency="CHF", description="lost"
    )

    assert await jobs.recover(db.sessionmaker) == 0  # too recent: maybe still under way
    with after_grace():
        assert await jobs.recover(db.sessionmaker) == 2
        assert await jobs.recover(db.sessionmaker) == 0

    captured = provider.authorization(key)
    assert captured is not None
    assert (captured.status, captured.captures) == (AuthorizationStatus.captured, 1)
    row = await authorization_row(db, key)
    assert row is not None
    assert row.status == AuthorizationStatus.captured
    voided = provider.authorization(orphan)
    assert voided is not None
    assert (voided.status, voided.captures) == (AuthorizationStatus.voided, 0)


async def test_declined_card_leaves_no_authorization(
    client: httpx.AsyncClient, db: Database, provider: TestCardProvider
) -> None:
    shop = await open_shop(client, db, performances=1)
    response = await client.post(
        f"/v1/shop/events/{shop.event_id}/orders",
        json=order_body(shop, card_token="tok_insufficient_funds"),
    )
    assert (response.status_code, response.json()["code"]) == (402, "payment_declined")
    assert provider.authorizations() == []
    async with db.sessionmaker() as session:
        assert await session.scalar(select(PaymentAuthorization.id)) is None


async def test_an_authorization_the_provider_voided_is_marked_voided_not_retried(
    client: httpx.AsyncClient,
    db: Database,
    provider: TestCardProvider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = await open_shop(client, db, performances=1)
    with monkeypatch.context() as patch:
        patch.setattr(service, "on_commit", lambda session, callback: None)
        placed = await buy(client, shop)
    key = f"ticketing-order:{await order_id(db, placed['number'])}"
    await provider.void(key=key)  # e.g. expired at the provider
    with after_grace():
        assert await jobs.recover(db.sessionmaker) == 1
        assert await jobs.recover(db.sessionmaker) == 0
    row = await authorization_row(db, key)
    assert row is not None
    assert row.status == AuthorizationStatus.voided
    assert row.voided_at is not None
