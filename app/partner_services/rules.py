"""The money rules of a partner's services, as pure functions on integer minor units.

- **Under contract**: a contract of at least the rate card's threshold a month (500 € by
  default) running at least one year (from ``starts_on`` to ``ends_on`` included) puts the
  client under contract on each day it runs. The status is derived, never recorded.
- **Work**: the hourly rate per quarter hour (``timing``); the day rate (a remote day, an
  on-site day: up to 8 h) caps the amount of each started 8 hours; a quarter hour started off
  hours costs 20 % more, i.e. the surcharge is 20 % of the share of the amount its off-hours
  quarter hours make up.
- **Travel** without a signed quote: distance x the per-km rate, plus the travel time (started
  quarter hours) at the hourly rate.
- **VAT** at the rate in force in the partner's country.
- **Late payment** (France, B2B: Code de commerce L441-10): interest at the ECB rate + 10
  points a year, per day late (actual/365), plus a fixed 40 € recovery indemnity. Countries
  without a rule here bear none.
"""

import math
from dataclasses import dataclass
from datetime import date, timedelta

from app.core.money import scale, share
from app.partner_services.timing import Quarters, quarters_of_minutes

SURCHARGE_BP = 2000
DAY_MINUTES = 8 * 60

VAT_RATES_BP: dict[str, int] = {
    "FR": 2000,
    "BE": 2100,
    "LU": 1700,
    "DE": 1900,
    "AT": 2000,
    "IT": 2200,
    "ES": 2100,
    "NL": 2100,
    "PT": 2300,
    "CH": 810,
}
"""The standard VAT rate in force per country (basis points)."""

LATE_PAYMENT_POINTS_BP = {"FR": 1000}
"""Points added to the ECB rate for late-payment interest, per country with such a rule."""
RECOVERY_INDEMNITY_MINOR = {"FR": 4000}
"""The fixed recovery indemnity per late invoice, per country (minor units of the invoice)."""


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def is_commitment(
    *, monthly_minor: int, starts_on: date, ends_on: date, threshold_minor: int
) -> bool:
    """Whether a contract commits the client enough to put it under contract."""
    return monthly_minor >= threshold_minor and ends_on >= add_years(starts_on, 1) - _ONE_DAY


@dataclass(frozen=True)
class Priced:
    minutes: int
    base_minor: int
    surcharge_minor: int

    @property
    def amount_minor(self) -> int:
        return self.base_minor + self.surcharge_minor


def price_work(work: Quarters, *, hourly_minor: int, day_minor: int) -> Priced:
    """What the quarter hours cost at an hourly rate, capped by a day rate, with the
    off-hours surcharge."""
    if work.count == 0:
        return Priced(0, 0, 0)
    hourly = scale(hourly_minor, work.minutes, 60)
    base = min(hourly, day_minor * math.ceil(work.minutes / DAY_MINUTES))
    off_share = scale(base, work.off_hours_count, work.count)
    return Priced(work.minutes, base, share(off_share, SURCHARGE_BP))


def price_travel(
    *, distance_km: int, travel_minutes: int, per_km_minor: int, hourly_minor: int
) -> tuple[int, int]:
    """(distance part, time part) of a trip made without a signed quote."""
    minutes = 15 * quarters_of_minutes(travel_minutes)
    return distance_km * per_km_minor, scale(hourly_minor, minutes, 60)


def vat_rate_bp(country: str) -> int:
    return VAT_RATES_BP[country.upper()]


@dataclass(frozen=True)
class LatePayment:
    days_late: int
    rate_bp: int
    interest_minor: int
    indemnity_minor: int

    @property
    def total_minor(self) -> int:
        return self.interest_minor + self.indemnity_minor


def late_payment(
    *, country: str, amount_minor: int, due_on: date, paid_on: date, ecb_rate_bp: int
) -> LatePayment:
    """The penalties of ``amount_minor`` due on ``due_on`` and paid (or assessed) on
    ``paid_on``; nothing when on time or in a country without a rule."""
    days = (paid_on - due_on).days
    points = LATE_PAYMENT_POINTS_BP.get(country.upper())
    if days <= 0 or points is None:
        return LatePayment(max(days, 0), 0, 0, 0)
    rate = ecb_rate_bp + points
    interest = scale(amount_minor, rate * days, 10_000 * 365)
    return LatePayment(days, rate, interest, RECOVERY_INDEMNITY_MINOR.get(country.upper(), 0))


_ONE_DAY = timedelta(days=1)
