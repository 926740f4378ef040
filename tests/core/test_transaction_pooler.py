"""Behind a pool in transaction mode (PgBouncer), the service sends no session setting when it
connects (PgBouncer refuses ``statement_timeout`` there), keeps no prepared statement across uses,
and still cancels a statement over the timeout: it is set in each transaction."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database


async def test_the_statement_timeout_is_set_in_each_transaction_behind_a_pooler(
    database_url: str,
) -> None:
    database = Database.connect(database_url, statement_timeout_ms=200, transaction_pooler=True)
    try:
        async with database.engine.connect() as connection:
            assert (await connection.scalar(text("SHOW statement_timeout"))) == "200ms"
            with pytest.raises(DBAPIError, match="statement timeout"):
                await connection.execute(text("SELECT pg_sleep(2)"))
        async with database.engine.connect() as connection:  # the next transaction too
            assert (await connection.scalar(text("SHOW statement_timeout"))) == "200ms"
    finally:
        await database.dispose()


async def test_no_session_setting_is_sent_when_connecting_behind_a_pooler(
    database_url: str,
) -> None:
    database = Database.connect(database_url, statement_timeout_ms=200, transaction_pooler=True)
    try:
        async with database.engine.connect() as connection:
            # The value the session started with: the server's default, nothing from the client.
            started_with = await connection.scalar(
                text("SELECT reset_val FROM pg_settings WHERE name = 'statement_timeout'")
            )
            assert started_with == "0"
            for _ in range(3):  # the same statement again: no name clash, nothing cached
                assert (await connection.scalar(text("SELECT 1"))) == 1
    finally:
        await database.dispose()
