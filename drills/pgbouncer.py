"""Drill ``pgbouncer``: Debian's PgBouncer in transaction mode, started by the drill in front of
the local PostgreSQL, carrying the test suite's HTTP journeys and the real service.

Rule: with ``MANAGER_DB_TRANSACTION_POOLER=true`` (asyncpg's prepared statements made safe for a
pool in transaction mode, the statement timeout set per transaction) the journeys pass as they do
on PostgreSQL itself, and the statement timeout still cancels a slow statement; PgBouncer is
stopped at the end, whatever happened.
"""

import asyncio
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from app.core.db import Database
from bench.ticketing import LOOPBACK, ROOT, free_port
from drills.database import SERVER_URL, database_url, scratch
from drills.load import Load, acknowledged_in_database, seed_shop
from drills.processes import Fleet, kill_group, processes_mentioning, ready, service_env
from drills.report import Outcome
from drills.scale import scale

JOURNEYS = (
    "tests/accounts/test_login.py",
    "tests/accounts/test_two_factor.py",
    "tests/organizations/test_members.py",
    "tests/ticketing/test_orders.py",
    "tests/ticketing/test_invoice_orders.py",
    "tests/billing/test_ordering.py",
    "tests/core/test_idempotency.py",
)
"""Test files whose tests drive the API over HTTP (the ASGI client) through whole journeys."""
SHORT_JOURNEYS = JOURNEYS[:4]
RUN_AS = "postgres"
"""PgBouncer refuses to run as root: it switches to this user (Debian's PostgreSQL user)."""


class PgBouncer:
    """``pgbouncer`` on a free loopback port, in transaction mode, in front of ``server_url``."""

    def __init__(self, folder: Path, server_url: str) -> None:
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(binary).exists():
            raise RuntimeError("pgbouncer is missing: apt-get install pgbouncer")
        server = urlsplit(server_url)
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "userlist.txt").write_text(f'"{server.username or "postgres"}" ""\n')
        config = folder / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={server.hostname} port={server.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = {LOOPBACK}\n"
            f"listen_port = {self.port}\n"
            f"unix_socket_dir = {folder}\n"
            "auth_type = trust\n"
            f"auth_file = {folder / 'userlist.txt'}\n"
            "pool_mode = transaction\n"
            "max_client_conn = 500\n"
            "default_pool_size = 20\n"
            "server_reset_query =\n"
            "ignore_startup_parameters = extra_float_digits\n"
            f"logfile = {folder / 'pgbouncer.log'}\n"
        )
        user = pwd.getpwnam(RUN_AS)
        for path in (folder, *folder.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        command = [binary, *(["-u", RUN_AS] if os.geteuid() == 0 else []), str(config)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=(folder / "stderr.log").open("wb"),
            start_new_session=True,
        )
        self.url = f"postgresql://{server.username or 'postgres'}@{LOOPBACK}:{self.port}/postgres"

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: see {self.folder}")
            try:
                connection = await asyncpg.connect(self.url, statement_cache_size=0)
            except OSError:
                await asyncio.sleep(0.2)
                continue
            await connection.close()
            return
        raise RuntimeError("pgbouncer did not accept connections")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # safe shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_group(self.process.pid)
                self.process.wait(timeout=10)
        kill_group(self.process.pid)


async def _journeys(bouncer: PgBouncer, files: tuple[str, ...], log: Path) -> tuple[int, str]:
    """The test files through PgBouncer, in one process; (exit status, pytest's last line)."""
    env = os.environ | {
        "MANAGER_TEST_DATABASE_URL": bouncer.url,
        "MANAGER_DB_TRANSACTION_POOLER": "true",
    }
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-n",
            "0",
            *files,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status = await process.wait()
        finally:
            if process.returncode is None:
                kill_group(process.pid)
                await process.wait()
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    return status, lines[-1] if lines else ""


async def _statement_timeout_holds(url: str) -> bool:
    """A slow statement through PgBouncer is cancelled by the per-transaction timeout."""
    database = Database.connect(url, statement_timeout_ms=300, transaction_pooler=True)
    try:
        async with database.engine.connect() as connection:
            from sqlalchemy import text

            await connection.execute(text("SELECT pg_sleep(2)"))
    except Exception as error:
        return "statement timeout" in str(error)
    finally:
        await database.dispose()
    return False


async def run(outcome: Outcome) -> None:
    steps = scale()
    files = SHORT_JOURNEYS if steps.name == "short" else JOURNEYS
    with tempfile.TemporaryDirectory(prefix="drill-pgbouncer-") as folder:
        root = Path(folder)
        root.chmod(0o755)  # PgBouncer runs as another user and reads its folder inside
        bouncer = PgBouncer(root / "pgbouncer", SERVER_URL)
        fleet = Fleet()
        try:
            await bouncer.wait_ready()
            status, summary = await _journeys(bouncer, files, root / "pytest.log")
            if status != 0:
                print((root / "pytest.log").read_text()[-5000:], file=sys.stderr)
            async with scratch("manager_drill_pgbouncer") as direct:
                through = database_url(bouncer.url, "manager_drill_pgbouncer")
                timeout_holds = await _statement_timeout_holds(through)
                env = service_env(through, root / "data", MANAGER_DB_TRANSACTION_POOLER="true")
                a = fleet.service("serve-a", env, root)
                b = fleet.service("serve-b", env, root)
                await ready(a, b)
                shop = await seed_shop(a.url, direct)
                tally = await Load([a.url, b.url], shop).run(steps.kill_load * 2)
                missing = await acknowledged_in_database(direct, tally)
        finally:
            leftovers = fleet.stop_all()
            bouncer.stop()
            leftovers += [f"pid {pid}" for pid in processes_mentioning(folder)]
    outcome.figure(f"{len(files)} test files: {summary}")
    outcome.figure(f"{tally.requests} requests through 2 replicas")
    outcome.figure(f"{len(tally.errors)} errors")
    outcome.figure(f"{len(tally.orders)} orders acknowledged")
    outcome.expect(status == 0, "the journeys failed through PgBouncer")
    outcome.expect(timeout_holds, "the statement timeout did not cancel a slow statement")
    outcome.expect(not tally.errors, f"errors: {tally.errors[:3]}")
    outcome.expect(not missing, "; ".join(missing))
    outcome.expect(not leftovers, f"left running: {leftovers}")
