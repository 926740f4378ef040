"""Every table's model, imported so Alembic sees the whole schema."""

from app.core.db import Base
from app.core.idempotency import IdempotencyKey

metadata = Base.metadata

__all__ = ["IdempotencyKey", "metadata"]
