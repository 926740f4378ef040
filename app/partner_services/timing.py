"""Business hours and quarter hours: the rule time is billed by.

- Every started quarter hour is due: 1 minute bills 15, 16 minutes bill 30.
- Quarter hours are counted from the start of the intervention (10:00, 10:15, …); the last one
  started counts whole.
- **A quarter hour is surcharged when it starts outside business hours**, and not when it starts
  inside them. Business hours are Monday to Friday, 08:00 (included) to 19:00 (excluded), in the
  partner's time zone, public holidays of the partner's country (and region) excluded.
  So Monday 18:30-19:30 is four quarter hours: 18:30 and 18:45 at the normal rate, 19:00 and
  19:15 surcharged; 18:50-19:06 is two quarter hours, 18:50 normal, 19:05 surcharged.
- Time cut off (a stop requested by the client) is cut before counting quarter hours.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

QUARTER = timedelta(minutes=15)
OPENS = time(8, 0)
CLOSES = time(19, 0)


def holiday_calendar(country: str, subdivision: str | None = None) -> holidays.HolidayBase:
    """The public holidays of ``country`` (ISO 3166-1 alpha-2) and its ``subdivision``;
    NotImplementedError for a country the ``holidays`` package does not know."""
    return holidays.country_holidays(country, subdiv=subdivision)


@dataclass(frozen=True)
class Calendar:
    """When the partner works at its normal rates."""

    time_zone: str = "Europe/Paris"
    country: str = "FR"
    subdivision: str | None = None
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", ZoneInfo(self.time_zone))

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holiday_calendar(self.country, self.subdivision)

    def is_holiday(self, day: date) -> bool:
        return day in self._holidays

    def is_business_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self._zone)
        return (
            local.weekday() < 5
            and OPENS <= local.time() < CLOSES
            and not self.is_holiday(local.date())
        )


@dataclass(frozen=True)
class Quarters:
    """The quarter hours of a span, in order: True for each one surcharged (off hours)."""

    off_hours: tuple[bool, ...] = ()

    @property
    def count(self) -> int:
        return len(self.off_hours)

    @property
    def minutes(self) -> int:
        return 15 * self.count

    @property
    def off_hours_count(self) -> int:
        return sum(self.off_hours)

    def after(self, skipped: int) -> "Quarters":
        """The quarter hours left once the first ``skipped`` are taken (included hours)."""
        return Quarters(self.off_hours[max(skipped, 0) :])


def quarters(start: datetime, end: datetime, calendar: Calendar) -> Quarters:
    """The quarter hours due for work from ``start`` to ``end`` (none when ``end <= start``)."""
    if end <= start:
        return Quarters()
    count = math.ceil((end - start) / QUARTER)
    return Quarters(
        tuple(not calendar.is_business_time(start + index * QUARTER) for index in range(count))
    )


def quarters_of_minutes(minutes: int) -> int:
    """Started quarter hours in ``minutes`` (travel time)."""
    return math.ceil(max(minutes, 0) / 15)
