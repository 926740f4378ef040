"""The webhooks package's errors: one class per stable code."""

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable


class SubscriptionNotFound(NotFound):
    code = "webhook_subscription_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class TooManySubscriptions(Conflict):
    code = "webhook_subscription_limit_reached"


class InvalidEventTypePattern(Unprocessable):
    code = "invalid_event_type_pattern"


class TargetNotAllowed(Unprocessable):
    code = "webhook_target_not_allowed"


class EventTypeNotReadable(Forbidden):
    code = "event_type_not_readable"


class EventTypeNotOfOffice(Unprocessable):
    code = "event_type_not_of_ticket_office"


class NotATicketOffice(Unprocessable):
    code = "not_a_ticket_office"
