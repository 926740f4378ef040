import uuid
from datetime import datetime

from app.core.schemas import Schema
from app.organizations.models import OrganizationKind, Role


class OrganizationRead(Schema):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    country: str
    currency: str
    phone: str | None
    is_partner: bool
    require_two_factor: bool
    created_at: datetime


class MyOrganization(OrganizationRead):
    role: Role
