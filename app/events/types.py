"""Value types of domain events that other packages may import."""

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class Readable:
    """Which events a caller may read: the ``types`` it reads whatever their object, and the
    types it reads only for some products (``by_product``: type → the payload key holding the
    product's id, and the ids of the products it may read them for)."""

    types: Collection[str]
    by_product: Mapping[str, tuple[str, Collection[uuid.UUID]]] = field(default_factory=dict)
