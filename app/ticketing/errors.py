"""Ticketing's errors: one class per stable code, listed by the routes that raise them."""

from app.core.errors import Conflict, NotFound, Unprocessable
from app.payments.service import PaymentDeclined

__all__ = [
    "CardTokenRequired",
    "EventIncomplete",
    "EventNotFound",
    "ExchangeCutoffPassed",
    "ExchangeUnchanged",
    "InsuranceNotOffered",
    "InvoiceOrderPartialCancel",
    "OnlineExchangeNotAllowed",
    "OrderAlreadyCancelled",
    "OrderAlreadyPaid",
    "OrderCancelled",
    "OrderNotFound",
    "OrderNotPaid",
    "OrderWithoutInvoice",
    "PaymentDeclined",
    "PaymentMethodNotOffered",
    "PerformanceNotFound",
    "PerformanceStarted",
    "RefundExceedsTickets",
    "SoldOut",
    "TicketAlreadyCancelled",
    "TicketCheckedIn",
    "TicketNotExchangeable",
    "TicketNotFound",
    "TicketOfficeNotFound",
    "UnknownTicket",
    "UnknownTicketChoice",
]


# --- 404 ---
class TicketOfficeNotFound(NotFound):
    code = "ticket_office_not_found"


class EventNotFound(NotFound):
    code = "event_not_found"


class PerformanceNotFound(NotFound):
    code = "performance_not_found"


class OrderNotFound(NotFound):
    code = "order_not_found"


class TicketCheckedIn(Conflict):
    code = "ticket_checked_in"


class OrderWithoutInvoice(NotFound):
    code = "order_invoice_not_found"


class TicketNotFound(NotFound):
    code = "ticket_not_found"


# --- 409 ---
class EventIncomplete(Conflict):
    code = "event_incomplete"


class SoldOut(Conflict):
    code = "sold_out"


class OrderAlreadyCancelled(Conflict):
    code = "order_already_cancelled"


class OrderCancelled(Conflict):
    code = "order_cancelled"


class OrderAlreadyPaid(Conflict):
    code = "order_already_paid"


class OrderNotPaid(Conflict):
    code = "order_not_paid"


class InvoiceOrderPartialCancel(Conflict):
    code = "invoice_order_partial_cancel"


class TicketAlreadyCancelled(Conflict):
    code = "ticket_already_cancelled"


class TicketNotExchangeable(Conflict):
    code = "ticket_not_exchangeable"


class OnlineExchangeNotAllowed(Conflict):
    code = "online_exchange_not_allowed"


class ExchangeCutoffPassed(Conflict):
    code = "exchange_cutoff_passed"


# --- 422 ---
class PaymentMethodNotOffered(Unprocessable):
    code = "payment_method_not_offered"


class CardTokenRequired(Unprocessable):
    code = "card_token_required"


class InsuranceNotOffered(Unprocessable):
    code = "insurance_not_offered"


class UnknownTicketChoice(Unprocessable):
    code = "unknown_ticket_choice"


class PerformanceStarted(Unprocessable):
    code = "performance_started"


class RefundExceedsTickets(Unprocessable):
    code = "refund_exceeds_tickets"


class UnknownTicket(Unprocessable):
    code = "unknown_ticket"


class ExchangeUnchanged(Unprocessable):
    code = "exchange_unchanged"
