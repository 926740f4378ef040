"""The base of every request and response schema."""

import dataclasses
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

T = TypeVar("T")


class Schema(BaseModel):
    """Rejects NUL characters in every string field: PostgreSQL cannot store them."""

    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


IPAddress = Annotated[str, BeforeValidator(lambda value: value if value is None else str(value))]
"""An IP address as text (PostgreSQL ``inet`` columns load as ``ipaddress`` objects)."""


def from_attributes(cls: type[T], source: object, **values: Any) -> T:
    """A ``cls`` (a dataclass or a schema) whose fields are ``values``, the others read from
    ``source``'s attributes of the same names (a row into what a response or another domain sees).
    """
    factory: Any = cls
    names = (
        [field.name for field in dataclasses.fields(factory)]
        if dataclasses.is_dataclass(cls)
        else list(factory.model_fields)
    )
    built: T = factory(
        **{name: getattr(source, name) for name in names if name not in values}, **values
    )
    return built
