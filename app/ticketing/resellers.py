"""Resellers: external members of the organization holding the ``sell`` right on the ticket
office, each selling from its own quota of seats per performance, set by the organizer.

Rules: a reseller's sales (on the reseller channel) never exceed its quota for a performance, nor
the performance's capacity (``orders.reserve``, taken after). What a reseller sold is counted from
its valid tickets, so a cancellation gives the seats back to its quota. The quota's row is locked
for the order's transaction before counting: concurrent orders of one reseller are counted one
after the other and the last seats of a quota are sold once.

Lock order (see ``checkout``): the reseller's quota rows (by performance id), then the
performances' rows.
"""

import uuid
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.organizations import permissions
from app.organizations import service as organizations
from app.organizations.permissions import OrganizationAccess
from app.organizations.types import ProductRight, Role
from app.ticketing import offices
from app.ticketing.errors import (
    NotAReseller,
    PerformanceNotFound,
    ResellerQuotaBelowSold,
    ResellerQuotaExceeded,
    ResellerQuotaOverCapacity,
)
from app.ticketing.models import (
    Channel,
    Event,
    Performance,
    ResellerQuota,
    Ticket,
    TicketOffice,
    TicketOrder,
    TicketStatus,
)
from app.ticketing.reseller_schemas import ResellerQuotaRead, ResellerQuotaSet


def _sold_by(account_id: uuid.UUID, performance_ids: Sequence[uuid.UUID]) -> Select[uuid.UUID, int]:
    return (
        select(Ticket.performance_id, func.count())
        .join(TicketOrder, TicketOrder.id == Ticket.order_id)
        .where(
            TicketOrder.channel == Channel.reseller,
            TicketOrder.sold_by_account_id == account_id,
            Ticket.status == TicketStatus.valid,
            Ticket.performance_id.in_(performance_ids),
        )
        .group_by(Ticket.performance_id)
    )


async def sold(
    session: AsyncSession, account_id: uuid.UUID, performance_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The reseller's valid tickets per performance."""
    counts = dict.fromkeys(performance_ids, 0)
    for performance_id, count in await session.execute(_sold_by(account_id, performance_ids)):
        counts[performance_id] = int(count)
    return counts


async def is_reseller(
    session: AsyncSession, access: OrganizationAccess, office: TicketOffice, account_id: uuid.UUID
) -> bool:
    """Whether the account is an external member of the office's organization holding the
    ``sell`` right on it (``access``: the organizer's, who reaches the office)."""
    externals = await organizations.member_account_ids_with_role(
        session, office.organization_id, roles=frozenset({Role.external})
    )
    if account_id not in externals:
        return False
    product = await permissions.product_with_right(session, access, office.id, ProductRight.use)
    rights = await permissions.granted_rights(session, office.organization_id, account_id, product)
    return ProductRight.sell in rights


async def _office_performance(
    session: AsyncSession, office: TicketOffice, performance_id: uuid.UUID
) -> Performance:
    performance = await session.scalar(
        select(Performance)
        .join(Event, Event.id == Performance.event_id)
        .where(Performance.id == performance_id, Event.ticket_office_id == office.id)
    )
    if performance is None:
        raise PerformanceNotFound("No such performance in this ticket office.")
    return performance


async def set_quota(
    session: AsyncSession,
    office: TicketOffice,
    *,
    access: OrganizationAccess,
    body: ResellerQuotaSet,
    by: Actor,
) -> ResellerQuota:
    """Sets (creates or changes) a reseller's quota for a performance."""
    performance = await _office_performance(session, office, body.performance_id)
    if not await is_reseller(session, access, office, body.account_id):
        raise NotAReseller(
            "This account is not an external member with the sell right on this ticket office."
        )
    if body.quota > performance.capacity:
        raise ResellerQuotaOverCapacity(
            f"A quota cannot exceed the performance's capacity ({performance.capacity}).",
            capacity=performance.capacity,
        )
    quota = await session.scalar(
        select(ResellerQuota)
        .where(
            ResellerQuota.performance_id == performance.id,
            ResellerQuota.account_id == body.account_id,
        )
        .with_for_update()
    )
    already = (await sold(session, body.account_id, [performance.id]))[performance.id]
    if body.quota < already:
        raise ResellerQuotaBelowSold(
            f"The reseller already sold {already} tickets for this performance.", sold=already
        )
    now = clock.now()
    if quota is None:
        quota = ResellerQuota(
            id=uuid.uuid4(),
            ticket_office_id=office.id,
            performance_id=performance.id,
            account_id=body.account_id,
            quota=body.quota,
            created_at=now,
            updated_at=now,
        )
        session.add(quota)
    else:
        quota.quota = body.quota
        quota.updated_at = now
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.reseller_quota_set",
        office,
        {
            "account_id": str(body.account_id),
            "performance_id": str(performance.id),
            "quota": body.quota,
        },
    )
    return quota


def quotas_of(office_id: uuid.UUID, account_id: uuid.UUID | None = None) -> Select[ResellerQuota]:
    statement = select(ResellerQuota).where(ResellerQuota.ticket_office_id == office_id)
    if account_id is not None:
        statement = statement.where(ResellerQuota.account_id == account_id)
    return statement


async def quota_reads(
    session: AsyncSession, quotas: Sequence[ResellerQuota]
) -> list[ResellerQuotaRead]:
    """The quotas with what each reseller sold and may still sell."""
    counts: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    by_account: dict[uuid.UUID, list[uuid.UUID]] = {}
    for quota in quotas:
        by_account.setdefault(quota.account_id, []).append(quota.performance_id)
    for account_id, performance_ids in by_account.items():
        for performance_id, count in (await sold(session, account_id, performance_ids)).items():
            counts[(account_id, performance_id)] = count
    free = {
        row.id: row.capacity - row.sold
        for row in await session.execute(
            select(Performance.id, Performance.capacity, Performance.sold).where(
                Performance.id.in_({quota.performance_id for quota in quotas})
            )
        )
    }
    reads = []
    for quota in quotas:
        count = counts[(quota.account_id, quota.performance_id)]
        reads.append(
            ResellerQuotaRead(
                id=quota.id,
                account_id=quota.account_id,
                performance_id=quota.performance_id,
                quota=quota.quota,
                sold=count,
                remaining=max(0, min(quota.quota - count, free.get(quota.performance_id, 0))),
                created_at=quota.created_at,
                updated_at=quota.updated_at,
            )
        )
    return reads


async def take_quota(session: AsyncSession, order: TicketOrder, tickets: Sequence[Ticket]) -> None:
    """A reseller's order (its tickets flushed): within the seller's quota on each performance,
    else ResellerQuotaExceeded and the transaction rolls back."""
    if order.sold_by_account_id is None:
        raise ResellerQuotaExceeded("A reseller's sale needs its seller.")
    wanted = Counter(ticket.performance_id for ticket in tickets)
    performance_ids = sorted(wanted)
    quotas = {
        quota.performance_id: quota.quota
        for quota in await session.scalars(
            select(ResellerQuota)
            .where(
                ResellerQuota.account_id == order.sold_by_account_id,
                ResellerQuota.performance_id.in_(performance_ids),
            )
            .order_by(ResellerQuota.performance_id)
            .with_for_update()
        )
    }
    counts = await sold(session, order.sold_by_account_id, performance_ids)  # this order's too
    for performance_id in performance_ids:
        quota = quotas.get(performance_id, 0)
        if counts[performance_id] > quota:
            raise ResellerQuotaExceeded(
                "Not enough seats left in your quota for this performance.",
                performance_id=str(performance_id),
                remaining=max(0, quota - (counts[performance_id] - wanted[performance_id])),
            )
