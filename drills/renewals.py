"""The renewals of the replicas drill: each organizer buys products through the billing routes
(cart, checkout, paid by a saved card, which renewals are then charged to); their periods are
ended in SQL (the processes run on real time, no clock can be moved) and two workers renew them
at once.

Rule: one renewal per product and period, as with one worker: one renewal invoice line, on an
invoice paid by one card charge, mailed once, its `invoice.paid` and `product.renewed` webhooks
delivered once, and the product extended by exactly that renewal's period.
"""

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from drills.mailbox import Mailbox
from drills.receiver import Receiver

PRODUCTS = (
    {"plan_code": "web_hosting.starter", "period": "monthly", "product_name": "Site"},
    {"plan_code": "mail_service.standard", "period": "yearly", "product_name": "Mail"},
)
"""What each organizer buys: one product renewed monthly, one yearly."""
CARD = {
    "kind": "card",
    "card_number": "4242 4242 4242 4242",
    "expiry_month": 12,
    "expiry_year": 2099,
    "cvc": "123",
    "holder_name": "Ada Lovelace",
}
HOOKS = ["invoice.paid", "product.renewed"]
"""The billing events the organizers' webhooks receive (beside the ticket orders')."""

Call = Callable[..., Awaitable[Any]]


async def buy(call: Call, base: str) -> list[str]:
    """``PRODUCTS`` ordered and paid by card through ``call`` (a request through the next server)
    for the organization at ``base``; the products' ids."""
    await call("POST", f"{base}/payment-profiles", 201, json=CARD)  # the first: the default
    for item in PRODUCTS:
        await call("POST", f"{base}/cart/items", 201, json=item)
    placed = await call("POST", f"{base}/cart/checkout", 201, json={})
    await call(
        "POST", f"{base}/invoices/{placed['invoice']['id']}/payments", 201, json={"method": "card"}
    )
    subscriptions = await call("GET", f"{base}/subscriptions", 200)
    return [row["product_id"] for row in subscriptions["data"]]


async def end_periods(
    connection: asyncpg.Connection, product_ids: Sequence[str]
) -> dict[str, datetime]:
    """Each product's period ends now: the next ``billing.renew_due`` renews it. Returns where
    each renewal must start."""
    rows = await connection.fetch(
        """UPDATE billing_subscriptions SET expires_at = now() - interval '1 second'
           WHERE product_id = ANY($1::uuid[]) RETURNING product_id, expires_at""",
        product_ids,
    )
    return {str(row["product_id"]): row["expires_at"] for row in rows}


async def renewed(connection: asyncpg.Connection, product_ids: Sequence[str]) -> bool:
    """No product of ``product_ids`` is still due."""
    left = await connection.fetchval(
        """SELECT count(*) FROM billing_subscriptions WHERE product_id = ANY($1::uuid[])
           AND status = 'active' AND expires_at <= now()""",
        product_ids,
    )
    return int(left) == 0


async def invoice_numbers(connection: asyncpg.Connection, product_ids: Sequence[str]) -> list[str]:
    """The numbers of the renewal invoices of ``product_ids`` (to wait for their mails)."""
    rows = await connection.fetch(
        """SELECT i.number FROM billing_renewals r JOIN billing_invoices i ON i.id = r.invoice_id
           WHERE r.product_id = ANY($1::uuid[])""",
        product_ids,
    )
    return [str(row["number"]) for row in rows]


def mailed(mailbox: Mailbox, address: str, numbers: Sequence[str]) -> Counter[str]:
    """How many mails to ``address`` name each of the invoice ``numbers`` in their subject."""
    counts: Counter[str] = Counter()
    for mail in mailbox.to(address):
        counts.update(number for number in numbers if number in str(mail["Subject"]))
    return counts


async def check(
    connection: asyncpg.Connection,
    due: dict[str, datetime],
    payers: dict[str, str],
    mailbox: Mailbox,
    receiver: Receiver,
    journeys: int,
) -> list[str]:
    """What breaks the rule for the products ``due`` (product id → the period's end made due);
    ``payers`` maps each product to its organizer's address."""
    ids = list(due)
    broken: list[str] = []
    lines = await connection.fetch(
        """SELECT l.product_id, count(*) AS lines FROM billing_invoice_lines l
           WHERE l.kind = 'renewal' AND l.product_id = ANY($1::uuid[]) GROUP BY l.product_id""",
        ids,
    )
    invoiced = {str(row["product_id"]): int(row["lines"]) for row in lines}
    if invoiced != dict.fromkeys(ids, 1):
        broken.append(f"renewal lines per product: {sorted(invoiced.values())}")
    renewals = await connection.fetch(
        """SELECT r.product_id, r.period_start, r.period_end, r.applied_at, i.status, i.number,
                  s.expires_at,
                  (SELECT count(*) FROM billing_payments p WHERE p.invoice_id = i.id
                   AND p.status = 'succeeded') AS charges
           FROM billing_renewals r
           JOIN billing_invoices i ON i.id = r.invoice_id
           JOIN billing_subscriptions s ON s.product_id = r.product_id
           WHERE r.product_id = ANY($1::uuid[])""",
        ids,
    )
    if len(renewals) != len(ids):
        broken.append(f"{len(renewals)} renewals for {len(ids)} products")
    numbers = [str(row["number"]) for row in renewals]
    mails = {address: mailed(mailbox, address, numbers) for address in set(payers.values())}
    for row in renewals:
        product = str(row["product_id"])
        if row["period_start"] != due[product]:
            broken.append(f"a renewal of {product} starts at {row['period_start']}")
        if (row["status"], row["charges"], row["applied_at"] is None) != ("paid", 1, False):
            broken.append(
                f"renewal invoice {row['number']}: {row['status']}, {row['charges']} charges"
            )
        if row["expires_at"] != row["period_end"]:
            broken.append(f"{product} expires {row['expires_at']}, not {row['period_end']}")
        if mails[payers[product]][row["number"]] != 1:
            broken.append(
                f"renewal invoice {row['number']} mailed {mails[payers[product]][row['number']]}"
                " times"
            )
    for event_type, count in (
        ("product.renewed", len(ids)),
        ("invoice.paid", len(ids) + journeys),  # the renewals', the purchases'
    ):
        if receiver.of_type(event_type) != count:
            broken.append(f"{receiver.of_type(event_type)} {event_type} webhooks for {count}")
    return broken
