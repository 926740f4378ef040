"""Response schemas built without validation from values just read from the database (the
orders' reads, in a list, a response or a batch job's event payloads): the same schema, the same
JSON, at a tenth of the cost (``Schema``'s validators run in Python on every field).

Only for values a validated read would take unchanged: rows' columns (enums come back as plain
strings and are made enums here, so that they serialize as a validated read does). Nested schemas
are passed built; JSON documents stored in a column (answers, an invoice) are validated by the
caller.
"""

import types
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

S = TypeVar("S", bound=BaseModel)


def constructed(schema: type[S], values: dict[str, Any]) -> S:
    """``schema`` with ``values`` (every field; the dict becomes the schema's own), unvalidated
    but for the enums."""
    for name, enum, members in _enum_fields(schema):
        value = values[name]
        if value is not None:
            values[name] = members.get(value) or enum(value)
    if not _plain(schema) or len(values) != len(schema.model_fields):
        return schema.model_construct(**values)
    # What model_construct does for a schema without aliases, defaults to fill, extra or private
    # attributes, without looking at each field again (a third of the cost of a payload).
    built = schema.__new__(schema)
    object.__setattr__(built, "__dict__", values)
    object.__setattr__(built, "__pydantic_fields_set__", set(values))
    object.__setattr__(built, "__pydantic_extra__", None)
    object.__setattr__(built, "__pydantic_private__", None)
    return built


@cache
def _plain(schema: type[BaseModel]) -> bool:
    return (
        not schema.__private_attributes__
        and not schema.__pydantic_post_init__
        and schema.model_config.get("extra") != "allow"
        and all(
            field.alias in (None, name) and field.validation_alias in (None, name)
            for name, field in schema.model_fields.items()
        )
    )


@cache
def _enum_fields(
    schema: type[BaseModel],
) -> tuple[tuple[str, type[Enum], dict[Any, Enum]], ...]:
    """The schema's enum fields, each with its enum and the enum's members by value (a lookup in
    a dict costs a tenth of calling the enum)."""
    found = []
    for name, field in schema.model_fields.items():
        annotation = field.annotation
        options = (
            get_args(annotation)
            if get_origin(annotation) in (Union, types.UnionType)
            else (annotation,)
        )
        for option in options:
            if isinstance(option, type) and issubclass(option, Enum):
                found.append((name, option, {member.value: member for member in option}))
    return tuple(found)
