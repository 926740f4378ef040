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
from app.billing.models import (
    BankTransfer,
    CartItem,
    Counter,
    FreeGrant,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentProfile,
    Plan,
    PlanPrice,
    PrepaidAccount,
    PrepaidEntry,
    PromoCode,
    PromoRedemption,
    Renewal,
    Subscription,
    VatRate,
    VolumeTier,
    Withdrawal,
)
from app.billing.models import Order as BillingOrder
from app.core.db import Base
from app.core.idempotency import IdempotencyKey
from app.core.ratelimit import RateLimitCounter
from app.events.models import DomainEvent
from app.notifications.models import MailMessage
from app.organizations.models import Membership, Organization, Product
from app.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEventFanout,
    WebhookSubscription,
)

metadata = Base.metadata

__all__ = [
    "Account",
    "AccountAvatar",
    "AccountToken",
    "ActivityEntry",
    "AuthSession",
    "BankTransfer",
    "BillingOrder",
    "CartItem",
    "ConsumedToken",
    "Counter",
    "DomainEvent",
    "EmergencyCode",
    "FreeGrant",
    "IdempotencyKey",
    "Invoice",
    "InvoiceLine",
    "LoginAttempt",
    "MailMessage",
    "Membership",
    "Organization",
    "Payment",
    "PaymentProfile",
    "PersonalAccessToken",
    "Plan",
    "PlanPrice",
    "PrepaidAccount",
    "PrepaidEntry",
    "Product",
    "PromoCode",
    "PromoRedemption",
    "RateLimitCounter",
    "RefreshToken",
    "Renewal",
    "Subscription",
    "VatRate",
    "VolumeTier",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEventFanout",
    "WebhookSubscription",
    "Withdrawal",
    "metadata",
]
