"""Drill ``backups``: the embedded default's backup and restore, end to end. `manager demo` fills
a fresh embedded database, `manager backup FILE` dumps it, `manager restore FILE` loads it into a
fresh data folder, and every table of the two is compared.

Rule: every table has the same row count and the same checksum (md5 of its rows in a fixed order)
in the copy as in the original; both embedded servers are stopped at the end.
"""

import asyncio
import os
import subprocess
import tempfile
from pathlib import Path

import asyncpg

from bench.ticketing import ROOT
from drills.database import database_url
from drills.processes import MANAGER, Embedded, processes_mentioning
from drills.report import Outcome

TABLES = """SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"""
FINGERPRINT = """SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))
                 FROM "{table}" t"""


async def _manager(data_dir: Path, *args: str, log: Path) -> None:
    """A `manager` command on the embedded server in ``data_dir`` (it starts and stops it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MANAGER_")} | {
        "MANAGER_DATA_DIR": str(data_dir),
        "MANAGER_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            str(MANAGER),
            *args,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        status = await process.wait()
    if status != 0:
        raise RuntimeError(f"manager {' '.join(args)} exited {status}: see {log}")


async def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and the md5 of its rows in text order."""
    connection = await asyncpg.connect(url)
    try:
        fingerprint = {}
        for row in await connection.fetch(TABLES):
            table = row["tablename"]
            found = await connection.fetchrow(FINGERPRINT.format(table=table))
            assert found is not None
            fingerprint[table] = (int(found[0]), str(found[1]))
        return fingerprint
    finally:
        await connection.close()


async def run(outcome: Outcome) -> None:
    with tempfile.TemporaryDirectory(prefix="drill-backups-") as folder:
        root = Path(folder)
        original, copy, dump = root / "original", root / "copy", root / "manager.dump"
        log = root / "manager.log"
        servers: list[Embedded] = []
        try:
            await _manager(original, "demo", log=log)
            await _manager(original, "backup", str(dump), log=log)
            await _manager(copy, "restore", str(dump), log=log)
            for data_dir in (original, copy):
                servers.append(await asyncio.to_thread(Embedded, data_dir / "postgres"))
            before, after = [
                await _fingerprint(database_url(server.server_url, "manager")) for server in servers
            ]
        finally:
            for server in servers:
                await asyncio.to_thread(server.remove)
            leftovers = processes_mentioning(folder)
        size = dump.stat().st_size if dump.exists() else 0
    rows = sum(count for count, _ in before.values())
    differ = sorted(table for table in before if before[table] != after.get(table))
    outcome.figure(f"{len(before)} tables, {rows} rows checked")
    outcome.figure(f"dump of {size / 1024:.0f} KiB")
    outcome.figure(f"{len(differ)} tables differ")
    outcome.expect(rows > 0, "the demo database is empty")
    outcome.expect(set(before) == set(after), "the copy has other tables")
    outcome.expect(not differ, f"differ: {differ[:5]}")
    outcome.expect(not leftovers, f"left running: pids {leftovers}")
