"""Billing's periodic jobs. Each run handles one batch in one transaction and is idempotent:

- rows are claimed with ``FOR UPDATE SKIP LOCKED``, so two workers never take the same row;
- each job's condition is stored in the row and moved forward in the same transaction that does
  the work (``reminded_for``, ``expires_at``, ``status``, ``next_reminder_at``), so a job that runs
  again — after a crash, after downtime — finds nothing left to do twice;
- a renewal is invoiced once (unique product + period start) and charged with an idempotency key.
"""

from datetime import timedelta

import structlog
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.activity.types import Actor
from app.billing import invoices as invoice_service
from app.billing import subscriptions
from app.billing.models import (
    PAYABLE,
    BillingPeriod,
    Invoice,
    InvoiceKind,
    Subscription,
    SubscriptionStatus,
)
from app.billing.notify import mail_organization
from app.billing.schemas import InvoiceSummary
from app.core import clock
from app.core.db import transaction
from app.core.money import format_amount
from app.events.service import emit
from app.organizations import service as organizations

log = structlog.get_logger("app.billing.jobs")
BATCH = 50
REMINDER_LEAD = timedelta(days=30)
MONTHLY_REMINDER_LEAD = timedelta(days=7)


async def renew_due(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Products whose period has ended: renewed (and charged), renewed under Renewal Warranty
    with an open invoice, or expired (domains enter redemption). Cards are captured once the
    batch commits (``transaction`` runs the after-commit callbacks)."""
    async with transaction(sessionmaker) as session:
        due = list(
            await session.scalars(
                select(Subscription)
                .where(
                    Subscription.status == SubscriptionStatus.active,
                    Subscription.expires_at <= clock.now(),
                )
                .order_by(Subscription.expires_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for subscription in due:
            outcome = await subscriptions.renew_due_one(session, subscription, by=Actor.system())
            log.info("renewal", product_id=str(subscription.product_id), outcome=outcome)
    return len(due)


async def send_renewal_reminders(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """One reminder per period for products that do not renew by themselves: 30 days before
    expiry (7 for monthly ones)."""
    now = clock.now()
    async with sessionmaker.begin() as session:
        due = list(
            await session.scalars(
                select(Subscription)
                .where(
                    Subscription.status == SubscriptionStatus.active,
                    Subscription.auto_renew.is_(False),
                    Subscription.given_up_at.is_(None),
                    Subscription.expires_at > now,
                    or_(
                        and_(
                            Subscription.period != BillingPeriod.monthly,
                            Subscription.expires_at <= now + REMINDER_LEAD,
                        ),
                        Subscription.expires_at <= now + MONTHLY_REMINDER_LEAD,
                    ),
                    or_(
                        Subscription.reminded_for.is_(None),
                        Subscription.reminded_for != Subscription.expires_at,
                    ),
                )
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for subscription in due:
            subscription.reminded_for = subscription.expires_at
            name = await organizations.product_name(session, subscription.product_id)
            await mail_organization(
                session,
                subscription.organization_id,
                "renewal_reminder",
                {
                    "product_name_renewed": name,
                    "expires_at": subscription.expires_at.date().isoformat(),
                    "renew_url": subscriptions.subscription_url(subscription),
                },
            )
    return len(due)


async def release_domains(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Domains whose redemption period has ended are released."""
    async with sessionmaker.begin() as session:
        due = list(
            await session.scalars(
                select(Subscription)
                .where(
                    Subscription.status == SubscriptionStatus.redemption,
                    Subscription.redemption_ends_at <= clock.now(),
                )
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for subscription in due:
            await subscriptions.release(session, subscription)
    return len(due)


async def send_invoice_reminders(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Dunning: reminders for unpaid invoices past their due date, 10 days apart, three at most."""
    now = clock.now()
    async with sessionmaker.begin() as session:
        due = list(
            await session.scalars(
                select(Invoice)
                .where(
                    Invoice.kind == InvoiceKind.invoice,
                    Invoice.status.in_(list(PAYABLE)),
                    Invoice.next_reminder_at <= now,
                )
                .order_by(Invoice.next_reminder_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for invoice in due:
            invoice.reminder_count += 1
            invoice.next_reminder_at = (
                now + invoice_service.REMINDER_INTERVAL
                if invoice.reminder_count < invoice_service.MAX_REMINDERS
                else None
            )
            await mail_organization(
                session,
                invoice.organization_id,
                "invoice_reminder",
                {
                    "invoice_number": invoice.number,
                    "total": format_amount(invoice.amount_due_minor, invoice.currency),
                    "due_date": invoice.due_at.date().isoformat() if invoice.due_at else "",
                    "invoice_url": invoice_service.invoice_url(invoice),
                    "reminder_number": invoice.reminder_count,
                },
            )
            await emit(
                session,
                "invoice.reminded",
                InvoiceSummary.model_validate(invoice),
                organization_id=invoice.organization_id,
            )
    return len(due)
