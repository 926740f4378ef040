"""Partner services' periodic jobs, each one batch in one transaction, idempotent:

- ``invoice_contract_months``: each month a contract has begun is invoiced once (a unique line
  per contract and month; the contracts are locked ``SKIP LOCKED``);
- ``assess_late_payments``: an overdue invoice gets a reminder with its penalties to date every
  7 days while unpaid, and one last when it is paid late (``assessed_at`` moves forward in the
  same transaction, so a job run twice sends nothing twice).
"""

from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.activity.types import Actor
from app.core import clock
from app.core.db import transaction
from app.core.settings import get_settings
from app.partner_services import contracts, invoices
from app.partner_services.models import Contract, PartnerInvoice
from app.partner_services.types import PartnerInvoiceStatus

BATCH = 50
REMINDER_EVERY = timedelta(days=7)


async def invoice_contract_months(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Issues an invoice for each client with a contract month begun and not invoiced."""
    issued = 0
    today = clock.now().date()
    async with transaction(sessionmaker) as session:
        running = list(
            await session.scalars(
                select(Contract)
                .where(Contract.starts_on <= today, Contract.ends_on >= today - timedelta(days=31))
                .order_by(Contract.starts_on, Contract.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        pairs = {
            (contract.partner_organization_id, contract.client_organization_id)
            for contract in running
            if await contracts.uninvoiced_months(session, contract, today)
        }
        for partner_id, client_id in sorted(pairs):
            await invoices.issue(
                session, partner_id=partner_id, client_id=client_id, by=Actor.system(), work=False
            )
            issued += 1
    return issued


async def assess_late_payments(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    now = clock.now()
    ecb_rate_bp = get_settings().partner_services_ecb_rate_bp
    async with transaction(sessionmaker) as session:
        due = list(
            await session.scalars(
                select(PartnerInvoice)
                .where(
                    or_(
                        and_(
                            PartnerInvoice.status == PartnerInvoiceStatus.issued,
                            PartnerInvoice.due_at < now,
                            or_(
                                PartnerInvoice.assessed_at.is_(None),
                                PartnerInvoice.assessed_at <= now - REMINDER_EVERY,
                            ),
                        ),
                        and_(
                            PartnerInvoice.status == PartnerInvoiceStatus.paid,
                            PartnerInvoice.paid_at > PartnerInvoice.due_at,
                            or_(
                                PartnerInvoice.assessed_at.is_(None),
                                PartnerInvoice.assessed_at < PartnerInvoice.paid_at,
                            ),
                        ),
                    )
                )
                .order_by(PartnerInvoice.due_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        for invoice in due:
            await invoices.remind(session, invoice, ecb_rate_bp=ecb_rate_bp)
    return len(due)
