"""A partner's rate card: its rates (the defaults are those of the provider's terms), its time
zone and country (business hours, public holidays, VAT, late-payment rules) and its invoice
numbering. A partner that never set one works with the defaults."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.partner_services import rules
from app.partner_services.errors import UnknownCountry
from app.partner_services.models import RateCard
from app.partner_services.schemas import RateCardRead, RateCardUpdate
from app.partner_services.timing import Calendar, holiday_calendar

DEFAULTS = {
    "currency": "EUR",
    "contract_hourly_minor": 7500,
    "contract_remote_day_minor": 55000,
    "contract_on_site_day_minor": 60000,
    "hourly_minor": 9000,
    "remote_day_minor": 65000,
    "on_site_day_minor": 75000,
    "per_km_minor": 50,
    "contract_threshold_minor": 50000,
    "time_zone": "Europe/Paris",
    "country": "FR",
    "subdivision": None,
    "invoice_prefix": "F",
    "iban": None,
}


async def card_of(
    session: AsyncSession, partner_id: uuid.UUID, *, for_update: bool = False
) -> RateCard:
    """The partner's rate card; the defaults, not stored, while it never changed them (a
    ``for_update`` caller gets them stored, to change them)."""
    card = await session.get(RateCard, partner_id, with_for_update=for_update)
    if card is None:
        card = RateCard(partner_organization_id=partner_id, updated_at=clock.now(), **DEFAULTS)
        if for_update:
            session.add(card)
            await session.flush()
    return card


def calendar_of(card: RateCard) -> Calendar:
    return Calendar(time_zone=card.time_zone, country=card.country, subdivision=card.subdivision)


def read(card: RateCard) -> RateCardRead:
    return RateCardRead.model_validate(
        {
            **{column: getattr(card, column) for column in DEFAULTS},
            "partner_organization_id": card.partner_organization_id,
            "vat_rate_bp": rules.vat_rate_bp(card.country),
        }
    )


async def update(
    session: AsyncSession, partner_id: uuid.UUID, body: RateCardUpdate, *, by: Actor
) -> RateCard:
    card = await card_of(session, partner_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    country = changes.get("country", card.country)
    subdivision = changes.get("subdivision", card.subdivision)
    if country not in rules.VAT_RATES_BP:
        raise UnknownCountry(f"No VAT rate is known for {country}.")
    try:
        holiday_calendar(country, subdivision)
    except NotImplementedError:
        raise UnknownCountry(f"No public holidays are known for {country} {subdivision}.") from None
    for name, value in changes.items():
        if value is not None or name in ("subdivision", "iban"):
            setattr(card, name, value)
    card.updated_at = clock.now()
    await session.flush()
    await activity.record(
        session,
        by,
        "partner_services.rate_card_updated",
        organization_id=partner_id,
        details={"changed": sorted(changes)},
    )
    return card
