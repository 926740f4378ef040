"""Load: box-office orders on invoice placed and paid through the service replicas in turn, every
answer classified and timed, and what the service acknowledged kept for checking afterwards.

Rule: a 2xx is an acknowledgement (its order, or its payment, must be in the database); a 503 must
be problem+json with ``Retry-After`` and come fast; anything else of 5xx, a timeout or a lost
connection is an error (unless the drill killed the process on purpose: ``lost`` then).
"""

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from drills.shop import Shop, open_shop

REQUEST_TIMEOUT = 10.0
"""Longer than any answer should take: a request that runs into it is a hang."""


def invoice_order(shop: Shop, quantity: int = 1) -> dict[str, Any]:
    return {
        "customer": {"name": "Jeanne Dupont", "email": "jeanne@example.ch", "language": "fr"},
        "tickets": [
            {
                "performance_id": shop.performance_id,
                "price_category_id": shop.category_id,
                "quantity": quantity,
            }
        ],
        "payment_method": "invoice",
    }


@dataclass
class Tally:
    requests: int = 0
    acknowledged: int = 0
    unavailable: int = 0
    """503 problem+json with Retry-After."""
    errors: list[str] = field(default_factory=list)
    """Anything else: a 500, a 503 without its headers, a hang, an unexpected status."""
    lost: int = 0
    """Connections dropped by a process the drill killed on purpose."""
    slowest_503: float = 0.0
    latencies: list[float] = field(default_factory=list)
    last_503_at: float = 0.0
    first_503_at: float = 0.0
    orders: dict[str, int] = field(default_factory=dict)
    """Acknowledged orders: id → tickets."""
    paid: set[str] = field(default_factory=set)
    """Orders whose payment was acknowledged."""

    def note(self, response: httpx.Response | None, elapsed: float, failure: str = "") -> None:
        self.requests += 1
        self.latencies.append(elapsed)
        if response is None:
            self.errors.append(failure)
        elif response.is_success:
            self.acknowledged += 1
        elif response.status_code == 503:
            proper = response.headers.get("content-type") == "application/problem+json" and (
                "retry-after" in response.headers
            )
            if not proper:
                self.errors.append(f"503 without problem+json or Retry-After: {response.text}")
            self.unavailable += 1
            self.slowest_503 = max(self.slowest_503, elapsed)
            now = time.monotonic()
            self.first_503_at = self.first_503_at or now
            self.last_503_at = now
        else:
            self.errors.append(f"{response.status_code} {response.text[:200]}")

    def p99(self, since: int = 0) -> float:
        ordered = sorted(self.latencies[since:])
        return ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else 0.0


async def seed_shop(service_url: str, database_url: str) -> Shop:
    """An organizer, an office and a published event, through the API."""
    return await open_shop(service_url, database_url)


class Load:
    """``clients`` concurrent clients, each placing an order on invoice then (every ``pay_every``
    order) paying one, alternately through ``urls``, until ``stop`` is set or ``deadline``."""

    def __init__(
        self,
        urls: Sequence[str],
        shop: Shop,
        *,
        clients: int = 6,
        pay_every: int = 2,
        pause: float = 0.0,
        killed: bool = False,
    ) -> None:
        self.urls = itertools.cycle(urls)
        self.shop = shop
        self.clients = clients
        self.pay_every = pay_every
        self.pause = pause
        self.killed = killed
        """Dropped connections are expected (the drill kills processes)."""
        self.tally = Tally()
        self.stop = asyncio.Event()
        self.unpaid: list[str] = []

    async def run(self, seconds: float) -> Tally:
        deadline = time.monotonic() + seconds
        limits = httpx.Limits(max_keepalive_connections=0)  # a new connection each request
        async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT, limits=limits) as client:
            await asyncio.gather(*(self._client(client, deadline) for _ in range(self.clients)))
        return self.tally

    async def _client(self, client: httpx.AsyncClient, deadline: float) -> None:
        placed = 0
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self.unpaid and placed % self.pay_every == self.pay_every - 1:
                order_id = self.unpaid.pop(0)
                path = f"{self.shop.office_path}/orders/{order_id}/mark-paid"
                response = await self._send(client, path, {"payment_reference": "drill"})
                if response is not None and response.is_success:
                    self.tally.paid.add(order_id)
            else:
                path = f"{self.shop.office_path}/events/{self.shop.event_id}/orders"
                response = await self._send(client, path, invoice_order(self.shop))
                if response is not None and response.status_code == 201:
                    order = response.json()
                    self.tally.orders[order["id"]] = len(order["tickets"])
                    self.unpaid.append(order["id"])
            placed += 1
            if self.pause:
                await asyncio.sleep(self.pause)

    async def _send(
        self, client: httpx.AsyncClient, path: str, body: dict[str, Any]
    ) -> httpx.Response | None:
        started = time.monotonic()
        url = next(self.urls) + path
        try:
            response = await client.post(url, json=body, headers=self.shop.headers)
        except httpx.TimeoutException:
            self.tally.note(None, time.monotonic() - started, f"no answer in {REQUEST_TIMEOUT} s")
            return None
        except httpx.TransportError as error:
            if self.killed:
                self.tally.lost += 1
                self.tally.requests += 1
                await asyncio.sleep(0.05)
                return None
            self.tally.note(None, time.monotonic() - started, f"{type(error).__name__}: {error}")
            return None
        self.tally.note(response, time.monotonic() - started)
        return response


async def acknowledged_in_database(database_url: str, tally: Tally) -> list[str]:
    """What was acknowledged but is not (or not whole) in the database."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            """SELECT o.id::text, o.status, count(t.id) AS tickets
               FROM ticketing_orders o JOIN ticketing_tickets t ON t.order_id = o.id
               WHERE o.id = ANY($1::uuid[]) GROUP BY o.id""",
            list(tally.orders),
        )
    finally:
        await connection.close()
    found = {row["id"]: row for row in rows}
    missing = [order for order in tally.orders if order not in found]
    problems = [f"{len(missing)} acknowledged orders missing"] if missing else []
    short = [o for o, n in tally.orders.items() if o in found and found[o]["tickets"] != n]
    if short:
        problems.append(f"{len(short)} orders without all their tickets")
    unpaid = [o for o in tally.paid if o in found and found[o]["status"] != "paid"]
    if unpaid:
        problems.append(f"{len(unpaid)} acknowledged payments not recorded")
    return problems
