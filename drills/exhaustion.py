"""Drill ``exhaustion``: the connection pool exhausted by statements held open (a row lock the
drill holds makes the service's orders wait on it).

Rule: with every pooled connection busy, a new request answers 503 within the pool timeout
(``MANAGER_DB_POOL_TIMEOUT_SECONDS``) instead of queueing without bound, /readyz says 503, the
statements held open are cancelled by ``MANAGER_DB_STATEMENT_TIMEOUT_MS`` (503 too), none of them
leaves a change, and once the lock is gone the service answers as before.
"""

import asyncio
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from drills.database import check_invariants, scratch
from drills.load import Tally, invoice_order, seed_shop
from drills.processes import Fleet, processes_mentioning, ready, service_env
from drills.report import Outcome

POOL = 3
POOL_TIMEOUT = 1.0
STATEMENT_TIMEOUT = 4.0
HELD = 8
"""Orders sent while the lock is held: more than the pool has connections."""


async def _timed(
    client: httpx.AsyncClient, tally: Tally, method: str, url: str, **kwargs: object
) -> tuple[httpx.Response | None, float]:
    started = time.monotonic()
    try:
        response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as error:
        tally.note(None, time.monotonic() - started, f"{type(error).__name__}: {error}")
        return None, time.monotonic() - started
    tally.note(response, time.monotonic() - started)
    return response, time.monotonic() - started


async def run(outcome: Outcome) -> None:
    with tempfile.TemporaryDirectory(prefix="drill-exhaustion-") as folder:
        root = Path(folder)
        fleet = Fleet()
        try:
            async with scratch("manager_drill_exhaustion") as url:
                env = service_env(
                    url,
                    root / "data",
                    MANAGER_DB_POOL_SIZE=str(POOL),
                    MANAGER_DB_MAX_OVERFLOW="0",
                    MANAGER_DB_POOL_TIMEOUT_SECONDS=str(POOL_TIMEOUT),
                    MANAGER_DB_STATEMENT_TIMEOUT_MS=str(int(STATEMENT_TIMEOUT * 1000)),
                )
                service = fleet.service("serve", env, root)
                await ready(service)
                shop = await seed_shop(service.url, url)
                orders_path = f"{service.url}{shop.office_path}/events/{shop.event_id}/orders"
                tally = Tally()
                held = await asyncpg.connect(url)
                async with httpx.AsyncClient(timeout=30, headers=shop.headers) as client:
                    try:
                        lock = held.transaction()
                        await lock.start()
                        await held.execute(
                            "SELECT 1 FROM ticketing_performances WHERE id = $1 FOR UPDATE",
                            shop.performance_id,
                        )
                        orders = [
                            asyncio.create_task(
                                _timed(client, tally, "POST", orders_path, json=invoice_order(shop))
                            )
                            for _ in range(HELD)
                        ]
                        await asyncio.sleep(0.5)  # the orders now hold every connection
                        plans, plans_took = await _timed(
                            client, tally, "GET", f"{service.url}/v1/catalog/plans"
                        )
                        readyz = await client.get(f"{service.url}/readyz")  # a probe's answer
                        answered = await asyncio.gather(*orders)
                    finally:
                        await lock.rollback()
                        await held.close()
                    after, _ = await _timed(
                        client, tally, "POST", orders_path, json=invoice_order(shop)
                    )
                connection = await asyncpg.connect(url)
                try:
                    placed = await connection.fetchval("SELECT count(*) FROM ticketing_orders")
                finally:
                    await connection.close()
                check = await check_invariants(url)
        finally:
            leftovers = fleet.stop_all()
            leftovers += [f"pid {pid}" for pid in processes_mentioning(folder)]
    statuses = [r.status_code if r else 0 for r, _ in answered]
    slowest = max(took for _, took in answered)
    fast_503s = [took for r, took in answered if r is not None and took < STATEMENT_TIMEOUT - 1]
    outcome.figure(f"{tally.requests} requests")
    outcome.figure(f"{len(tally.errors)} errors")
    outcome.figure(f"{tally.unavailable} 503s")
    outcome.figure(
        f"pool wait answered 503 in {max(fast_503s, default=0):.2f} s (timeout {POOL_TIMEOUT} s)"
    )
    outcome.figure(f"held statements cancelled at {slowest:.1f} s (timeout {STATEMENT_TIMEOUT} s)")
    outcome.figure(f"{check.rows} rows checked")
    outcome.expect(not tally.errors, f"errors: {tally.errors[:3]}")
    outcome.expect(all(status == 503 for status in statuses), f"held orders: {statuses}")
    outcome.expect(
        plans is not None and plans.status_code == 503 and plans_took < POOL_TIMEOUT + 1,
        "a request while the pool was exhausted did not get a quick 503",
    )
    outcome.expect(readyz.status_code == 503, "/readyz did not say 503")
    outcome.expect(
        len(fast_503s) >= HELD - POOL, "the orders beyond the pool did not get a quick 503"
    )
    outcome.expect(slowest < STATEMENT_TIMEOUT + 2, "a held statement outlived its timeout")
    outcome.expect(after is not None and after.status_code == 201, "no recovery after the lock")
    outcome.expect(placed == 1, f"{placed} orders in the database, 1 acknowledged")
    outcome.expect(not check.broken, "; ".join(check.broken))
    outcome.expect(not leftovers, f"left running: {leftovers}")
