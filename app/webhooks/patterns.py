"""Event type patterns: an exact type (``order.created``), a family (``order.*``) or ``*``."""

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import Unprocessable
from app.events.catalog import EVENT_TYPES

_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
PATTERN_DESCRIPTION = (
    "An event type (`order.created`), every type of a family (`order.*`) or every type (`*`)."
)


class InvalidEventTypePattern(Unprocessable):
    code = "invalid_event_type_pattern"


def checked(patterns: Iterable[str], *, known_only: bool) -> list[str]:
    """The patterns, deduplicated, in order; refused when malformed (or, with ``known_only``,
    when an exact type is not in the catalog)."""
    result: list[str] = []
    for pattern in patterns:
        if not _PATTERN.match(pattern):
            raise InvalidEventTypePattern(f"{pattern!r} is not an event type pattern.")
        if known_only and not pattern.endswith("*") and pattern not in EVENT_TYPES:
            raise InvalidEventTypePattern(
                f"Unknown event type {pattern!r}: GET /v1/webhooks/event-types lists them."
            )
        if pattern not in result:
            result.append(pattern)
    return result


def matches(patterns: Sequence[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def sql_filter(column: InstrumentedAttribute[str], patterns: Sequence[str]) -> ColumnElement[bool]:
    if not patterns:
        return false()
    if "*" in patterns:
        return true()
    exact = [pattern for pattern in patterns if not pattern.endswith("*")]
    families = [pattern[:-1] for pattern in patterns if pattern.endswith(".*")]
    conditions: list[ColumnElement[bool]] = [
        column.startswith(f, autoescape=True) for f in families
    ]
    if exact:
        conditions.append(column.in_(exact))
    return or_(*conditions)
