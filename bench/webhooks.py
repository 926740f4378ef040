"""Webhook delivery benchmark: deliveries per second to a local receiver, and the lag from a domain
change (``emit``) to its delivery.

    .venv/bin/python bench/webhooks.py --server-url postgresql://postgres@127.0.0.1:5432/postgres

It creates a scratch database on that server (dropped at the end), migrates it, and serves a
receiver on 127.0.0.1 (uvicorn). Each run measures:

- throughput: ``--events`` events emitted in one transaction to one subscription, sent by
  ``--workers`` outbox runners (``app.core.outbox.Runner``, as ``manager worker`` runs it: woken by
  NOTIFY, fanning out and delivering), in this process; deliveries per second from the emit to
  the last recorded success, and this process's CPU seconds per 1000 deliveries;
- lag: ``--lag-events`` events emitted one at a time (``--lag-rate`` per second) while one runner
  runs (polling every ``--poll`` seconds, the worker's setting by default); median and 99th
  percentile of receive time minus the event's timestamp.

The figures printed at the end are the medians over ``--runs`` runs.
"""

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import uvicorn
from sqlalchemy import delete, func, select

from app.activity.types import Actor
from app.core import clock, outbox
from app.core.db import Database
from app.core.logging import configure_logging
from app.core.migrations import upgrade
from app.core.settings import Settings
from app.events.models import DomainEvent
from app.events.service import emit
from app.organizations.models import Organization
from app.webhooks import service
from app.webhooks.delivery import WEBHOOKS
from app.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEventFanout,
)


class Receiver:
    """A minimal ASGI app, run by uvicorn in its own process (no GIL shared with the worker):
    POST answers 204 and notes when each webhook-id arrived; GET returns those times."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        body = b""
        if scope["method"] == "POST":
            webhook_id = dict(scope["headers"])[b"webhook-id"].decode()
            self.arrivals.setdefault(webhook_id, time.time())
        else:
            body = json.dumps(self.arrivals).encode()
        await send({"type": "http.response.start", "status": 200 if body else 204, "headers": []})
        await send({"type": "http.response.body", "body": body})


class ReceiverProcess:
    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(  # this script, as the receiver
            [sys.executable, __file__, "--receive", str(self.port)]
        )
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        for _ in range(200):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.url)
                return
            time.sleep(0.05)
        raise RuntimeError("the receiver did not start")

    @property
    def arrivals(self) -> dict[str, float]:
        arrivals: dict[str, float] = httpx.get(self.url).json()
        return arrivals

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


async def setup(db: Database, target_url: str) -> uuid.UUID:
    async with db.sessionmaker.begin() as session:
        organization = Organization(id=uuid.uuid4(), name="Bench SA")
        session.add(organization)
        await session.flush()
        await service.create_subscription(
            session,
            organization_id=organization.id,
            target_url=target_url,
            event_types=["*"],
            description="bench",
            active=True,
            require_https=False,
            allow_private=True,
            by=Actor.system(),
        )
    return organization.id


async def emit_many(db: Database, organization_id: uuid.UUID, count: int) -> dict[str, datetime]:
    async with db.sessionmaker.begin() as session:
        events = [
            await emit(session, "member.added", {"n": number}, organization_id=organization_id)
            for number in range(count)
        ]
        await session.flush()  # stamps each event's id and created_at
    return {str(event.id): event.created_at for event in events}


async def reset(db: Database) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(delete(WebhookAttempt))
        await session.execute(delete(WebhookDelivery))
        await session.execute(delete(WebhookEventFanout))
        await session.execute(delete(DomainEvent))


async def succeeded(db: Database) -> int:
    async with db.sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).where(WebhookDelivery.status == DeliveryStatus.succeeded)
        )
    return count or 0


@contextlib.asynccontextmanager
async def runners(
    db: Database, settings: Settings, count: int, poll_seconds: float | None
) -> AsyncIterator[None]:
    """``count`` outbox runners for the webhooks kind, as ``manager worker`` runs them (woken by
    NOTIFY, polling every ``poll_seconds``, the setting's when None)."""
    stop = asyncio.Event()
    started = [
        outbox.Runner(db.sessionmaker, settings, kinds=(WEBHOOKS,), poll_seconds=poll_seconds)
        for _ in range(count)
    ]
    tasks = [asyncio.create_task(runner.run(stop)) for runner in started]
    try:
        for runner in started:
            await asyncio.wait_for(runner.listening.wait(), 10)
        yield
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def throughput(
    db: Database,
    settings: Settings,
    receiver: ReceiverProcess,
    organization_id: uuid.UUID,
    args: Any,
) -> tuple[float, float]:
    """Deliveries per second, and the worker process's CPU seconds per 1000 deliveries."""
    await reset(db)
    async with runners(db, settings, args.workers, args.poll):
        cpu = time.process_time()
        started = time.perf_counter()
        emitted = await emit_many(db, organization_id, args.events)
        deadline = time.monotonic() + 300
        done = 0
        while done < args.events:
            assert time.monotonic() < deadline, f"{done} of {args.events} delivered in 300 s"
            await asyncio.sleep(0.02)
            done = await succeeded(db)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    arrivals = receiver.arrivals
    delivered = sum(1 for event_id in emitted if event_id in arrivals)
    assert delivered == args.events, f"{delivered} of {args.events} delivered"
    return args.events / elapsed, cpu / args.events * 1000


async def lag(
    db: Database,
    settings: Settings,
    receiver: ReceiverProcess,
    organization_id: uuid.UUID,
    args: Any,
) -> tuple[float, float]:
    """Median and 99th percentile of receive time minus the event's timestamp, in seconds."""
    await reset(db)
    emitted: dict[str, datetime] = {}
    async with runners(db, settings, 1, args.poll):
        for _ in range(args.lag_events):
            emitted |= await emit_many(db, organization_id, 1)
            await asyncio.sleep(1 / args.lag_rate)
        deadline = time.time() + 30
        arrivals = receiver.arrivals
        while time.time() < deadline and not all(e in arrivals for e in emitted):
            await asyncio.sleep(0.1)
            arrivals = receiver.arrivals
    lags = [arrivals[e] - at.timestamp() for e, at in emitted.items()]
    quantiles = statistics.quantiles(lags, n=100)
    return statistics.median(lags), quantiles[98]


async def main(args: Any) -> None:
    configure_logging("WARNING", json=False)
    name = f"manager_bench_{os.getpid()}"
    admin = await asyncpg.connect(args.server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    scheme, rest = args.server_url.split("://", 1)
    authority, _, path = rest.partition("/")
    query = path.partition("?")[2]
    url = f"{scheme}://{authority}/{name}" + (f"?{query}" if query else "")
    receiver = ReceiverProcess()
    try:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(environment="test", database_url=url, _env_file=None)  # type: ignore[call-arg]
        db = Database.connect(url, pool_size=10, max_overflow=10)
        organization_id = await setup(db, receiver.url)
        rates, cpus, medians, p99s = [], [], [], []
        poll = settings.worker_poll_seconds if args.poll is None else args.poll
        for run in range(1, args.runs + 1):
            rate, cpu = await throughput(db, settings, receiver, organization_id, args)
            median, p99 = await lag(db, settings, receiver, organization_id, args)
            rates.append(rate)
            cpus.append(cpu)
            medians.append(median)
            p99s.append(p99)
            print(
                f"run {run}: {rate:7.0f} deliveries/s ({args.events} events, {args.workers} "
                f"runners, {cpu:.2f} CPU s per 1000); lag median {median * 1000:6.1f} ms, "
                f"p99 {p99 * 1000:6.1f} ms (poll {poll} s, load {os.getloadavg()[0]:.2f}, "
                f"{clock.now():%H:%M:%S})",
                flush=True,
            )
        print(
            f"median of {args.runs} runs: {statistics.median(rates):.0f} deliveries/s "
            f"({statistics.median(cpus):.2f} CPU s per 1000); emit → delivery lag median "
            f"{statistics.median(medians) * 1000:.1f} ms, "
            f"p99 {statistics.median(p99s) * 1000:.1f} ms"
        )
        await db.dispose()
    finally:
        receiver.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def arguments() -> Any:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "MANAGER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1/postgres"
        ),
        help="A PostgreSQL server's maintenance database (a scratch database is made beside it).",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lag-events", type=int, default=100)
    parser.add_argument("--lag-rate", type=float, default=20.0, help="Events per second.")
    parser.add_argument(
        "--poll",
        type=float,
        default=None,
        help="The runners' poll interval (default: the setting MANAGER_WORKER_POLL_SECONDS).",
    )
    return parser.parse_args()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--receive"]:
        uvicorn.run(Receiver(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
    else:
        asyncio.run(main(arguments()))
