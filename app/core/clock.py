"""The one source of "now". Tests move it with time-machine; SQL gets it from here, not NOW()."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def from_timestamp(seconds: int | float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)
