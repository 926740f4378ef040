"""Many rows written in one statement: inserted as given, updated and seen as updated."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import event, select

from app.core import bulk
from app.core.db import Database
from app.events.models import DomainEvent

AT = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


async def test_rows_are_inserted_in_one_statement_with_their_nulls_and_json(db: Database) -> None:
    organization_id = uuid.uuid4()
    rows = [
        {
            "id": uuid.uuid4(),
            "type": "order.reminded",
            "organization_id": organization_id if number % 2 else None,
            "data": f'{{"number": {number}, "name": "Zoë \\u00e9"}}',
            "created_at": AT,
        }
        for number in range(5)
    ]
    async with db.sessionmaker.begin() as session:
        statements: list[str] = []
        connection = await session.connection()
        listen = connection.sync_connection
        assert listen is not None
        event.listen(listen, "before_cursor_execute", lambda *args: statements.append(args[2]))
        await bulk.insert_rows(session, DomainEvent, rows, json_text=("data",))
        assert len(statements) == 1
        assert statements[0].startswith("INSERT INTO events_domain_events")

    async with db.sessionmaker() as session:
        stored = {
            row.id: row
            for row in await session.scalars(
                select(DomainEvent).where(DomainEvent.id.in_([r["id"] for r in rows]))
            )
        }
    assert [stored[r["id"]].data for r in rows] == [
        {"number": number, "name": "Zoë é"} for number in range(5)
    ]
    assert [stored[r["id"]].organization_id for r in rows] == [
        None,
        organization_id,
        None,
        organization_id,
        None,
    ]


async def test_updated_rows_read_as_written_and_are_not_written_again(db: Database) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    async with db.sessionmaker.begin() as session:
        await bulk.insert_rows(
            session,
            DomainEvent,
            [{"id": id, "type": "order.paid", "data": "{}", "created_at": AT} for id in ids],
            json_text=("data",),
        )
    async with db.sessionmaker.begin() as session:
        loaded = list(
            await session.scalars(
                select(DomainEvent).where(DomainEvent.id.in_(ids)).order_by(DomainEvent.id)
            )
        )
        await bulk.update_rows(
            session,
            DomainEvent,
            loaded,
            [{"type": f"order.{kind}"} for kind in ("expired", "reminded", "cancelled")],
        )
        assert [row.type for row in loaded] == [
            "order.expired",
            "order.reminded",
            "order.cancelled",
        ]
        assert not session.dirty
    async with db.sessionmaker() as session:
        types = await session.scalars(
            select(DomainEvent.type).where(DomainEvent.id.in_(ids)).order_by(DomainEvent.id)
        )
        assert list(types) == ["order.expired", "order.reminded", "order.cancelled"]
