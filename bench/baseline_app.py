"""The bare baseline of bench/ticketing.py: the SQL at the core of three ticketing endpoints, on
raw asyncpg (one pool per worker process), behind plain Starlette. No authentication, no
permission checks, no validation, no domain events, mails or activity log, no ORM.

    BENCH_DATABASE_URL=postgresql://… python -m uvicorn baseline_app:app --app-dir bench --workers 2

Same paths as the service, so the same wrk scripts run against both:

- GET  /v1/organizations/{org}/ticket-offices/{office}/orders?limit=20: a page of the office's
  orders, newest first, with their tickets (two queries, as the service does);
- POST …/ticket-offices/{office}/events/{event}/orders: in one transaction, the office and price,
  the order and its tickets, then the conditional capacity update (last, as in the service);
- POST …/ticket-offices/{office}/scans: in one transaction, the ticket locked by number (with its
  order's status), and marked checked in when valid.
"""

import base64
import hashlib
import json
import os
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

OFFICE = "/v1/organizations/{organization_id}/ticket-offices/{office_id}"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

ORDER_COLUMNS = (
    "id, number, ticket_office_id, event_id, channel, status, payment_method, customer_name, "
    "customer_email, customer_language, currency, tickets_total_minor, insurance_fee_minor, "
    "total_minor, created_at, paid_at, cancelled_at, payment_due_at, next_reminder_at, "
    "auto_cancel_at, reminders_sent"
)
TICKET_COLUMNS = (
    "id, order_id, number, performance_id, price_category_id, price_minor, commission_minor, "
    "status, checked_in_at"
)


class SoldOut(Exception):
    """Rolls the order back."""


def _default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(body, default=_default), status_code=status, media_type="application/json"
    )


def code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def pool(request: Request) -> asyncpg.Pool:
    found: asyncpg.Pool = request.app.state.pool
    return found


def ticket_json(row: asyncpg.Record) -> dict[str, Any]:
    ticket = dict(row)
    ticket.pop("order_id", None)
    return ticket


async def list_orders(request: Request) -> Response:
    office_id = uuid.UUID(request.path_params["office_id"])
    limit = int(request.query_params.get("limit", "20"))
    async with pool(request).acquire() as connection:
        orders = await connection.fetch(
            f"SELECT {ORDER_COLUMNS} FROM ticketing_orders WHERE ticket_office_id = $1 "  # noqa: S608
            "ORDER BY created_at DESC, id DESC LIMIT $2",
            office_id,
            limit + 1,
        )
        page = orders[:limit]
        tickets = await connection.fetch(
            f"SELECT {TICKET_COLUMNS} FROM ticketing_tickets WHERE order_id = ANY($1::uuid[]) "  # noqa: S608
            "ORDER BY created_at, number",
            [order["id"] for order in page],
        )
    by_order: dict[uuid.UUID, list[dict[str, Any]]] = {order["id"]: [] for order in page}
    for ticket in tickets:
        by_order[ticket["order_id"]].append(ticket_json(ticket))
    cursor = None
    if len(orders) > limit:
        last = page[-1]
        raw = json.dumps([last["created_at"].isoformat(), str(last["id"])]).encode()
        cursor = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    data = [{**dict(order), "tickets": by_order[order["id"]]} for order in page]
    return json_response({"data": data, "next_cursor": cursor, "has_more": cursor is not None})


async def place_order(request: Request) -> Response:
    office_id = uuid.UUID(request.path_params["office_id"])
    event_id = uuid.UUID(request.path_params["event_id"])
    body = await request.json()
    item = body["tickets"][0]
    performance_id = uuid.UUID(item["performance_id"])
    category_id = uuid.UUID(item["price_category_id"])
    quantity = int(item.get("quantity", 1))
    customer = body["customer"]
    now = datetime.now(UTC)
    access_key = secrets.token_urlsafe(24)
    try:
        async with pool(request).acquire() as connection, connection.transaction():
            office = await connection.fetchrow(
                "SELECT o.organization_id, o.currency, o.commission_per_ticket_minor, "
                "c.price_minor FROM ticketing_offices o "
                "JOIN ticketing_events e ON e.ticket_office_id = o.id "
                "JOIN ticketing_price_categories c ON c.event_id = e.id "
                "WHERE o.id = $1 AND e.id = $2 AND c.id = $3",
                office_id,
                event_id,
                category_id,
            )
            if office is None:
                return json_response({"code": "unknown_ticket_choice"}, 422)
            total = office["price_minor"] * quantity
            order = await connection.fetchrow(
                "INSERT INTO ticketing_orders (id, ticket_office_id, organization_id, event_id, "  # noqa: S608
                "number, "
                "channel, status, payment_method, customer_name, customer_email, "
                "customer_language, currency, tickets_total_minor, insurance_fee_minor, "
                "total_minor, access_key_digest, access_key_encrypted, created_at, paid_at, "
                "reminders_sent) VALUES ($1, $2, $3, $4, $5, 'box_office', 'paid', $6, $7, $8, "
                f"$9, $10, $11, 0, $11, $12, $13, $14, $14, 0) RETURNING {ORDER_COLUMNS}",
                uuid.uuid4(),
                office_id,
                office["organization_id"],
                event_id,
                code(10),
                body["payment_method"],
                customer["name"],
                customer["email"],
                customer.get("language", "en"),
                office["currency"],
                total,
                hashlib.sha256(access_key.encode()).hexdigest(),
                access_key,  # the service stores it encrypted; a baseline needs no secret
                now,
            )
            tickets = [
                await connection.fetchrow(
                    "INSERT INTO ticketing_tickets (id, order_id, performance_id, "  # noqa: S608
                    "price_category_id, "
                    "number, price_minor, commission_minor, status, created_at) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, 'valid', $8) "
                    f"RETURNING {TICKET_COLUMNS}",
                    uuid.uuid4(),
                    order["id"],
                    performance_id,
                    category_id,
                    code(16),
                    office["price_minor"],
                    office["commission_per_ticket_minor"],
                    now,
                )
                for _ in range(quantity)
            ]
            # Last, as the service does: the performance's row stays locked until the commit.
            taken = await connection.fetchval(
                "UPDATE ticketing_performances SET sold = sold + $2 "
                "WHERE id = $1 AND event_id = $3 AND sold + $2 <= capacity RETURNING id",
                performance_id,
                quantity,
                event_id,
            )
            if taken is None:
                raise SoldOut
    except SoldOut:
        return json_response({"code": "sold_out"}, 409)
    placed = {**dict(order), "tickets": [ticket_json(t) for t in tickets]}
    return json_response({**placed, "access_key": access_key}, 201)


async def scan(request: Request) -> Response:
    office_id = uuid.UUID(request.path_params["office_id"])
    body = await request.json()
    performance_id = uuid.UUID(body["performance_id"])
    number = body["ticket_number"].strip().upper()
    now = datetime.now(UTC)
    async with pool(request).acquire() as connection, connection.transaction():
        ticket = await connection.fetchrow(
            "SELECT t.id, t.status, t.performance_id, t.checked_in_at, o.status AS order_status "
            "FROM ticketing_tickets t JOIN ticketing_orders o ON o.id = t.order_id "
            "WHERE t.number = $1 AND o.ticket_office_id = $2 FOR UPDATE OF t",
            number,
            office_id,
        )
        if ticket is None:
            result, first = "unknown", None
        elif ticket["status"] == "cancelled":
            result, first = "cancelled", None
        elif ticket["performance_id"] != performance_id:
            result, first = "wrong_performance", None
        elif ticket["order_status"] == "pending_payment":
            result, first = "unpaid", None
        elif ticket["checked_in_at"] is not None:
            result, first = "already_used", ticket["checked_in_at"]
        else:
            await connection.execute(
                "UPDATE ticketing_tickets SET checked_in_at = $2 WHERE id = $1", ticket["id"], now
            )
            result, first = "valid", now
    return json_response(
        {
            "accepted": result == "valid",
            "result": result,
            "ticket_number": number,
            "first_scanned_at": first,
            "ticket_id": ticket["id"] if ticket else None,
        }
    )


async def readyz(request: Request) -> Response:
    await pool(request).fetchval("SELECT 1")
    return json_response({"status": "ok"})


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_URL"],
        min_size=1,
        max_size=int(os.environ.get("BENCH_POOL_SIZE", "20")),
        server_settings={"application_name": "manager-bench-baseline", "timezone": "UTC"},
    )
    yield
    await app.state.pool.close()


app = Starlette(
    routes=[
        Route("/readyz", readyz),
        Route(f"{OFFICE}/orders", list_orders),
        Route(OFFICE + "/events/{event_id}/orders", place_order, methods=["POST"]),
        Route(f"{OFFICE}/scans", scan, methods=["POST"]),
    ],
    lifespan=lifespan,
)
