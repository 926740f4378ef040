"""Value types of domain events that other packages may import."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Event:
    """A recorded domain event, as other packages see it (never the ORM row)."""

    id: uuid.UUID
    type: str
    organization_id: uuid.UUID | None
    account_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime
