"""Every table's model, imported so Alembic sees the whole schema."""

from app.core.db import Base
from app.core.idempotency import IdempotencyKey
from app.events.models import DomainEvent
from app.notifications.models import MailMessage

metadata = Base.metadata

__all__ = ["DomainEvent", "IdempotencyKey", "MailMessage", "metadata"]
