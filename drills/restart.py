"""Drill ``restart``: PostgreSQL stopped for 10 s and started again under load through two
`manager serve` processes.

Rule: during the outage every request answers 503 problem+json with Retry-After within 2 s (never a
500, never a hang) and /readyz says 503; afterwards the service recovers without a restart; every
acknowledged order and payment is in the database, and the invariants hold.
"""

import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from drills.database import check_invariants, scratch
from drills.load import Load, acknowledged_in_database, seed_shop
from drills.processes import Embedded, Fleet, processes_mentioning, ready, service_env
from drills.report import Outcome
from drills.scale import scale

MAX_503_SECONDS = 2.0


async def _readyz_during(url: str, stop: asyncio.Event) -> list[int]:
    """/readyz, twice a second, until ``stop``."""
    statuses = []
    async with httpx.AsyncClient(timeout=5) as client:
        while not stop.is_set():
            try:
                statuses.append((await client.get(f"{url}/readyz")).status_code)
            except httpx.HTTPError:
                statuses.append(0)
            await asyncio.sleep(0.5)
    return statuses


async def _first_success_after(load: Load, since: float, timeout: float = 30) -> float | None:
    """Seconds from ``since`` until an order is acknowledged again."""
    count = load.tally.acknowledged
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if load.tally.acknowledged > count:
            return time.monotonic() - since
        await asyncio.sleep(0.05)
    return None


async def run(outcome: Outcome) -> None:
    steps = scale()
    with tempfile.TemporaryDirectory(prefix="drill-restart-") as folder:
        root = Path(folder)
        server = await asyncio.to_thread(Embedded, root / "postgres")
        fleet = Fleet()
        try:
            async with scratch("manager_drill_restart", server.server_url) as url:
                env = service_env(url, root / "data", MANAGER_DB_POOL_TIMEOUT_SECONDS="1")
                a = fleet.service("serve-a", env, root)
                b = fleet.service("serve-b", env, root)
                await ready(a, b)
                shop = await seed_shop(a.url, url)
                load = Load([a.url, b.url], shop)
                running = asyncio.create_task(
                    load.run(steps.before_outage + steps.outage + steps.after_outage + 30)
                )
                await asyncio.sleep(steps.before_outage)
                await asyncio.to_thread(server.stop)
                readyz_stop = asyncio.Event()
                readyz = asyncio.create_task(_readyz_during(a.url, readyz_stop))
                await asyncio.sleep(steps.outage)
                readyz_stop.set()
                outage_readyz = await readyz
                await asyncio.to_thread(server.start)
                started_at = time.monotonic()
                recovered = await _first_success_after(load, started_at)
                await asyncio.sleep(steps.after_outage)
                load.stop.set()
                tally = await running
                missing = await acknowledged_in_database(url, tally)
                check = await check_invariants(url)
        finally:
            leftovers = fleet.stop_all()
            await asyncio.to_thread(server.remove)
            leftovers += [f"pid {pid}" for pid in processes_mentioning(folder)]
    outcome.figure(f"{tally.requests} requests")
    outcome.figure(f"{len(tally.errors)} errors")
    outcome.figure(f"{tally.unavailable} 503s (max {tally.slowest_503:.2f} s)")
    outcome.figure(f"recovered in {recovered:.1f} s" if recovered is not None else "not recovered")
    outcome.figure(f"{len(tally.orders)} orders and {len(tally.paid)} payments acknowledged")
    outcome.figure(f"{check.rows} rows checked")
    outcome.expect(not tally.errors, f"errors: {tally.errors[:3]}")
    outcome.expect(tally.unavailable > 0, "no 503 during the outage")
    outcome.expect(tally.slowest_503 <= MAX_503_SECONDS, "a 503 took over 2 s")
    outcome.expect(
        bool(outage_readyz) and all(status == 503 for status in outage_readyz[1:]),
        f"/readyz during the outage: {sorted(set(outage_readyz))}",
    )
    outcome.expect(recovered is not None, "no order acknowledged after the restart")
    outcome.expect(not missing, "; ".join(missing))
    outcome.expect(not check.broken, "; ".join(check.broken))
    outcome.expect(not leftovers, f"left running: {leftovers}")
