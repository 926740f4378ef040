"""Domains transferred in from another registrar. The transfer is paid once, by its invoice line
(``fulfilment`` starts it); the registry's answer is recorded by platform staff. A failed
attempt is relaunched, with the same code or a new one, on the same payment: nothing is invoiced
again. The domain product and its subscription appear when the transfer completes."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.billing.errors import DomainTransferNotFailed, DomainTransferNotFound
from app.billing.fulfilment import period_end
from app.billing.models import (
    BillingPeriod,
    DomainTransfer,
    DomainTransferStatus,
    Subscription,
    SubscriptionStatus,
)
from app.billing.orders import TRANSFER_CODE_PURPOSE
from app.billing.schemas import DomainTransferOutcome, DomainTransferRead, DomainTransferRelaunch
from app.core import clock
from app.core.db import one_or_raise
from app.core.security.encryption import encrypt
from app.organizations import service as organizations
from app.organizations.types import ProductType


def transfers_of(organization_id: uuid.UUID) -> Select[DomainTransfer]:
    return select(DomainTransfer).where(DomainTransfer.organization_id == organization_id)


def transfers_in(status: DomainTransferStatus | None) -> Select[DomainTransfer]:
    """Every organization's transfers (platform staff), optionally in one status."""
    statement = select(DomainTransfer)
    if status is not None:
        statement = statement.where(DomainTransfer.status == status)
    return statement


def transfer_read(transfer: DomainTransfer) -> DomainTransferRead:
    return DomainTransferRead.model_validate(transfer)


async def get_transfer(
    session: AsyncSession,
    transfer_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | None = None,
    for_update: bool = False,
) -> DomainTransfer:
    """A transfer; with ``organization_id``, only that organization's (else 404)."""
    statement = select(DomainTransfer).where(DomainTransfer.id == transfer_id)
    if organization_id is not None:
        statement = statement.where(DomainTransfer.organization_id == organization_id)
    return await one_or_raise(
        session,
        statement,
        DomainTransferNotFound("No such domain transfer."),
        for_update=for_update,
    )


async def relaunch(
    session: AsyncSession,
    *,
    organization_id: uuid.UUID,
    transfer_id: uuid.UUID,
    body: DomainTransferRelaunch,
    by: Actor,
) -> DomainTransfer:
    """Launches a failed transfer again on its original payment (locked: a double request
    relaunches once, the second finds it pending)."""
    transfer = await get_transfer(
        session, transfer_id, organization_id=organization_id, for_update=True
    )
    if transfer.status != DomainTransferStatus.failed:
        raise DomainTransferNotFailed(f"The transfer is {transfer.status}: only a failed one.")
    if body.auth_code is not None:
        transfer.auth_code = encrypt(body.auth_code, purpose=TRANSFER_CODE_PURPOSE)
    transfer.status = DomainTransferStatus.pending
    transfer.attempts += 1
    transfer.failure_reason = None
    transfer.updated_at = clock.now()
    await session.flush()
    await activity.record(
        session,
        by,
        "billing.domain_transfer_relaunched",
        organization_id=organization_id,
        details={
            "domain": transfer.domain_name,
            "attempt": transfer.attempts,
            "new_code": body.auth_code is not None,
        },
    )
    return transfer


async def record_outcome(
    session: AsyncSession, *, transfer_id: uuid.UUID, body: DomainTransferOutcome, by: Actor
) -> DomainTransfer:
    """The registry's answer to a pending transfer (platform staff). Completed: the domain
    product appears with its first period (a year from now) already paid. Failed: it waits for
    the customer to relaunch it."""
    transfer = await get_transfer(session, transfer_id, for_update=True)
    if transfer.status != DomainTransferStatus.pending:
        raise DomainTransferNotFailed(f"The transfer is {transfer.status}, not pending.")
    now = clock.now()
    if body.succeeded:
        product = await organizations.create_product(
            session,
            organization_id=transfer.organization_id,
            type=ProductType.domain,
            name=transfer.domain_name,
        )
        session.add(
            Subscription(
                product_id=product.id,
                organization_id=transfer.organization_id,
                plan_id=transfer.plan_id,
                period=BillingPeriod.yearly,
                status=SubscriptionStatus.active,
                expires_at=period_end(now, BillingPeriod.yearly),
                auto_renew=transfer.auto_renew,
                renewal_warranty=transfer.renewal_warranty,
                invoice_line_id=transfer.invoice_line_id,
            )
        )
        transfer.status = DomainTransferStatus.completed
        transfer.completed_at = now
        transfer.product_id = product.id
    else:
        transfer.status = DomainTransferStatus.failed
        transfer.failed_at = now
        transfer.failure_reason = body.reason or "Refused by the registry."
    transfer.updated_at = now
    await session.flush()
    await activity.record(
        session,
        by,
        "billing.domain_transfer_completed" if body.succeeded else "billing.domain_transfer_failed",
        organization_id=transfer.organization_id,
        product_id=transfer.product_id,
        details={"domain": transfer.domain_name, "attempt": transfer.attempts},
    )
    return transfer
