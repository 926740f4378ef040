"""The billing rules of a partner's services, to the cent: quarter hours, business hours and
public holidays, the surcharge, the day cap, contracts, travel, VAT and late payment."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.partner_services import rules
from app.partner_services.timing import Calendar, quarters

PARIS = ZoneInfo("Europe/Paris")
FRANCE = Calendar()
CONTRACT = {"hourly_minor": 7500, "day_minor": 55000}
OFF_CONTRACT = {"hourly_minor": 9000, "day_minor": 65000}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


TUESDAY = date(2026, 12, 1)
SATURDAY = date(2026, 12, 5)
MONDAY = date(2026, 12, 7)
BASTILLE_DAY = date(2026, 7, 14)  # a Tuesday


def test_every_started_quarter_hour_is_due() -> None:
    assert quarters(at(TUESDAY, 10), at(TUESDAY, 10, 1), FRANCE).minutes == 15
    assert quarters(at(TUESDAY, 10), at(TUESDAY, 10, 15), FRANCE).minutes == 15
    assert quarters(at(TUESDAY, 10), at(TUESDAY, 10, 16), FRANCE).minutes == 30
    assert quarters(at(TUESDAY, 10), at(TUESDAY, 10), FRANCE).minutes == 0


def test_tuesday_under_contract_70_minutes_bill_1h15_at_93_75() -> None:
    work = quarters(at(TUESDAY, 10), at(TUESDAY, 11, 10), FRANCE)
    assert (work.minutes, work.off_hours_count) == (75, 0)
    priced = rules.price_work(work, **CONTRACT)
    assert (priced.base_minor, priced.surcharge_minor, priced.amount_minor) == (9375, 0, 9375)


def test_saturday_off_contract_20_minutes_bill_30_plus_20_percent_54_00() -> None:
    work = quarters(at(SATURDAY, 10), at(SATURDAY, 10, 20), FRANCE)
    assert (work.minutes, work.off_hours_count) == (30, 2)
    priced = rules.price_work(work, **OFF_CONTRACT)
    assert (priced.base_minor, priced.surcharge_minor, priced.amount_minor) == (4500, 900, 5400)


def test_a_public_holiday_in_business_hours_is_surcharged() -> None:
    work = quarters(at(BASTILLE_DAY, 10), at(BASTILLE_DAY, 11), FRANCE)
    assert work.off_hours_count == 4
    assert rules.price_work(work, **OFF_CONTRACT).amount_minor == 10800
    ordinary = quarters(at(date(2026, 7, 15), 10), at(date(2026, 7, 15), 11), FRANCE)
    assert ordinary.off_hours_count == 0


def test_a_regional_holiday_comes_from_the_partner_region() -> None:
    good_friday = date(2026, 4, 3)
    assert FRANCE.is_business_time(at(good_friday, 10))
    assert not Calendar(country="FR", subdivision="57").is_business_time(at(good_friday, 10))


def test_monday_18_30_to_19_30_surcharges_the_quarter_hours_starting_from_19_00() -> None:
    work = quarters(at(MONDAY, 18, 30), at(MONDAY, 19, 30), FRANCE)
    assert work.off_hours == (False, False, True, True)
    under = rules.price_work(work, **CONTRACT)
    assert (under.base_minor, under.surcharge_minor, under.amount_minor) == (7500, 750, 8250)
    off = rules.price_work(work, **OFF_CONTRACT)
    assert off.amount_minor == 9900


def test_a_quarter_hour_started_before_19_00_is_not_surcharged() -> None:
    work = quarters(at(MONDAY, 18, 50), at(MONDAY, 19, 6), FRANCE)
    assert work.off_hours == (False, True)
    assert quarters(at(MONDAY, 7, 50), at(MONDAY, 8, 6), FRANCE).off_hours == (True, False)


def test_business_hours_are_the_partner_time_zone() -> None:
    utc_evening = datetime(2026, 12, 1, 17, 30, tzinfo=ZoneInfo("UTC"))  # 18:30 in Paris
    assert FRANCE.is_business_time(utc_evening)
    assert not Calendar(time_zone="Europe/Athens").is_business_time(utc_evening)  # 19:30


def test_the_day_rate_caps_a_remote_day() -> None:
    work = quarters(at(TUESDAY, 8), at(TUESDAY, 16), FRANCE)
    assert rules.price_work(work, **CONTRACT).amount_minor == 55000  # not 8 x 75.00


def test_included_quarter_hours_are_taken_first() -> None:
    work = quarters(at(MONDAY, 18, 30), at(MONDAY, 19, 30), FRANCE).after(2)
    assert work.off_hours == (True, True)
    assert rules.price_work(work, **CONTRACT).amount_minor == 4500


def test_under_contract_needs_500_a_month_for_a_year() -> None:
    threshold = 50000
    start = date(2026, 1, 1)
    assert rules.is_commitment(
        monthly_minor=60000, starts_on=start, ends_on=date(2026, 12, 31), threshold_minor=threshold
    )
    assert not rules.is_commitment(
        monthly_minor=40000, starts_on=start, ends_on=date(2026, 12, 31), threshold_minor=threshold
    )
    assert not rules.is_commitment(
        monthly_minor=60000, starts_on=start, ends_on=date(2026, 6, 30), threshold_minor=threshold
    )
    assert not rules.is_commitment(
        monthly_minor=60000, starts_on=start, ends_on=date(2026, 12, 30), threshold_minor=threshold
    )


def test_travel_is_distance_times_rate_plus_travel_time() -> None:
    distance, time = rules.price_travel(
        distance_km=30, travel_minutes=40, per_km_minor=50, hourly_minor=9000
    )
    assert (distance, time) == (1500, 6750)


def test_french_late_payment_is_ecb_plus_10_points_and_40_euros() -> None:
    late = rules.late_payment(
        country="FR",
        amount_minor=11250,
        due_on=date(2026, 12, 31),
        paid_on=date(2027, 1, 15),
        ecb_rate_bp=215,
    )
    # 112.50 x 12.15 % x 15 / 365 = 0.5617 -> 0.56
    assert (late.days_late, late.rate_bp, late.interest_minor) == (15, 1215, 56)
    assert late.indemnity_minor == 4000
    on_time = rules.late_payment(
        country="FR",
        amount_minor=11250,
        due_on=date(2026, 12, 31),
        paid_on=date(2026, 12, 31),
        ecb_rate_bp=215,
    )
    assert on_time.total_minor == 0


def test_vat_is_that_of_the_partner_country() -> None:
    assert rules.vat_rate_bp("FR") == 2000
