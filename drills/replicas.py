"""Drill ``replicas``: two `manager serve` and two `manager worker` processes on one database, the
journeys driven alternately through both servers: sign-up → e-mail confirmation (its mailed
link) → 2FA → products bought and paid by card → an office selling on invoice with a webhook →
orders on invoice → reminders, automatic cancellations and product renewals swept by both
workers at once → a rate limit hit from both sides.

Rule: the same results as one process: every mail sent once (no two of one subject to one
address), every webhook delivered once, every reminder, cancellation and renewal made once (see
``drills.renewals``), and the per-IP limit counted across replicas (as many orders accepted from
one address as one process would accept).
"""

import asyncio
import itertools
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pyotp

from bench.ticketing import PASSWORD, ROOT, expect
from drills import renewals
from drills.database import check_invariants, scratch
from drills.load import invoice_order
from drills.mailbox import WAIT, Mailbox, text_of
from drills.processes import (
    MANAGER,
    Fleet,
    Worker,
    logged,
    processes_mentioning,
    ready,
    service_env,
)
from drills.receiver import Receiver
from drills.report import Outcome
from drills.scale import scale
from drills.shop import ADDRESS, Shop, event_body

SHOP_LIMIT = 20
"""Online orders one address may place per minute (``per_ip("shop_order", limit=20, …)``)."""


RETRIES_ON_503 = 6


class Journey:
    """One organizer's journey, each request through the next server in turn."""

    def __init__(self, urls: list[str], client: httpx.AsyncClient, index: int) -> None:
        self.urls = itertools.cycle(urls)
        self.client = client
        self.email = f"organizer.{index}.{uuid.uuid4().hex[:6]}@example.org"
        self.headers: dict[str, str] = {}
        self.retried_503 = 0
        self.products: list[str] = []

    async def call(self, method: str, path: str, status: int, **kwargs: Any) -> Any:
        """One request through the next server; a 503 `database_unavailable` (nothing was done:
        its transaction rolled back) is retried after its `Retry-After`, as a client would, a
        few times at most, and counted."""
        for _ in range(RETRIES_ON_503):
            response = await self.client.request(
                method, next(self.urls) + path, headers=self.headers, **kwargs
            )
            if response.status_code != 503 or status == 503:
                break
            self.retried_503 += 1
            await asyncio.sleep(min(float(response.headers.get("retry-after", "1")), 2.0))
        return expect(response, status) if response.content else {}

    async def run(self, mailbox: Mailbox, database_url: str, hooks: str) -> tuple[Shop, str]:
        await self.call(
            "POST",
            "/v1/accounts",
            202,
            json={
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": self.email,
                "password": PASSWORD,
                "address": ADDRESS,
            },
        )
        (mail,) = await mailbox.wait(self.email, 1)
        token = re.search(r"token=([A-Za-z0-9_\-]+)", text_of(mail))
        assert token is not None, "no token in the confirmation mail"
        await self.call("POST", "/v1/account/email-confirmation", 204, json={"token": token[1]})
        login = await self.call(
            "POST", "/v1/auth/login", 200, json={"email": self.email, "password": PASSWORD}
        )
        self.headers = {"Authorization": f"Bearer {login['tokens']['access_token']}"}
        secret = (await self.call("POST", "/v1/account/two-factor/enrollment", 200))["secret"]
        codes = await self.call(
            "POST",
            "/v1/account/two-factor/enrollment/confirm",
            200,
            json={"code": pyotp.TOTP(secret).now()},
        )
        self.headers = {}
        challenge = await self.call(
            "POST", "/v1/auth/login", 200, json={"email": self.email, "password": PASSWORD}
        )
        tokens = await self.call(
            "POST",
            "/v1/auth/mfa",
            200,
            json={
                "mfa_token": challenge["mfa_token"],
                "emergency_code": codes["emergency_codes"][0],
            },
        )
        self.headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        connection = await asyncpg.connect(database_url)
        try:
            organization_id = str(
                await connection.fetchval(
                    """SELECT m.organization_id FROM organizations_memberships m
                       JOIN accounts a ON a.id = m.account_id WHERE a.email = $1""",
                    self.email,
                )
            )
        finally:
            await connection.close()
        base = f"/v1/organizations/{organization_id}"
        await self.call(
            "POST",
            f"{base}/webhooks/subscriptions",
            201,
            json={"target_url": hooks, "event_types": ["order.*", *renewals.HOOKS]},
        )
        self.products = await renewals.buy(self.call, base)
        office = await self.call("POST", f"{base}/ticket-offices", 201, json={"name": "Drill"})
        offices = f"{base}/ticket-offices/{office['id']}"
        event = await self.call("POST", f"{offices}/events", 201, json=event_body())
        await self.call("POST", f"{offices}/events/{event['id']}/publish", 200)
        shop = Shop(
            organization_id,
            office["id"],
            event["id"],
            event["performances"][0]["id"],
            event["price_categories"][0]["id"],
            "",
        )
        return shop, self.email


async def _shop_orders(
    urls: list[str], client: httpx.AsyncClient, shop: Shop, count: int, ip: str, prefix: str
) -> list[httpx.Response]:
    """``count`` online orders on invoice from the address ``ip``, alternately through ``urls``."""
    answers = []
    for index, url in zip(range(count), itertools.cycle(urls), strict=False):
        body = invoice_order(shop)
        body["customer"]["email"] = f"{prefix}.{index}@example.ch"
        answers.append(
            await client.post(
                f"{url}/v1/shop/events/{shop.event_id}/orders",
                json=body,
                headers={"X-Forwarded-For": ip},
            )
        )
    return answers


async def seed_catalog(env: dict[str, str]) -> None:
    """The billing catalog, as an operator adds it (`manager seed-catalog`)."""
    await asyncio.to_thread(
        subprocess.run,
        [str(MANAGER), "seed-catalog"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=120,
    )


async def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{what} not done after {WAIT:.0f} s")


async def run(outcome: Outcome) -> None:
    steps = scale()
    with tempfile.TemporaryDirectory(prefix="drill-replicas-") as folder:
        root = Path(folder)
        async with scratch("manager_drill_replicas") as url, Receiver() as receiver:
            fleet = Fleet()
            try:
                env = service_env(url, root / "data", MANAGER_WORKER_POLL_SECONDS="0.5")
                mailbox = Mailbox(root / "data" / "mail")
                a = fleet.service("serve-a", env, root)
                b = fleet.service("serve-b", env, root)
                workers: list[Worker] = [fleet.worker(f"worker-{n}", env, root) for n in (1, 2)]
                await asyncio.gather(ready(a, b), seed_catalog(env))
                urls = [a.url, b.url]
                async with httpx.AsyncClient(timeout=30) as client:
                    journeys = [Journey(urls, client, n) for n in range(steps.journeys)]
                    made = await asyncio.gather(
                        *(j.run(mailbox, url, receiver.url) for j in journeys)
                    )
                    orders: list[str] = []
                    customers: list[str] = []
                    for n, (shop, _) in enumerate(made):
                        placed = await _shop_orders(urls, client, shop, 4, f"10.7.{n}.1", f"c{n}")
                        for i, answer in enumerate(placed):
                            orders.append(expect(answer, 201)["id"])
                            customers.append(f"c{n}.{i}@example.ch")
                    limited = await _shop_orders(
                        urls, client, made[0][0], SHOP_LIMIT + 4, "10.8.0.1", "limit"
                    )
                accepted = sum(1 for answer in limited if answer.status_code == 201)
                refused = sum(1 for answer in limited if answer.status_code == 429)
                reminded, cancelled = orders[0::2], orders[1::2]
                payers = {product: j.email for j in journeys for product in j.products}
                connection = await asyncpg.connect(url)
                try:
                    # Due now: a first reminder for half the orders, the cancellation for the
                    # others; both workers are restarted, so both sweep at once.
                    await connection.execute(
                        """UPDATE ticketing_orders SET created_at = created_at - interval '11 days',
                           next_deadline_at = now() - interval '1 second'
                           WHERE id = ANY($1::uuid[])""",
                        reminded,
                    )
                    await connection.execute(
                        """UPDATE ticketing_orders SET auto_cancel_at = now() - interval '1 second',
                           next_deadline_at = now() - interval '1 second'
                           WHERE id = ANY($1::uuid[])""",
                        cancelled,
                    )
                    due = await renewals.end_periods(connection, list(payers))
                    # Stopped off the event loop: the webhook receiver runs on it, and the
                    # workers draining their deliveries must still be answered.
                    await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))
                    workers = [fleet.worker(f"worker-{n}b", env, root) for n in (1, 2)]

                    async def swept() -> bool:
                        left = await connection.fetchval(
                            """SELECT count(*) FROM ticketing_orders WHERE id = ANY($1::uuid[])
                               AND next_deadline_at <= now() AND status = 'pending_payment'""",
                            orders,
                        )
                        return int(left) == 0

                    await _wait_for(swept, "the deadline sweep")
                    await _wait_for(lambda: renewals.renewed(connection, list(due)), "the renewals")
                    numbers = await renewals.invoice_numbers(connection, list(due))
                    reminders = await connection.fetch(
                        "SELECT reminders_sent FROM ticketing_orders WHERE id = ANY($1::uuid[])",
                        reminded,
                    )
                    cancellations = await connection.fetchval(
                        """SELECT count(*) FROM ticketing_cancellations
                           WHERE order_id = ANY($1::uuid[])""",
                        cancelled,
                    )
                    # order.created for every order (those of the rate limit too), order.reminded,
                    # order.cancelled; invoice.paid for each purchase of products, invoice.paid
                    # and product.renewed for each renewal.
                    expected_hooks = (len(orders) + accepted + len(reminded) + len(cancelled)) + (
                        len(journeys) + 2 * len(due)
                    )

                    async def delivered() -> bool:
                        mails = sum(len(mailbox.to(customer)) for customer in customers)
                        renewal_mails = sum(
                            renewals.mailed(mailbox, address, numbers).total()
                            for address in set(payers.values())
                        )
                        return (
                            mails >= 2 * len(customers)
                            and renewal_mails >= len(numbers)
                            and len(receiver.deliveries) >= expected_hooks
                        )

                    await _wait_for(delivered, "mail and webhook delivery")
                    await asyncio.sleep(3)  # time for a duplicate to show
                    mails = Counter(len(mailbox.to(customer)) for customer in customers)
                    repeated = [
                        subject
                        for _, address in made
                        for subject, count in Counter(
                            str(mail["Subject"]) for mail in mailbox.to(address)
                        ).items()
                        if count > 1
                    ]
                    renewals_broken = await renewals.check(
                        connection, due, payers, mailbox, receiver, len(journeys)
                    )
                finally:
                    await connection.close()
            finally:
                # Before the database is dropped, and off the event loop: the receiver still
                # answers the workers' last deliveries.
                leftovers = await asyncio.to_thread(fleet.stop_all)
                leftovers += [f"pid {pid}" for pid in processes_mentioning(folder)]
                unavailable = logged(root, "database_unavailable")
            check = await check_invariants(url)
    for entry in unavailable:  # what answered 503, as the servers logged it
        print(
            f"replicas: {entry['process']} answered 503 at {entry.get('path')}: "
            f"{entry.get('error')}",
            file=sys.stderr,
        )
    outcome.figure(f"{len(made)} journeys, {len(orders)} orders through 2 servers")
    outcome.figure(f"{len(due)} products renewed by 2 workers")
    outcome.figure(f"{sum(j.retried_503 for j in journeys)} 503s retried")
    outcome.figure(f"{len(receiver.deliveries)} webhooks ({receiver.duplicates} twice)")
    outcome.figure(f"{sum(n * c for n, c in mails.items())} customer mails")
    outcome.figure(f"rate limit {accepted} accepted, {refused} refused")
    outcome.figure(f"{check.rows} rows checked")
    outcome.expect(
        all(row["reminders_sent"] == 1 for row in reminders), "a reminder count is not 1"
    )
    outcome.expect(cancellations == len(cancelled), f"{cancellations} cancellations made")
    outcome.expect(not renewals_broken, "; ".join(renewals_broken))
    outcome.expect(set(mails) == {2}, f"mails per customer: {dict(mails)}")
    outcome.expect(not repeated, f"organizer mails sent twice: {repeated}")
    outcome.expect(
        receiver.duplicates == 0,
        f"{receiver.duplicates} webhooks delivered twice: {dict(receiver.duplicated())}",
    )
    outcome.expect(
        len(receiver.deliveries) == expected_hooks,
        f"{len(receiver.deliveries)} webhooks for {expected_hooks} events",
    )
    outcome.expect(
        accepted == SHOP_LIMIT and refused == 4,
        f"rate limit across replicas: {accepted} accepted",
    )
    outcome.expect(not check.broken, "; ".join(check.broken))
    outcome.expect(not leftovers, f"left running: {leftovers}")
