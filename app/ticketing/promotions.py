"""Promotions: codes and automatic discounts on the tickets they cover.

Rules: one promotion per order (the code's when one is given, otherwise the automatic one worth
most); it covers the tickets of its event / performance / price category, inside its validity
window, when the order holds at least ``min_quantity`` of them. A percentage (basis points) comes
off each covered ticket rounded half up; a fixed amount comes off each covered ticket, never below
zero. A use is taken by one conditional UPDATE on the code's (or automatic promotion's) row, held
by a CHECK constraint too, so ``max_uses`` holds under any number of concurrent buyers. An order
cancelled whole gives its use back: the code can serve again within its ``max_uses``.
"""

import csv
import io
import secrets
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.money import check_currency, share
from app.ticketing import offices
from app.ticketing.errors import (
    EventNotFound,
    PromotionCodeTaken,
    PromotionCodeUnknown,
    PromotionNotApplicable,
    PromotionNotFound,
    PromotionScopeInvalid,
    PromotionUsedUp,
)
from app.ticketing.models import (
    DiscountKind,
    Performance,
    PriceCategory,
    Promotion,
    PromotionCode,
    Ticket,
    TicketOffice,
    TicketOrder,
)
from app.ticketing.sales_schemas import (
    PromotionCodesCreate,
    PromotionCreate,
    PromotionRead,
)

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_LENGTH = 10


def _generated(prefix: str) -> str:
    return prefix.upper() + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(GENERATED_LENGTH))


async def _check_scope(session: AsyncSession, office: TicketOffice, body: PromotionCreate) -> None:
    if body.event_id is None:
        if body.performance_id or body.price_category_id:
            raise PromotionScopeInvalid("A performance or price category needs its event_id.")
        return
    try:
        await offices.get_event(session, office.id, body.event_id)
    except EventNotFound as error:
        raise PromotionScopeInvalid("The event is not of this ticket office.") from error
    if body.performance_id and not await session.scalar(
        select(Performance.id).where(
            Performance.id == body.performance_id, Performance.event_id == body.event_id
        )
    ):
        raise PromotionScopeInvalid("The performance is not of this event.")
    if body.price_category_id and not await session.scalar(
        select(PriceCategory.id).where(
            PriceCategory.id == body.price_category_id, PriceCategory.event_id == body.event_id
        )
    ):
        raise PromotionScopeInvalid("The price category is not of this event.")


async def create_promotion(
    session: AsyncSession, office: TicketOffice, *, body: PromotionCreate, by: Actor
) -> Promotion:
    """A promotion with its first codes (chosen and/or generated), or an automatic one."""
    check_currency(body.currency, office.currency)
    await _check_scope(session, office, body)
    promotion = Promotion(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        name=body.name,
        automatic=body.automatic,
        kind=body.kind,
        amount=body.amount,
        event_id=body.event_id,
        performance_id=body.performance_id,
        price_category_id=body.price_category_id,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        min_quantity=body.min_quantity,
        max_uses=body.max_uses,
        uses=0,
        active=True,
        created_at=clock.now(),
    )
    session.add(promotion)
    await session.flush()
    added = await _insert_codes(session, promotion, body) if not body.automatic else []
    await offices.record(
        session,
        by,
        "ticketing.promotion_created",
        office,
        {"promotion_id": str(promotion.id), "name": promotion.name, "codes": len(added)},
    )
    return promotion


async def _insert_codes(
    session: AsyncSession, promotion: Promotion, body: PromotionCodesCreate
) -> list[str]:
    chosen = [code.upper() for code in body.codes]
    if len(set(chosen)) != len(chosen):
        raise PromotionCodeTaken("A code is listed twice.")
    wanted = chosen + [_generated(body.prefix) for _ in range(body.generate)]
    if not wanted:
        return []
    now = clock.now()
    inserted = set(
        await session.scalars(
            insert(PromotionCode)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "promotion_id": promotion.id,
                        "ticket_office_id": promotion.ticket_office_id,
                        "code": code,
                        "max_uses": promotion.max_uses,
                        "uses": 0,
                        "created_at": now,
                    }
                    for code in wanted
                ]
            )
            .on_conflict_do_nothing(index_elements=["ticket_office_id", "code"])
            .returning(PromotionCode.code)
        )
    )
    taken = [code for code in chosen if code not in inserted]
    if taken:
        raise PromotionCodeTaken("Some codes are already in use.", codes=taken)
    return [code for code in wanted if code in inserted]


async def add_codes(
    session: AsyncSession,
    office: TicketOffice,
    promotion: Promotion,
    *,
    body: PromotionCodesCreate,
    by: Actor,
) -> list[str]:
    """More codes for a promotion by code; returns those added."""
    if promotion.automatic:
        raise PromotionScopeInvalid("An automatic promotion has no codes.")
    added = await _insert_codes(session, promotion, body)
    await offices.record(
        session,
        by,
        "ticketing.promotion_codes_added",
        office,
        {"promotion_id": str(promotion.id), "codes": len(added)},
    )
    return added


async def update_promotion(
    session: AsyncSession,
    office: TicketOffice,
    promotion: Promotion,
    *,
    changes: dict[str, object],
    by: Actor,
) -> Promotion:
    """Switches a promotion on or off, or moves the end of its validity."""
    for field, value in changes.items():
        setattr(promotion, field, value)
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.promotion_updated",
        office,
        {"promotion_id": str(promotion.id), "fields": sorted(changes)},
    )
    return promotion


async def get_promotion(
    session: AsyncSession,
    office_id: uuid.UUID,
    promotion_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Promotion:
    statement = select(Promotion).where(
        Promotion.id == promotion_id, Promotion.ticket_office_id == office_id
    )
    return await one_or_raise(
        session, statement, PromotionNotFound("No such promotion."), for_update=for_update
    )


def promotions_of(office_id: uuid.UUID) -> Select[Promotion]:
    return select(Promotion).where(Promotion.ticket_office_id == office_id)


async def promotion_reads(
    session: AsyncSession, office: TicketOffice, promotions: Sequence[Promotion]
) -> list[PromotionRead]:
    """The office's promotions with their codes' count and uses, in one query whatever their
    number."""
    ids = [promotion.id for promotion in promotions]
    totals: dict[uuid.UUID, tuple[int, int]] = {}
    if ids:
        for promotion_id, count, uses in await session.execute(
            select(
                PromotionCode.promotion_id,
                func.count(),
                func.coalesce(func.sum(PromotionCode.uses), 0),
            )
            .where(PromotionCode.promotion_id.in_(ids))
            .group_by(PromotionCode.promotion_id)
        ):
            totals[promotion_id] = (int(count), int(uses))
    reads = []
    for promotion in promotions:
        count, uses = totals.get(promotion.id, (0, 0))
        reads.append(
            PromotionRead.model_validate(
                {
                    **{
                        field: getattr(promotion, field)
                        for field in PromotionRead.model_fields
                        if field not in ("uses", "codes", "currency")
                    },
                    "currency": office.currency,
                    "uses": promotion.uses if promotion.automatic else uses,
                    "codes": count,
                }
            )
        )
    return reads


async def codes_of(session: AsyncSession, promotion: Promotion) -> list[PromotionCode]:
    return list(
        await session.scalars(
            select(PromotionCode)
            .where(PromotionCode.promotion_id == promotion.id)
            .order_by(PromotionCode.created_at, PromotionCode.code)
        )
    )


def codes_csv(promotion: Promotion, codes: Sequence[PromotionCode]) -> str:
    """One line per code: the code, its uses and its limit (empty: none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "promotion", "uses", "max_uses"])
    for code in codes:
        writer.writerow(
            [code.code, promotion.name, code.uses, "" if code.max_uses is None else code.max_uses]
        )
    return out.getvalue()


# --- At checkout ---


def _covers(promotion: Promotion, order: TicketOrder, ticket: Ticket) -> bool:
    return (
        (promotion.event_id is None or promotion.event_id == order.event_id)
        and (promotion.performance_id is None or promotion.performance_id == ticket.performance_id)
        and (
            promotion.price_category_id is None
            or promotion.price_category_id == ticket.price_category_id
        )
    )


def _in_force(promotion: Promotion, now: datetime) -> bool:
    return (
        promotion.active
        and (promotion.valid_from is None or promotion.valid_from <= now)
        and (promotion.valid_until is None or now < promotion.valid_until)
    )


def _discounts(
    promotion: Promotion, order: TicketOrder, tickets: Sequence[Ticket]
) -> dict[int, int] | None:
    """The discount on each covered ticket (by position), or None where it does not apply."""
    covered = [i for i, ticket in enumerate(tickets) if _covers(promotion, order, ticket)]
    if not covered or len(covered) < promotion.min_quantity:
        return None
    discounts = {}
    for i in covered:
        price = tickets[i].price_minor
        percent = promotion.kind == DiscountKind.percent
        off = share(price, promotion.amount) if percent else promotion.amount
        discounts[i] = min(off, price)
    return discounts


async def apply(
    session: AsyncSession,
    office: TicketOffice,
    order: TicketOrder,
    tickets: Sequence[Ticket],
    code: str | None,
) -> None:
    """Discounts the order's tickets by the code's promotion, or by the best automatic one, and
    takes one of its uses. Raises for an unknown, inapplicable or used-up code."""
    now = clock.now()
    if code is not None:
        row = (
            await session.execute(
                select(PromotionCode, Promotion)
                .join(Promotion, Promotion.id == PromotionCode.promotion_id)
                .where(
                    PromotionCode.ticket_office_id == office.id,
                    PromotionCode.code == code.strip().upper(),
                )
            )
        ).one_or_none()
        if row is None:
            raise PromotionCodeUnknown("No such promotion code.")
        promo_code, promotion = row
        discounts = _discounts(promotion, order, tickets) if _in_force(promotion, now) else None
        if not discounts:
            raise PromotionNotApplicable(
                "This code does not apply to this order (dates, tickets or quantity)."
            )
        if not await _take_use(session, PromotionCode, promo_code.id):
            raise PromotionUsedUp("This code has been used as many times as it may.")
        order.promotion_code = promo_code.code
        _discount(order, promotion, tickets, discounts)
        return
    candidates = []
    for promotion in await session.scalars(
        select(Promotion).where(
            Promotion.ticket_office_id == office.id,
            Promotion.automatic.is_(True),
            Promotion.active.is_(True),
            (Promotion.event_id.is_(None)) | (Promotion.event_id == order.event_id),
        )
    ):
        discounts = _discounts(promotion, order, tickets) if _in_force(promotion, now) else None
        if discounts:
            candidates.append((sum(discounts.values()), promotion.id, promotion, discounts))
    for _, _, promotion, discounts in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if await _take_use(session, Promotion, promotion.id):
            _discount(order, promotion, tickets, discounts)
            return


async def _take_use(
    session: AsyncSession, model: type[Promotion] | type[PromotionCode], row_id: uuid.UUID
) -> bool:
    taken = await session.scalar(
        update(model)
        .where(model.id == row_id, model.max_uses.is_(None) | (model.uses < model.max_uses))
        .values(uses=model.uses + 1)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return taken is not None


def _discount(
    order: TicketOrder,
    promotion: Promotion,
    tickets: Sequence[Ticket],
    discounts: dict[int, int],
) -> None:
    for i, off in discounts.items():
        tickets[i].discount_minor = off
        tickets[i].price_minor -= off
    order.promotion_id = promotion.id
    order.discount_minor = sum(discounts.values())


async def give_back(session: AsyncSession, cancelled: Sequence[TicketOrder]) -> None:
    """The uses taken by orders now cancelled whole return to their codes (or automatic
    promotions), one UPDATE per row, in a fixed order so that concurrent cancellations never
    deadlock."""
    codes: Counter[tuple[uuid.UUID, str]] = Counter()
    automatic: Counter[uuid.UUID] = Counter()
    for order in cancelled:
        if order.promotion_code is not None:
            codes[(order.ticket_office_id, order.promotion_code)] += 1
        elif order.promotion_id is not None:
            automatic[order.promotion_id] += 1
    for office_id, code in sorted(codes):
        count = codes[(office_id, code)]
        await session.execute(
            update(PromotionCode)
            .where(PromotionCode.ticket_office_id == office_id, PromotionCode.code == code)
            .values(uses=func.greatest(PromotionCode.uses - count, 0))
            .execution_options(synchronize_session=False)
        )
    for promotion_id in sorted(automatic):
        await session.execute(
            update(Promotion)
            .where(Promotion.id == promotion_id)
            .values(uses=func.greatest(Promotion.uses - automatic[promotion_id], 0))
            .execution_options(synchronize_session=False)
        )
