"""Drill ``soak``: mixed traffic at a steady rate for ten minutes through two `manager serve`
processes, with a `manager worker` sending the mail the orders make.

Rule: no error; the p99 of the last minute is within twice that of the first minute after the
warm-up (or under 0.5 s); each process's memory grows less than 10 % after the warm-up; the number
of the database's connections stays within a small band.
"""

import asyncio
import contextlib
import itertools
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from drills.database import check_invariants, scratch
from drills.load import REQUEST_TIMEOUT, Tally, invoice_order, seed_shop
from drills.processes import (
    Fleet,
    Server,
    Worker,
    group_members,
    processes_mentioning,
    ready,
    rss_bytes,
    service_env,
)
from drills.report import Outcome
from drills.scale import scale
from drills.shop import Shop

RATE = 8.0
"""Requests per second, whatever the answers' latency (each request is its own task)."""
SAMPLE_SECONDS = 5.0
MAX_GROWTH = 0.10
CONNECTION_BAND = 6


@dataclass
class Samples:
    memory: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    connections: list[tuple[float, int]] = field(default_factory=list)


def _memory(process: Server | Worker) -> int:
    return sum(rss_bytes(pid) for pid in group_members(process.process.pid))


async def _sample(
    processes: list[Server | Worker], url: str, samples: Samples, stop: asyncio.Event
) -> None:
    connection = await asyncpg.connect(url)
    try:
        while not stop.is_set():
            now = time.monotonic()
            for process in processes:
                samples.memory.setdefault(process.name, []).append((now, _memory(process)))
            count = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            samples.connections.append((now, int(count)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), SAMPLE_SECONDS)
    finally:
        await connection.close()


async def _traffic(urls: list[str], shop: Shop, seconds: float, tally: Tally) -> list[float]:
    """Requests at ``RATE`` per second: place (on invoice), pay, list orders, read the catalog.
    Returns each request's start time (matching ``tally.latencies``)."""
    starts: list[float] = []
    unpaid: list[str] = []
    targets = itertools.cycle(urls)
    kinds = itertools.cycle(("place", "list", "place", "pay", "catalog"))
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(
        timeout=REQUEST_TIMEOUT, headers=shop.headers, limits=limits
    ) as client:

        async def one(kind: str, base: str) -> None:
            started = time.monotonic()
            office = f"{base}{shop.office_path}"
            try:
                if kind == "place":
                    path = f"{office}/events/{shop.event_id}/orders"
                    response = await client.post(path, json=invoice_order(shop))
                    if response.status_code == 201:
                        unpaid.append(response.json()["id"])
                        tally.orders[response.json()["id"]] = 1
                elif kind == "pay" and unpaid:
                    order_id = unpaid.pop(0)
                    path = f"{office}/orders/{order_id}/mark-paid"
                    response = await client.post(path, json={})
                    if response.is_success:
                        tally.paid.add(order_id)
                elif kind == "list" or kind == "pay":
                    response = await client.get(f"{office}/orders?limit=20")
                else:
                    response = await client.get(f"{base}/v1/catalog/plans")
            except httpx.HTTPError as error:
                starts.append(started)
                tally.note(None, time.monotonic() - started, f"{type(error).__name__}: {error}")
                return
            starts.append(started)
            tally.note(response, time.monotonic() - started)

        tasks = set()
        begin = time.monotonic()
        for index in itertools.count():
            at = begin + index / RATE
            if at - begin >= seconds:
                break
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            task = asyncio.create_task(one(next(kinds), next(targets)))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
    return starts


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else 0.0


async def run(outcome: Outcome) -> None:
    steps = scale()
    with tempfile.TemporaryDirectory(prefix="drill-soak-") as folder:
        root = Path(folder)
        fleet = Fleet()
        try:
            async with scratch("manager_drill_soak") as url:
                env = service_env(url, root / "data")
                a = fleet.service("serve-a", env, root)
                b = fleet.service("serve-b", env, root)
                worker = fleet.worker("worker", env, root)
                await ready(a, b)
                shop = await seed_shop(a.url, url)
                samples, stop, tally = Samples(), asyncio.Event(), Tally()
                sampler = asyncio.create_task(_sample([a, b, worker], url, samples, stop))
                begin = time.monotonic()
                starts = await _traffic([a.url, b.url], shop, steps.soak, tally)
                stop.set()
                await sampler
                check = await check_invariants(url)
        finally:
            leftovers = fleet.stop_all()
            leftovers += [f"pid {pid}" for pid in processes_mentioning(folder)]
    warm = begin + steps.soak_warmup
    window = min(60.0, (steps.soak - steps.soak_warmup) / 2)
    timed = list(zip(starts, tally.latencies, strict=True))
    first = _p99([lat for at, lat in timed if warm <= at < warm + window])
    last = _p99([lat for at, lat in timed if at >= begin + steps.soak - window])
    growth = {}
    for name, series in samples.memory.items():
        after = [rss for at, rss in series if at >= warm]
        if after and after[0]:
            growth[name] = (after[-1] - after[0]) / after[0]
    counts = [count for at, count in samples.connections if at >= warm]
    worst = max(growth.values(), default=0.0)
    outcome.figure(f"{tally.requests} requests in {steps.soak:.0f} s")
    outcome.figure(f"{len(tally.errors)} errors")
    outcome.figure(f"p99 {first * 1000:.0f} ms then {last * 1000:.0f} ms")
    outcome.figure(
        "memory growth " + ", ".join(f"{name} {value:+.1%}" for name, value in growth.items())
    )
    outcome.figure(f"connections {min(counts, default=0)}-{max(counts, default=0)}")
    outcome.figure(f"{check.rows} rows checked")
    outcome.expect(not tally.errors, f"errors: {tally.errors[:3]}")
    outcome.expect(last <= max(2 * first, 0.5), "the p99 grew")
    outcome.expect(worst < MAX_GROWTH, f"memory grew by {worst:.1%}")
    outcome.expect(
        bool(counts) and max(counts) - min(counts) <= CONNECTION_BAND,
        "the number of connections drifted",
    )
    outcome.expect(not check.broken, "; ".join(check.broken))
    outcome.expect(not leftovers, f"left running: {leftovers}")
