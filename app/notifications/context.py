"""A mail's context as stored in the outbox (JSON), so that rendering it when the mail is sent
gives exactly the mail that rendering it when queued would have given.

Strings, integers, booleans and None are stored as they are, lists and tuples as lists. The values
that ``rendering`` formats by their type keep it with a tag: ``{"$date": "2026-12-07"}``, and
likewise ``$datetime``, ``$decimal``, ``$float`` and ``$uuid``. A ``str`` or ``int`` subclass (an
enum) is stored as the plain value a template shows. Anything else is refused when the mail is
queued (ValueError), never when it is sent. Stored contexts hold no other object than tags, so
``load`` knows every object it meets is one.
"""

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_PLAIN = (str, int, bool, type(None))
_LOADERS: dict[str, Callable[[str], Any]] = {
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$decimal": Decimal,
    "$float": float,
    "$uuid": uuid.UUID,
}


def dump(context: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` as JSON values; raises ValueError for a value that cannot be stored."""
    return {name: _dump(name, value) for name, value in context.items()}


def load(stored: Mapping[str, Any]) -> dict[str, Any]:
    """The context ``dump`` stored, with its values' types back."""
    return {name: _load(value) for name, value in stored.items()}


def _dump(name: str, value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:  # the usual case first: one lookup
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)  # what a template prints for it
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, list | tuple):
        return [_dump(name, item) for item in value]
    raise ValueError(f"mail context value {name!r} of type {kind.__name__} cannot be stored")


def _load(value: Any) -> Any:
    if isinstance(value, dict):
        [(tag, text)] = value.items()
        return _LOADERS[tag](text)
    if isinstance(value, list):
        return [_load(item) for item in value]
    return value
