"""The drill's own database (created, migrated, dropped), and the invariants every drill checks.

Rule: a drill works on a database of its own, never on one it did not create; the invariants are
read in one snapshot and each is a query returning the rows that break it.
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from app.core.migrations import upgrade
from bench.ticketing import check_local, with_database

SERVER_URL = os.environ.get("DRILL_SERVER_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
"""The PostgreSQL server drills create their databases on (its maintenance database); when none
answers there, an embedded one is started for the drill."""


def database_url(server_url: str, name: str) -> str:
    """``name`` on the server of ``server_url`` (TCP or a Unix socket's ``?host=``)."""
    if "@/" in server_url:  # postgresql://user@/db?host=/socket/dir
        before, _, after = server_url.partition("@/")
        _, _, query = after.partition("?")
        return f"{before}@/{name}" + (f"?{query}" if query else "")
    return with_database(server_url, name)


@asynccontextmanager
async def local_server() -> AsyncIterator[str]:
    """``SERVER_URL`` when a server answers there; otherwise an embedded one in a temporary
    folder, removed on leaving."""
    try:
        probe = await asyncpg.connect(SERVER_URL, timeout=3)
    except (OSError, asyncpg.PostgresError):
        from drills.processes import Embedded

        with tempfile.TemporaryDirectory(prefix="drill-postgres-") as folder:
            server = await asyncio.to_thread(Embedded, Path(folder) / "postgres")
            try:
                yield server.server_url
            finally:
                await asyncio.to_thread(server.remove)
        return
    await probe.close()
    yield SERVER_URL


@asynccontextmanager
async def scratch(name: str, server_url: str | None = None) -> AsyncIterator[str]:
    """A fresh, migrated database ``name`` (its URL) on ``server_url`` (default: the local
    server); dropped on leaving."""
    if server_url is None:
        async with local_server() as local, scratch(name, local) as url:
            yield url
        return
    if "@/" not in server_url:
        check_local(server_url)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = database_url(server_url, name)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@dataclass(frozen=True)
class Invariant:
    name: str
    broken: str
    """A query returning the rows that break the invariant (none: it holds)."""
    counted: str
    """A query returning how many rows the invariant covers."""


INVARIANTS = (
    Invariant(
        "seats sold = valid tickets",
        """SELECT p.id FROM ticketing_performances p
           LEFT JOIN ticketing_tickets t ON t.performance_id = p.id AND t.status = 'valid'
           GROUP BY p.id, p.sold HAVING p.sold <> count(t.id)""",
        "SELECT count(*) FROM ticketing_tickets",
    ),
    Invariant(
        "every order has its tickets",
        """SELECT o.id FROM ticketing_orders o
           WHERE NOT EXISTS (SELECT FROM ticketing_tickets t WHERE t.order_id = o.id)""",
        "SELECT count(*) FROM ticketing_orders",
    ),
    Invariant(
        "every order on invoice has its invoice",
        """SELECT o.id FROM ticketing_orders o WHERE o.payment_method = 'invoice'
           AND o.status <> 'cancelled'
           AND NOT EXISTS (SELECT FROM billing_invoices i WHERE i.ticket_order_id = o.id)""",
        "SELECT count(*) FROM billing_invoices",
    ),
    Invariant(
        "a paid order on invoice has its invoice paid, and the other way round",
        """SELECT o.id FROM ticketing_orders o JOIN billing_invoices i ON i.ticket_order_id = o.id
           WHERE (o.status = 'paid') <> (i.status = 'paid')""",
        "SELECT count(*) FROM ticketing_orders WHERE payment_method = 'invoice'",
    ),
    Invariant(
        "every paid invoice has its payment",
        """SELECT i.id FROM billing_invoices i WHERE i.status = 'paid' AND i.kind = 'invoice'
           AND i.total_minor > 0
           AND NOT EXISTS (SELECT FROM billing_payments p
                           WHERE p.invoice_id = i.id AND p.status = 'succeeded')
           AND NOT EXISTS (SELECT FROM billing_prepaid_entries e WHERE e.invoice_id = i.id)""",
        "SELECT count(*) FROM billing_payments",
    ),
    Invariant(
        "a product's period is invoiced once",
        """SELECT l.product_id FROM billing_invoice_lines l
           JOIN billing_invoices i ON i.id = l.invoice_id
           WHERE l.kind = 'renewal' AND i.status <> 'void'
           GROUP BY l.product_id, l.period_start HAVING count(*) > 1""",
        "SELECT count(*) FROM billing_renewals",
    ),
    Invariant(
        "ledger sum = balance",
        """SELECT a.id FROM billing_prepaid_accounts a
           LEFT JOIN billing_prepaid_entries e ON e.account_id = a.id
           GROUP BY a.id, a.balance_minor
           HAVING a.balance_minor <> coalesce(sum(e.amount_minor), 0)""",
        "SELECT count(*) FROM billing_prepaid_entries",
    ),
)


@dataclass
class Check:
    rows: int
    """Rows the invariants covered."""
    broken: list[str]
    """The invariants that do not hold, with how many rows break each."""


async def check_invariants(url: str) -> Check:
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            rows, broken = 0, []
            for invariant in INVARIANTS:
                rows += int(await connection.fetchval(invariant.counted))
                bad = await connection.fetch(invariant.broken)
                if bad:
                    broken.append(f"{invariant.name}: {len(bad)} rows break it")
            return Check(rows, broken)
    finally:
        await connection.close()
