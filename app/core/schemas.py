"""The base of every request and response schema.

- No string field takes a NUL character (PostgreSQL cannot store one).
- JSON types are taken as they are: an integer field refuses ``"10"``, ``10.0``, ``1e3`` and
  ``true``, a boolean field refuses ``0``, ``1`` and ``"true"``, a date-time field refuses a
  number (pydantic would read seconds since 1970) — a 422 naming the field, at any depth of lists
  and mappings. Values that are not JSON (ORM attributes) validate as usual. ``Instant`` is that
  date-time rule for query parameters.
- ``Omittable[T]``: a field of a partial update that may be left out but is never null (its schema
  says so); ``T | None`` stays for the fields where null means "clear it".
"""

import dataclasses
import re
import types
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, TypeVar, Union, cast, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

_T = TypeVar("_T")
T = TypeVar("T")
SchemaT = TypeVar("SchemaT", bound=BaseModel)


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null_not_allowed", "May be left out, but not null")
    return value


Omittable = Annotated[_T | SkipJsonSchema[None], BeforeValidator(_not_null)]
"""Left out: unchanged (the attribute reads ``None``); null: a 422, not a database error."""


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise PydanticCustomError("datetime_type", "Input should be an ISO 8601 date-time")
    return value


Instant = Annotated[datetime, BeforeValidator(_iso_datetime)]
"""A date-time given as ISO 8601 text only (never a number of seconds)."""


def _bare(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _scalar_errors(annotation: Any, value: Any) -> PydanticCustomError | None:
    """A JSON value of the wrong type for an ``int`` or ``bool`` somewhere in ``annotation``."""
    annotation = _bare(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        kinds = [arg for arg in get_args(annotation) if _bare(arg) is not type(None)]
        return _scalar_errors(kinds[0], value) if len(kinds) == 1 else None
    if annotation is bool:
        if not isinstance(value, bool) and isinstance(value, int | float | str):
            return PydanticCustomError("bool_type", "Input should be a JSON boolean")
        return None
    if annotation is int:
        if isinstance(value, bool | float | str):
            return PydanticCustomError("int_type", "Input should be a JSON integer")
        return None
    if annotation is datetime:
        try:
            _iso_datetime(value)
        except PydanticCustomError as error:
            return error
        return None
    if origin in (list, set, frozenset, tuple) and isinstance(value, list):
        item = get_args(annotation)[0] if get_args(annotation) else Any
        return next(filter(None, (_scalar_errors(item, entry) for entry in value)), None)
    if origin is dict and isinstance(value, dict) and len(get_args(annotation)) == 2:
        item = get_args(annotation)[1]
        return next(filter(None, (_scalar_errors(item, entry) for entry in value.values())), None)
    return None


ScalarCheck = Callable[[Any], PydanticCustomError | None]


def _scalar_check(annotation: Any) -> ScalarCheck | None:
    """``_scalar_errors`` for one annotation, with the common cases decided up front: a plain
    ``int``, ``bool`` or ``datetime`` field (optional or not) checks the value's type at once."""
    bare = _bare(annotation)
    if get_origin(bare) in (Union, types.UnionType):
        kinds = [arg for arg in get_args(bare) if _bare(arg) is not type(None)]
        if len(kinds) == 1 and _bare(kinds[0]) in (int, bool, datetime):
            bare = _bare(kinds[0])
    if bare is int:
        return lambda value: _scalar_errors(int, value) if type(value) is not int else None
    if bare is bool:
        return lambda value: _scalar_errors(bool, value) if type(value) is not bool else None
    if bare is datetime:
        return lambda value: None if isinstance(value, datetime) else _scalar_errors(bare, value)
    if not _has_scalar(annotation):
        return None
    return lambda value: _scalar_errors(annotation, value)


def _has_scalar(annotation: Any) -> bool:
    return annotation in (int, bool, datetime) or any(
        _has_scalar(arg) for arg in get_args(annotation)
    )


FROM_DATABASE: dict[str, Any] = {}
"""The validation context of a response built from stored values (``from_database``): the
checks of what a client sends are skipped (the database holds no NUL, and its values have
their types already)."""


def from_database(cls: type[SchemaT], data: Any) -> SchemaT:
    """``cls`` validated from stored values (a mapping, or an object's attributes)."""
    return cls.model_validate(data, context=FROM_DATABASE)


def _no_null_defaults(schema: dict[str, Any]) -> None:
    """Drops ``"default": null`` from the properties that cannot be null (``Omittable``)."""
    for prop in schema.get("properties", {}).values():
        nullable = any(kind.get("type") == "null" for kind in prop.get("anyOf", ()))
        if "default" in prop and prop["default"] is None and not nullable:
            del prop["default"]


class Schema(BaseModel):
    """Rejects NUL characters and JSON values of the wrong scalar type (module docstring)."""

    model_config = ConfigDict(
        from_attributes=True, str_strip_whitespace=False, json_schema_extra=_no_null_defaults
    )

    carries_credentials: ClassVar[bool] = False
    """True on a response holding a secret (a token, a key, codes): never stored for replay."""

    _scalar_checks: ClassVar[dict[str, ScalarCheck]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._scalar_checks = {
            name: check
            for name, field in cls.model_fields.items()
            if (check := _scalar_check(field.annotation)) is not None
        }

    @field_validator("*", mode="before")
    @classmethod
    def _json_scalar_types(cls, value: Any, info: ValidationInfo) -> Any:
        if info.context is FROM_DATABASE:
            return value
        check = cls._scalar_checks.get(info.field_name or "")
        if check is not None and value is not None:
            error = check(value)
            if error is not None:
                raise error
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any, info: ValidationInfo) -> Any:
        if info.context is not FROM_DATABASE and isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def carries_credentials(annotation: Any) -> bool:
    """Whether a response of this type holds a secret, in itself or in a nested schema."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if getattr(annotation, "carries_credentials", False):
            return True
        return any(
            carries_credentials(field.annotation) for field in annotation.model_fields.values()
        )
    return any(carries_credentials(argument) for argument in get_args(annotation))


IPAddress = Annotated[str, BeforeValidator(lambda value: value if value is None else str(value))]
"""An IP address as text (PostgreSQL ``inet`` columns load as ``ipaddress`` objects)."""


def from_attributes(cls: type[T], source: object, **values: Any) -> T:
    """A ``cls`` (a dataclass or a schema) whose fields are ``values``, the others read from
    ``source``'s attributes of the same names (a row into what a response or another domain sees).
    """
    factory: Any = cls
    if dataclasses.is_dataclass(cls):
        names = [field.name for field in dataclasses.fields(factory)]
        built: T = factory(
            **{name: getattr(source, name) for name in names if name not in values}, **values
        )
        return built
    data = {name: getattr(source, name) for name in factory.model_fields if name not in values}
    if isinstance(cls, type) and issubclass(cls, Schema):
        return cast(T, from_database(cls, data | values))
    return cast(T, factory(**data, **values))
