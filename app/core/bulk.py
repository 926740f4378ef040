"""Writing many rows in one statement, for the batch jobs (a sweep's orders, mails, events).

``insert_rows`` and ``update_rows`` send one statement with an array per column, joined by the
server (``unnest``), whatever the number of rows: the statement is the same for every batch
(compiled and prepared once), no per-row work is left to SQLAlchemy, and the server inserts or
updates the rows as one set. Rows are given whole: an INSERT runs no Python-side column default
(give ``id`` and ``created_at``); columns left out take their server default.
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, Text, bindparam, column, func, select, update
from sqlalchemy import cast as cast_to
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.functions import Function


async def insert_rows(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    *,
    json_text: Collection[str] = (),
    skip_conflicts_on: Sequence[str] = (),
) -> None:
    """Inserts ``rows`` (the same columns in each) into ``model``'s table in one INSERT.

    ``json_text``: JSON columns whose values are given serialized already (e.g. by pydantic's
    ``model_dump_json``), sent as text and read as JSON by the server. ``skip_conflicts_on``: the
    columns of a unique index; a row that would repeat one already stored is left out."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    names = list(rows[0])
    source = _unnest(table, {name: [row[name] for row in rows] for name in names}, text=json_text)
    columns = [
        cast_to(source.c[name], table.c[name].type) if name in json_text else source.c[name]
        for name in names
    ]
    statement = pg_insert(table).from_select(names, select(*columns))
    if skip_conflicts_on:
        statement = statement.on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    await session.execute(statement)


async def update_rows(
    session: AsyncSession,
    model: type[DeclarativeBase],
    rows: Sequence[Any],
    values: Sequence[Mapping[str, Any]],
) -> None:
    """Sets, on each of ``rows`` (loaded ``model`` objects), its ``values`` (one mapping per row,
    the same columns in each), in one UPDATE. The objects take the values written as their loaded
    state: the session does not write them again, and what reads them sees them."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    names = list(values[0])
    columns = {name: [changed[name] for changed in values] for name in names}
    source = _unnest(table, {"id": [row.id for row in rows]} | columns)
    await session.execute(
        update(table)
        .where(table.c.id == source.c.id)
        .values({name: source.c[name] for name in names})
    )
    for row, changed in zip(rows, values, strict=True):
        for name, value in changed.items():
            set_committed_value(row, name, value)


def _unnest(
    table: Table, columns: dict[str, list[Any]], *, text: Collection[str] = frozenset()
) -> Any:
    """``unnest(:a, :b, …) AS batch(a, b, …)``: one array parameter per column of ``table``
    (of text for the columns in ``text``)."""
    types = {name: Text() if name in text else table.c[name].type for name in columns}
    arrays: list[Any] = [
        bindparam(f"batch_{name}", values, type_=ARRAY(types[name]))
        for name, values in columns.items()
    ]
    unnest: Function[Any] = func.unnest(*arrays)
    return unnest.table_valued(
        *(column(name, types[name]) for name in columns), name="batch"
    ).render_derived()
