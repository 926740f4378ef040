"""Logins per second: the real service (`manager serve`) under concurrent password logins.

Starts the service on loopback against a fresh database on a PostgreSQL server, creates confirmed
accounts, then logs in from many simulated client addresses (``X-Forwarded-For``, trusted from
loopback) so the per-IP limit does not apply, and reports logins/s with p50/p99 latency for each
of ``--runs`` windows and their median. Then, with the service stopped, the cost of one Argon2id
verification with the service's own parameters on one core, and the Argon2id limit: cores ÷ that
cost, the most password logins per second the machine could verify; the ratio of the median to
the limit is the figure to watch.

The logins go over plain keep-alive HTTP/1.1 connections written here (a request is one write, a
response is read by its Content-Length): the client shares the cores with the service, and a
full HTTP client library would spend several milliseconds of them per login. Beside each window,
the CPU time per login of the service's processes (their event loops, and their other threads:
mostly Argon2id) and of this client, read from /proc, show where the cores went even when other
work shares the machine.

    .venv/bin/python bench/logins.py --server postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

from app.core.security.passwords import hasher

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"
DATABASE = "manager_bench_logins"


@dataclass(frozen=True)
class Window:
    logins: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu: "Cpu"

    @property
    def rate(self) -> float:
        return self.logins / self.seconds


@dataclass(frozen=True)
class Cpu:
    """CPU seconds spent so far: the service's event loops (each worker's main thread), its other
    threads, the PostgreSQL backends serving it, and this client."""

    loops: float = 0.0
    threads: float = 0.0
    postgres: float = 0.0
    client: float = 0.0

    def __sub__(self, other: "Cpu") -> "Cpu":
        return Cpu(
            self.loops - other.loops,
            self.threads - other.threads,
            self.postgres - other.postgres,
            self.client - other.client,
        )

    def per_login(self, logins: int) -> str:
        ms = 1000 / max(logins, 1)
        return (
            f"CPU ms per login: service loops {self.loops * ms:.1f}, service threads "
            f"{self.threads * ms:.1f}, PostgreSQL {self.postgres * ms:.1f}, client "
            f"{self.client * ms:.1f}"
        )


def _cpu_seconds(stat: Path) -> float:
    """utime + stime of a /proc …/stat file (0 when the process or thread is gone)."""
    try:
        fields = stat.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _processes(root: int) -> list[int]:
    """``root`` and its descendants (Linux)."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                pending += [int(child) for child in (task / "children").read_text().split()]
    return found


def cpu_now(server: int, backends: list[int]) -> Cpu:
    if not Path("/proc/self/stat").exists():
        return Cpu(client=time.process_time())
    loops = threads = 0.0
    for pid in _processes(server):
        for task in Path(f"/proc/{pid}/task").glob("*"):
            seconds = _cpu_seconds(task / "stat")
            if task.name == str(pid):
                loops += seconds
            else:
                threads += seconds
    postgres = sum(_cpu_seconds(Path(f"/proc/{pid}/stat")) for pid in backends)
    return Cpu(loops, threads, postgres, time.process_time())


class HttpConnection:
    """One keep-alive HTTP/1.1 connection: a request is one write, a response is read whole."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post_json(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n{head}\r\n".encode()
            + body
        )
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        }
        payload = await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


def argon2_verification_seconds(seconds: float = 3.0) -> float:
    """The median cost of one verification with the service's parameters, on this core."""
    digest = hasher().hash(PASSWORD)
    costs: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        hasher().verify(digest, PASSWORD)
        costs.append(time.perf_counter() - started)
    return statistics.median(costs)


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


async def recreate(server: str, name: str) -> str:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}"


async def drop(server: str, name: str) -> None:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


READY_SECONDS = 300  # starting the app's workers takes long on a loaded machine


async def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_SECONDS
    async with httpx.AsyncClient(base_url=base) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("the service exited before it was ready")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the service was not ready after {READY_SECONDS} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # uvicorn stops its workers gracefully
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # whatever of the group is left
    process.wait(timeout=10)


async def sign_up(base: str, count: int) -> list[str]:
    emails = [f"bench.{uuid.uuid4().hex[:10]}@example.org" for _ in range(count)]
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        for index, email in enumerate(emails):
            response = await client.post(
                "/v1/accounts",
                json={"first_name": "B", "last_name": "B", "email": email, "password": PASSWORD},
                headers={"X-Forwarded-For": f"10.1.{index // 250}.{index % 250 + 1}"},
            )
            response.raise_for_status()
    return emails


async def measure(
    port: int, emails: list[str], args: argparse.Namespace, run: int, cpu: Callable[[], Cpu]
) -> Window:
    latencies: list[float] = []
    deadline = time.perf_counter() + args.seconds
    counter = 0

    async def client_loop(worker: int) -> None:
        nonlocal counter
        connection = HttpConnection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                counter += 1
                body = json.dumps({"email": emails[counter % len(emails)], "password": PASSWORD})
                # a fresh address block per run: each address stays under the per-IP limit
                ip = f"10.{2 + run}.{counter % 200}.{worker % 250 + 1}"
                started = time.perf_counter()
                status, payload = await connection.post_json(
                    "/v1/auth/login",
                    body.encode(),
                    {"X-Forwarded-For": ip, "User-Agent": "bench"},
                )
                latencies.append(time.perf_counter() - started)
                assert status == 200, payload
                assert b'"authenticated"' in payload, payload
        finally:
            await connection.close()

    before = cpu()
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(i) for i in range(args.connections)))
    elapsed = time.perf_counter() - started
    spent = cpu() - before
    latencies.sort()
    return Window(
        logins=len(latencies),
        seconds=elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        cpu=spent,
    )


async def run(args: argparse.Namespace) -> None:
    url = await recreate(args.server, DATABASE)
    env = os.environ | {
        "MANAGER_DATABASE_URL": url,
        "MANAGER_LOG_LEVEL": "WARNING",
        "MANAGER_RUN_WORKER_IN_PROCESS": "false",
    }
    subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = Path(tempfile.gettempdir()) / f"bench-logins-{os.getpid()}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from app.cli import main; main()",
                "serve",
                "--port",
                str(args.port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{args.port}"
    windows: list[Window] = []
    try:
        await wait_ready(base, server)
        emails = await sign_up(base, args.accounts)
        connection = await asyncpg.connect(url)
        await connection.execute("UPDATE accounts SET email_confirmed_at = now()")
        warm = argparse.Namespace(seconds=2, connections=args.connections)
        await measure(args.port, emails, warm, args.runs, lambda: Cpu())  # pools, statements
        backends = [
            row["pid"]
            for row in await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                DATABASE,
            )
        ]
        await connection.close()
        for index in range(args.runs):
            window = await measure(
                args.port, emails, args, index, lambda: cpu_now(server.pid, backends)
            )
            windows.append(window)
            print(
                f"run {index + 1}: {window.rate:.1f} logins/s ({window.logins} in "
                f"{window.seconds:.1f} s), p50 {window.p50_ms:.0f} ms, p99 {window.p99_ms:.0f} ms"
                f", load average {os.getloadavg()[0]:.2f}; {window.cpu.per_login(window.logins)}",
                flush=True,
            )
    finally:
        stop(server)
        await drop(args.server, DATABASE)
    rate = statistics.median(window.rate for window in windows)
    print(
        f"logins/s: {rate:.1f}, p50 {statistics.median(w.p50_ms for w in windows):.0f} ms, "
        f"p99 {statistics.median(w.p99_ms for w in windows):.0f} ms (median of {len(windows)} "
        f"runs of {args.seconds:.0f} s, {args.connections} connections, {args.workers} workers)"
    )
    cost = argon2_verification_seconds()
    parameters = hasher()
    limit = cores() / cost
    print(
        f"argon2id m={parameters.memory_cost} KiB t={parameters.time_cost} "
        f"p={parameters.parallelism}: one verification {cost * 1000:.1f} ms on one core; "
        f"limit on {cores()} cores {limit:.1f} logins/s"
    )
    print(f"logins/s ÷ Argon2id limit: {rate / limit:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="A PostgreSQL server URL (its maintenance database).",
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--runs", type=int, default=3, help="Measured windows (median printed).")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
