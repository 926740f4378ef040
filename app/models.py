"""Every table's model, imported so Alembic sees the whole schema."""

from app.accounts.models import (
    Account,
    AccountAvatar,
    AccountToken,
    AuthSession,
    ConsumedToken,
    EmergencyCode,
    LoginAttempt,
    PersonalAccessToken,
    RefreshToken,
)
from app.activity.models import ActivityEntry
from app.core.db import Base
from app.core.idempotency import IdempotencyKey
from app.core.ratelimit import RateLimitCounter
from app.events.models import DomainEvent
from app.notifications.models import MailMessage
from app.organizations.models import Membership, Organization, Product

metadata = Base.metadata

__all__ = [
    "Account",
    "AccountAvatar",
    "AccountToken",
    "ActivityEntry",
    "AuthSession",
    "ConsumedToken",
    "DomainEvent",
    "EmergencyCode",
    "IdempotencyKey",
    "LoginAttempt",
    "MailMessage",
    "Membership",
    "Organization",
    "PersonalAccessToken",
    "Product",
    "RateLimitCounter",
    "RefreshToken",
    "metadata",
]
