"""The base of every request and response schema."""

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator


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
