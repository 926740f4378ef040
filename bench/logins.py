"""Logins per second: the real service (`manager serve`) under concurrent password logins.

Starts the service on loopback against a fresh database on a PostgreSQL server, creates confirmed
accounts, then logs in from many simulated client addresses (``X-Forwarded-For``, trusted from
loopback) so the per-IP limit does not apply, and reports logins/s with p50/p99 latency. Beside it,
the bare cost of one Argon2id verification with the configured parameters, on one core.

    .venv/bin/python bench/logins.py --server postgresql://postgres@127.0.0.1:5432/postgres
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from argon2 import PasswordHasher, Type

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery staple"


def argon2_verifications_per_second(seconds: float = 3.0) -> float:
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
    digest = hasher.hash(PASSWORD)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        hasher.verify(digest, PASSWORD)
        done += 1
    return done / (time.perf_counter() - started)


async def recreate(server: str, name: str) -> str:
    connection = await asyncpg.connect(server)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base, _, _ = server.rpartition("/")
    return f"{base}/{name}"


async def wait_ready(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the service did not become ready")


async def run(args: argparse.Namespace) -> None:
    url = await recreate(args.server, "manager_bench_logins")
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        await wait_ready(base)
        emails = [f"bench.{uuid.uuid4().hex[:10]}@example.org" for _ in range(args.accounts)]
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            for index, email in enumerate(emails):
                response = await client.post(
                    "/v1/accounts",
                    json={
                        "first_name": "B",
                        "last_name": "B",
                        "email": email,
                        "password": PASSWORD,
                    },
                    headers={"X-Forwarded-For": f"10.1.{index // 250}.{index % 250 + 1}"},
                )
                response.raise_for_status()
        connection = await asyncpg.connect(url)
        await connection.execute("UPDATE accounts SET email_confirmed_at = now()")
        await connection.close()

        latencies: list[float] = []
        deadline = time.perf_counter() + args.seconds
        counter = 0

        async def client_loop(worker: int) -> None:
            nonlocal counter
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                while time.perf_counter() < deadline:
                    counter += 1
                    email = emails[counter % len(emails)]
                    ip = f"10.2.{counter % 200}.{worker % 250 + 1}"
                    started = time.perf_counter()
                    response = await client.post(
                        "/v1/auth/login",
                        json={"email": email, "password": PASSWORD},
                        headers={"X-Forwarded-For": ip, "User-Agent": "bench"},
                    )
                    latencies.append(time.perf_counter() - started)
                    assert response.status_code == 200, response.text

        started = time.perf_counter()
        await asyncio.gather(*(client_loop(i) for i in range(args.connections)))
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(
            f"logins/s: {len(latencies) / elapsed:.1f}  ({len(latencies)} in {elapsed:.1f} s, "
            f"{args.connections} connections, {args.workers} workers)"
        )
        print(
            f"latency p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        f"argon2id m=19456 KiB t=2 p=1 verifications/s on one core: "
        f"{argon2_verifications_per_second():.1f}"
    )


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
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
