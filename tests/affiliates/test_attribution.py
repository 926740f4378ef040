"""Visits and attribution: a visit keeps IP and time and hands back a token lasting 30 days; a
sign-up presenting it within them is the affiliate's referral; the last click wins; no visit,
an expired token or an unknown tag means no attribution, and the sign-up still works."""

import uuid
from datetime import UTC, datetime

import httpx
import time_machine
from sqlalchemy import select

from app.affiliates.models import Referral, Visit
from app.core.db import Database
from tests.affiliates.conftest import (
    CUSTOMER_IP,
    days_after,
    join,
    sign_up_with,
    visit,
)

START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


async def referral_of(db: Database, organization_id: uuid.UUID) -> Referral | None:
    async with db.sessionmaker() as session:
        return await session.scalar(
            select(Referral).where(Referral.organization_id == organization_id)
        )


async def test_a_visit_keeps_ip_and_time_and_returns_a_30_day_token(
    affiliate_client: httpx.AsyncClient, customer_client: httpx.AsyncClient, db: Database
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        response = await customer_client.post("/v1/affiliate-visits", json={"tag": affiliate.tag})
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["expires_at"]) == days_after(START, 30)
    async with db.sessionmaker() as session:
        kept = (await session.scalars(select(Visit))).one()
    assert str(kept.ip) == CUSTOMER_IP
    assert kept.visited_at == START
    unknown = await customer_client.post("/v1/affiliate-visits", json={"tag": "nosuchtag"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "affiliate_tag_unknown"


async def test_sign_up_within_30_days_is_attributed_and_31_days_after_is_not(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database
) -> None:
    affiliate = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        fresh = await visit(client, affiliate.tag)
        stale = await visit(client, affiliate.tag)
    with time_machine.travel(days_after(START, 29), tick=False):
        within = await sign_up_with(client, db, fresh)
    with time_machine.travel(days_after(START, 31), tick=False):
        late = await sign_up_with(client, db, stale)
    attributed = await referral_of(db, within.organization_id)
    assert attributed is not None
    assert str(attributed.affiliate_id) == affiliate.id
    assert attributed.earns_until == days_after(START, 29 + 365)
    assert await referral_of(db, late.organization_id) is None


async def test_no_token_or_an_unknown_one_signs_up_without_attribution(
    client: httpx.AsyncClient, db: Database
) -> None:
    plain = await sign_up_with(client, db, None)
    unknown = await sign_up_with(client, db, "not-a-token")
    assert await referral_of(db, plain.organization_id) is None
    assert await referral_of(db, unknown.organization_id) is None


async def test_the_last_click_wins(
    affiliate_client: httpx.AsyncClient, client: httpx.AsyncClient, db: Database
) -> None:
    first = await join(affiliate_client, db)
    second = await join(affiliate_client, db)
    with time_machine.travel(START, tick=False):
        token = await visit(client, first.tag)
    with time_machine.travel(days_after(START, 3), tick=False):
        assert await visit(client, second.tag, token) == token
    with time_machine.travel(days_after(START, 4), tick=False):
        user = await sign_up_with(client, db, token)
    referral = await referral_of(db, user.organization_id)
    assert referral is not None
    assert str(referral.affiliate_id) == second.id


async def test_a_sign_up_from_an_address_the_affiliate_logs_in_from_is_not_attributed(
    affiliate_client: httpx.AsyncClient, db: Database
) -> None:
    affiliate = await join(affiliate_client, db)
    token = await visit(affiliate_client, affiliate.tag)
    own = await sign_up_with(affiliate_client, db, token)
    assert await referral_of(db, own.organization_id) is None
