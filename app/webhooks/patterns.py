"""Event type patterns: an exact type (``order.created``), a family (``order.*``) or ``*``."""

import re
from collections.abc import Iterable, Sequence

from app.events.catalog import EVENT_TYPES
from app.webhooks.errors import InvalidEventTypePattern

_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")
PATTERN_DESCRIPTION = (
    "An event type (`order.created`), every type of a family (`order.*`) or every type (`*`)."
)


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


def split(patterns: Sequence[str]) -> tuple[list[str], list[str]] | None:
    """What ``patterns`` select: None for every type, else the exact types and the prefixes of
    the families (``order.`` for ``order.*``)."""
    if "*" in patterns:
        return None
    exact = [pattern for pattern in patterns if not pattern.endswith("*")]
    families = [pattern[:-1] for pattern in patterns if pattern.endswith(".*")]
    return exact, families
