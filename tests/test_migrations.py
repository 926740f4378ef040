"""Migrations go up, down and up again on an empty database, and match the models."""

import os

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.db import async_url
from app.core.migrations import downgrade, upgrade
from app.models import metadata
from tests.conftest import fresh_database


async def _diff_and_tables(url: str) -> tuple[list, set[str]]:  # type: ignore[type-arg]
    engine = create_async_engine(async_url(url))
    async with engine.connect() as connection:

        def inspect_schema(sync_connection):  # type: ignore[no-untyped-def]
            context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
            tables = set(inspect(sync_connection).get_table_names()) - {"alembic_version"}
            return compare_metadata(context, metadata), tables

        result = await connection.run_sync(inspect_schema)
    await engine.dispose()
    return result


async def test_upgrade_downgrade_upgrade_and_no_drift(server_url: str) -> None:
    import asyncio

    url = await asyncio.to_thread(fresh_database, server_url, f"manager_migrations_{os.getpid()}")
    await asyncio.to_thread(upgrade, url)
    diff, tables = await _diff_and_tables(url)
    assert diff == [], f"models and migrations differ: {diff}"
    assert tables == set(metadata.tables)

    await asyncio.to_thread(downgrade, url)
    _, tables = await _diff_and_tables(url)
    assert tables == set()

    await asyncio.to_thread(upgrade, url)
    diff, _ = await _diff_and_tables(url)
    assert diff == []
