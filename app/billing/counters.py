"""Gapless counters (invoice and credit-note numbers)."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.billing.models import Counter


async def next_value(session: AsyncSession, name: str) -> int:
    """The next number of ``name``, starting at 1. The row stays locked until the transaction
    ends, so numbers are handed out in commit order without gaps (a rolled-back transaction
    gives its number back)."""
    statement = (
        insert(Counter)
        .values(name=name, value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    value = await session.scalar(statement)
    assert value is not None
    return int(value)
