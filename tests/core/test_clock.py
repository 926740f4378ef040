"""The clock is the one "now" and tests move it."""

from datetime import UTC, datetime, timedelta

import time_machine

from app.core import clock


def test_now_is_aware_utc() -> None:
    assert clock.now().tzinfo is UTC


def test_moving_the_clock_moves_now() -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        assert clock.now() == start
        traveller.shift(timedelta(days=10))
        assert clock.now() == start + timedelta(days=10)
