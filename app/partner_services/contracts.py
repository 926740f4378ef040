"""Contracts: a client's monthly commitment to its partner. "Under contract" is derived from
them on each day (``rules.is_commitment``), never recorded. Each month a contract runs is
invoiced once (a unique line per contract and month start)."""

import uuid
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core.money import check_currency
from app.partner_services import journal, rate_cards, rules
from app.partner_services.models import Contract, InvoiceLine, RateCard
from app.partner_services.schemas import ContractCreate, ContractRead, read_model
from app.partner_services.types import PartnerLineKind


def contracts_of(partner_id: uuid.UUID, client_id: uuid.UUID) -> Select[Contract]:
    return select(Contract).where(
        Contract.partner_organization_id == partner_id,
        Contract.client_organization_id == client_id,
    )


def read(contract: Contract, card: RateCard) -> ContractRead:
    return read_model(ContractRead, contract, commitment=commits(contract, card))


def commits(contract: Contract, card: RateCard) -> bool:
    return rules.is_commitment(
        monthly_minor=contract.monthly_minor,
        starts_on=contract.starts_on,
        ends_on=contract.ends_on,
        threshold_minor=card.contract_threshold_minor,
    )


async def create(
    session: AsyncSession,
    *,
    partner_id: uuid.UUID,
    client_id: uuid.UUID,
    body: ContractCreate,
    by: Actor,
) -> ContractRead:
    """Records a contract in the rate card's currency (``body.currency``, when given, must be
    it)."""
    card = await rate_cards.card_of(session, partner_id)
    check_currency(body.currency, card.currency)
    contract = Contract(
        id=uuid.uuid4(),
        partner_organization_id=partner_id,
        client_organization_id=client_id,
        description=body.description,
        monthly_minor=body.monthly_minor,
        currency=card.currency,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        included_minutes=body.included_minutes,
        created_by=by.account_id,
    )
    session.add(contract)
    await session.flush()
    result = read(contract, card)
    await journal.record(
        session,
        by,
        "contract_recorded",
        partner_id=partner_id,
        client_id=client_id,
        details={"contract_id": str(contract.id), "monthly_minor": contract.monthly_minor},
    )
    return result


async def running(
    session: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID, on: date
) -> list[Contract]:
    return list(
        await session.scalars(
            contracts_of(partner_id, client_id)
            .where(Contract.starts_on <= on, Contract.ends_on >= on)
            .order_by(Contract.starts_on, Contract.id)
        )
    )


async def under_contract(
    session: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID, on: date
) -> bool:
    card = await rate_cards.card_of(session, partner_id)
    return any(commits(c, card) for c in await running(session, partner_id, client_id, on))


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def month_starts(contract: Contract, until: date) -> list[date]:
    """The start of each month of the contract that has begun by ``until``."""
    starts = []
    index = 0
    while (start := add_months(contract.starts_on, index)) <= min(until, contract.ends_on):
        starts.append(start)
        index += 1
    return starts


def month_of(contract: Contract, day: date) -> date:
    """The start of the contract month ``day`` falls in."""
    starts = month_starts(contract, day)
    return starts[-1] if starts else contract.starts_on


async def uninvoiced_months(session: AsyncSession, contract: Contract, until: date) -> list[date]:
    invoiced = set(
        await session.scalars(
            select(InvoiceLine.period_start).where(
                InvoiceLine.contract_id == contract.id,
                InvoiceLine.kind == PartnerLineKind.contract_month,
            )
        )
    )
    if contract.monthly_minor == 0:
        return []
    return [start for start in month_starts(contract, until) if start not in invoiced]


async def included_used(session: AsyncSession, contract: Contract, month_start: date) -> int:
    """Included minutes already taken in that contract month (on issued invoices)."""
    used = await session.scalars(
        select(InvoiceLine.included_minutes).where(
            InvoiceLine.contract_id == contract.id,
            InvoiceLine.period_start == month_start,
            InvoiceLine.kind == PartnerLineKind.intervention,
        )
    )
    return sum(used)
