"""The base of every request and response schema."""

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class Schema(BaseModel):
    """Rejects NUL characters in every string field: PostgreSQL cannot store them."""

    model_config = ConfigDict(from_attributes=True, str_strip_whitespace=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value
