"""What one request of each hot path costs: the SQL statements it sends, and its CPU time.

The service runs in this process (uvicorn, one worker) against a scratch database; requests are
sent one at a time, so every statement logged between a request's start and its answer is that
request's own. Each asyncpg connection gets a query logger, so BEGIN, COMMIT and a pool's
pre-ping are counted alongside the ORM's statements. CPU time is this process's (server and
client together: ``GET /healthz`` is printed as the floor), so it does not move with the load of
other processes the way a throughput figure does.

    .venv/bin/python bench/statements.py                 # statements and CPU ms per operation
    .venv/bin/python bench/statements.py --requests 300 --profile "list orders"   # cProfile
"""

import argparse
import asyncio
import contextlib
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.core.migrations import upgrade
from bench.ticketing import (
    PAID_SCHEDULE,
    SCAN_PREFIX,
    Shop,
    free_port,
    open_shop,
    order_body,
    scratch_database,
    seed_orders,
    sell_through_api,
)

OPERATIONS = ("list orders", "read order", "place order", "scan ticket")
LOGGED: list[str] = []
_IN_CURSOR: list[bool] = [False]


def _log_driver_queries(dbapi_connection: Any, _record: Any) -> None:
    """What asyncpg sends outside SQLAlchemy's cursors: BEGIN, COMMIT, ROLLBACK, pre-pings."""

    def log(query: Any) -> None:
        # Inside a cursor's execution only the BEGIN it starts with is asyncpg's own.
        if not _IN_CURSOR[0] or query.query.startswith("BEGIN"):
            LOGGED.append(query.query)

    dbapi_connection.driver_connection.add_query_logger(log)


def _before_cursor(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
    LOGGED.append(statement)
    _IN_CURSOR[0] = True


def _after_cursor(*_: Any) -> None:
    _IN_CURSOR[0] = False


def requests_of(
    client: httpx.AsyncClient, shop: Shop, order_id: str
) -> dict[str, Callable[[int], httpx.Request]]:
    """Each operation's i-th request."""
    base = f"{shop.office_path}"
    body = order_body(shop, shop.sale_performance_id)
    return {
        "healthz": lambda i: client.build_request("GET", "/healthz"),
        "list orders": lambda i: client.build_request(
            "GET", f"{base}/orders?limit=20", headers=shop.headers
        ),
        "read order": lambda i: client.build_request(
            "GET", f"{base}/orders/{order_id}", headers=shop.headers
        ),
        "place order": lambda i: client.build_request(
            "POST", f"{base}/events/{shop.event_id}/orders", json=body, headers=shop.headers
        ),
        "scan ticket": lambda i: client.build_request(
            "POST",
            f"{base}/scans",
            json={
                "performance_id": shop.scan_performance_id,
                "ticket_number": f"{SCAN_PREFIX}{i + 1:08d}",
            },
            headers=shop.headers,
        ),
    }


def one_line(sql: str) -> str:
    return " ".join(sql.split())


async def measure(
    client: httpx.AsyncClient, build: Callable[[int], httpx.Request], count: int
) -> tuple[float, list[list[str]]]:
    """The median CPU ms of ``count`` requests, and each request's statements."""
    cpu: list[float] = []
    statements: list[list[str]] = []
    for i in range(count):
        request = build(i)
        LOGGED.clear()
        started = time.process_time()
        response = await client.send(request)
        cpu.append((time.process_time() - started) * 1000)
        if response.status_code >= 300:
            raise RuntimeError(f"{request.url}: {response.status_code} {response.text}")
        statements.append(list(LOGGED))
    return statistics.median(cpu), statements


async def main(args: argparse.Namespace) -> None:
    event.listen(Pool, "connect", _log_driver_queries)
    event.listen(Engine, "before_cursor_execute", _before_cursor)
    event.listen(Engine, "after_cursor_execute", _after_cursor)
    name = f"manager_statements_{os.getpid()}"
    with tempfile.TemporaryDirectory() as directory:
        scratch = await scratch_database(args, name, Path(directory))
        server_task = None
        try:
            await asyncio.to_thread(upgrade, scratch.url)
            os.environ |= {
                "MANAGER_DATABASE_URL": scratch.url,
                "MANAGER_ENVIRONMENT": "development",
                "MANAGER_LOG_LEVEL": "WARNING",
                "MANAGER_RUN_WORKER_IN_PROCESS": "false",
            }
            from app.main import create_app

            port = free_port()
            server = uvicorn.Server(
                uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
            )
            server_task = asyncio.create_task(server.serve())
            url = f"http://127.0.0.1:{port}"
            while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
                await asyncio.sleep(0.05)
            db = await asyncpg.connect(scratch.url)
            try:
                shop = await open_shop(url, db)
                await sell_through_api(url, shop, 30, parallel=1)
                await seed_orders(
                    db,
                    shop,
                    prefix="S0",
                    count=args.requests + 50,
                    performance_id=shop.scan_performance_id,
                    schedule=PAID_SCHEDULE,
                    now=datetime.now(UTC) - timedelta(days=1),
                )
                order_id = str(await db.fetchval("SELECT id FROM ticketing_orders LIMIT 1"))
            finally:
                await db.close()
            async with httpx.AsyncClient(base_url=url, timeout=30) as client:
                builders = requests_of(client, shop, order_id)
                for warm in ("healthz", "list orders", "read order"):
                    await measure(client, builders[warm], 20)
                print(
                    f"{'operation':<12} {'statements':>10} {'CPU ms':>8}"
                    f"  (median of {args.requests})"
                )
                for operation in ("healthz", *args.operations):
                    profiler = None
                    if operation in args.profile:
                        profiler = cProfile.Profile(time.process_time)
                        profiler.enable()
                    cpu, statements = await measure(client, builders[operation], args.requests)
                    if profiler is not None:
                        profiler.disable()
                    counts = [len(s) for s in statements]
                    print(f"{operation:<12} {statistics.median(counts):>10} {cpu:>8.2f}")
                    if args.show:
                        for sql in statements[len(statements) // 2]:
                            print(f"    {one_line(sql)[: args.width]}")
                    if profiler is not None:
                        stats = pstats.Stats(profiler).strip_dirs()
                        stats.sort_stats("tottime").print_stats(args.top)
                        stats.sort_stats("cumulative").print_stats(args.top)
                        if args.callers:
                            stats.print_callers(args.callers)
        finally:
            if server_task is not None:
                server.should_exit = True
                with contextlib.suppress(Exception):
                    await server_task
            await scratch.drop()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "MANAGER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ).replace("+asyncpg", ""),
        help="A local PostgreSQL server's maintenance database (the scratch one is made beside).",
    )
    parser.add_argument("--embedded", action="store_true", help="A private embedded server.")
    parser.add_argument("--requests", type=int, default=200, help="Requests per operation.")
    parser.add_argument(
        "--operations",
        type=lambda text: [o.strip() for o in text.split(",")],
        default=list(OPERATIONS),
        help=f"Comma-separated, among: {', '.join(OPERATIONS)}.",
    )
    parser.add_argument(
        "--profile",
        type=lambda text: [o.strip() for o in text.split(",")],
        default=[],
        help="Operations to profile (cProfile, CPU time).",
    )
    parser.add_argument("--top", type=int, default=40, help="Functions shown in a profile.")
    parser.add_argument("--callers", default="", help="Show who calls the functions matching this.")
    parser.add_argument("--no-show", dest="show", action="store_false", help="Only the counts.")
    parser.add_argument("--width", type=int, default=160, help="Characters of SQL shown.")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
