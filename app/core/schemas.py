"""The base of every request and response schema."""

import dataclasses
from typing import Annotated, Any, ClassVar, TypeVar, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

T = TypeVar("T")


class Schema(BaseModel):
    """Rejects NUL characters in every string field: PostgreSQL cannot store them."""

    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=False)
    carries_credentials: ClassVar[bool] = False
    """True on a response holding a secret (a token, a key, codes): never stored for replay."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
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
    names = (
        [field.name for field in dataclasses.fields(factory)]
        if dataclasses.is_dataclass(cls)
        else list(factory.model_fields)
    )
    built: T = factory(
        **{name: getattr(source, name) for name in names if name not in values}, **values
    )
    return built
