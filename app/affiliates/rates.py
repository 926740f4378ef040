"""The exchange-rate table staff maintain, and converting a commission with it.

A rate is in force from its ``valid_from`` day until the next one of the same pair; the inverse
pair is used (1 / rate) when only that one is known. Conversion rounds half up to the cent.
"""

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.affiliates.models import ExchangeRate
from app.affiliates.schemas import ExchangeRateWrite
from app.core import clock
from app.core.pagination import PageParams, decode_cursor, encode_cursor

ONE = Decimal(1)
RATE_PLACES = Decimal("0.00000001")


async def exchange_rate_page(
    session: AsyncSession, page: PageParams
) -> tuple[Sequence[ExchangeRate], str | None]:
    """One page of the table, the latest ``valid_from`` first (keyset on ``valid_from``, ``id``:
    the cursor carries the last row's day as midnight UTC)."""
    query = select(ExchangeRate)
    if page.cursor:
        after_day, after_id = decode_cursor(page.cursor)
        query = query.where(
            tuple_(ExchangeRate.valid_from, ExchangeRate.id) < tuple_(after_day.date(), after_id)
        )
    rows = list(
        await session.scalars(
            query.order_by(ExchangeRate.valid_from.desc(), ExchangeRate.id.desc()).limit(
                page.limit + 1
            )
        )
    )
    if len(rows) <= page.limit:
        return rows, None
    last = rows[page.limit - 1]
    return rows[: page.limit], encode_cursor(
        datetime.combine(last.valid_from, time(), tzinfo=UTC), last.id
    )


async def set_rate(session: AsyncSession, body: ExchangeRateWrite, *, by: Actor) -> ExchangeRate:
    """Adds (or corrects) the rate of a pair from a day."""
    now = clock.now()
    await session.execute(
        insert(ExchangeRate)
        .values(
            id=uuid.uuid4(),
            base=body.base,
            quote=body.quote,
            valid_from=body.valid_from,
            rate=body.rate,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["base", "quote", "valid_from"],
            set_={"rate": body.rate, "updated_at": now},
        )
    )
    row = await session.scalar(
        select(ExchangeRate)
        .where(
            ExchangeRate.base == body.base,
            ExchangeRate.quote == body.quote,
            ExchangeRate.valid_from == body.valid_from,
        )
        .execution_options(populate_existing=True)
    )
    assert row is not None
    await activity.record(
        session,
        by,
        "affiliate.exchange_rate_set",
        details={
            "pair": f"{body.base}/{body.quote}",
            "valid_from": body.valid_from.isoformat(),
            "rate": str(body.rate),
        },
    )
    return row


async def _latest(session: AsyncSession, base: str, quote: str, day: date) -> ExchangeRate | None:
    return await session.scalar(
        select(ExchangeRate)
        .where(
            ExchangeRate.base == base, ExchangeRate.quote == quote, ExchangeRate.valid_from <= day
        )
        .order_by(ExchangeRate.valid_from.desc())
        .limit(1)
    )


async def rate_on(session: AsyncSession, base: str, quote: str, day: date) -> Decimal | None:
    """1 ``base`` in ``quote`` on ``day`` (None when the table has no rate for the pair yet)."""
    if base == quote:
        return ONE
    direct = await _latest(session, base, quote, day)
    inverse = await _latest(session, quote, base, day)
    if direct is not None and (inverse is None or direct.valid_from >= inverse.valid_from):
        return Decimal(direct.rate)
    if inverse is not None:
        return (ONE / Decimal(inverse.rate)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    return None


def convert(amount_minor: int, rate: Decimal) -> int:
    """``amount_minor`` times ``rate``, rounded half up (away from zero) to the minor unit."""
    return int((Decimal(amount_minor) * rate).quantize(ONE, rounding=ROUND_HALF_UP))
