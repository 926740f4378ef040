"""The programme's worker jobs, each idempotent and safe from several workers at once:

- ``read_billing_events``: paid invoices earn commissions, refunds and cancellations void them.
  Billing knows nothing of affiliates: it emits its events, and each is handled here once (an
  ``affiliates_handled_events`` row in the same transaction; ``SKIP LOCKED`` between workers).
- ``validate_commissions``: pending commissions past their 30-day hold are validated.
- ``pay_affiliates``: the monthly payout (the first run of a month pays; later ones find nothing).
"""

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, exists
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from app.affiliates import commissions, payouts
from app.affiliates.models import HandledEvent
from app.billing import service as billing
from app.core import clock
from app.core.db import transaction
from app.events import service as events
from app.events.types import Event

BATCH = 100
EARNING_EVENTS = ("invoice.paid",)
VOIDING_EVENTS = ("invoice.refunded", "billing_order.cancelled")


def _unhandled(column: InstrumentedAttribute[uuid.UUID]) -> ColumnElement[bool]:
    return ~exists().where(HandledEvent.event_id == column)


async def handle(session: AsyncSession, event: Event) -> None:
    """One billing event: earns or voids a commission, then is marked handled."""
    if event.type in EARNING_EVENTS:
        invoice = await billing.paid_invoice(session, uuid.UUID(str(event.data["id"])))
        if invoice is not None:
            await commissions.earn(session, invoice)
    elif event.type in VOIDING_EVENTS:
        invoice_id = event.data.get("id") if event.type == "invoice.refunded" else None
        invoice_id = invoice_id or event.data.get("invoice_id")
        if invoice_id:
            await commissions.void_for_invoice(
                session, uuid.UUID(str(invoice_id)), at=event.created_at
            )
    await session.execute(
        insert(HandledEvent)
        .values(event_id=event.id, handled_at=clock.now())
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


async def read_billing_events(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with transaction(sessionmaker) as session:
        batch = await events.claim_organization_events(
            session,
            unhandled=_unhandled,
            since=None,
            limit=BATCH,
            types=(*EARNING_EVENTS, *VOIDING_EVENTS),
        )
        for event in batch:
            await handle(session, event)
    return len(batch)


async def validate_commissions(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    # Events first: a refund within the hold must void before the hold ends is acted on.
    await read_billing_events(sessionmaker)
    async with transaction(sessionmaker) as session:
        due = list(await session.scalars(commissions.due_for_validation(BATCH)))
        validated = [await commissions.validate(session, commission) for commission in due]
    return sum(validated)


async def pay_affiliates(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime | None = None
) -> int:
    """This month's payouts (one batch of affiliates); returns how many were paid."""
    month = payouts.month_of((now or clock.now()).date())
    async with transaction(sessionmaker) as session:
        due = list(await session.scalars(payouts.due_affiliates(month, BATCH)))
        paid = [await payouts.pay(session, affiliate, month) for affiliate in due]
    return sum(1 for payout in paid if payout is not None)
