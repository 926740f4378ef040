"""Ticketing's errors: one class per stable code, listed by the routes that raise them."""

from app.core.errors import Conflict, NotFound, Unauthorized, Unprocessable
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


# --- Sales tools: promotions, gift cards, seat plans ---
__all__ += [
    "AnswersInvalid",
    "CheckinDeviceNotFound",
    "CheckinListInvalid",
    "CheckinListNotFound",
    "DeviceTokenInvalid",
    "GiftCardCurrencyMismatch",
    "GiftCardEmpty",
    "GiftCardExpired",
    "GiftCardNotFound",
    "OnlineShopInvalid",
    "OnlineShopNotFound",
    "PromotionCodeTaken",
    "PromotionCodeUnknown",
    "PromotionNotApplicable",
    "PromotionNotFound",
    "PromotionScopeInvalid",
    "PromotionUsedUp",
    "QuestionInvalid",
    "SeatPlanInvalid",
    "SeatPlanLocked",
    "SeatUnavailable",
]


class PromotionNotFound(NotFound):
    code = "promotion_not_found"


class GiftCardNotFound(NotFound):
    code = "gift_card_not_found"


class PromotionUsedUp(Conflict):
    code = "promotion_used_up"


class PromotionCodeTaken(Conflict):
    code = "promotion_code_taken"


class GiftCardEmpty(Conflict):
    code = "gift_card_empty"


class SeatUnavailable(Conflict):
    code = "seat_unavailable"


class SeatPlanLocked(Conflict):
    code = "seat_plan_locked"


class PromotionCodeUnknown(Unprocessable):
    code = "promotion_code_unknown"


class PromotionNotApplicable(Unprocessable):
    code = "promotion_not_applicable"


class PromotionScopeInvalid(Unprocessable):
    code = "promotion_scope_invalid"


class GiftCardExpired(Unprocessable):
    code = "gift_card_expired"


class GiftCardCurrencyMismatch(Unprocessable):
    code = "gift_card_currency_mismatch"


class SeatPlanInvalid(Unprocessable):
    code = "seat_plan_invalid"


class CheckinListNotFound(NotFound):
    code = "checkin_list_not_found"


class CheckinListInvalid(Unprocessable):
    code = "checkin_list_invalid"


class DeviceTokenInvalid(Unauthorized):
    code = "device_token_invalid"


class CheckinDeviceNotFound(NotFound):
    code = "checkin_device_not_found"


class OnlineShopNotFound(NotFound):
    code = "online_shop_not_found"


class OnlineShopInvalid(Unprocessable):
    code = "online_shop_invalid"


class AnswersInvalid(Unprocessable):
    code = "answers_invalid"


class QuestionInvalid(Unprocessable):
    code = "question_invalid"


CHECKOUT_ERRORS = (
    PromotionCodeUnknown,
    PromotionNotApplicable,
    PromotionUsedUp,
    GiftCardEmpty,
    GiftCardExpired,
    GiftCardCurrencyMismatch,
    SeatUnavailable,
    SeatPlanInvalid,
    AnswersInvalid,
)
"""What the sales tools add to placing an order (listed by the routes that place one)."""

PLACING_ERRORS = (
    PaymentDeclined,
    SoldOut,
    PaymentMethodNotOffered,
    CardTokenRequired,
    InsuranceNotOffered,
    UnknownTicketChoice,
    PerformanceStarted,
    *CHECKOUT_ERRORS,
)
"""What placing an order may answer, for the routes that place one."""


# --- Resellers, imported sales, gift cards sold in the shop ---
class ResellerQuotaNotFound(NotFound):
    code = "reseller_quota_not_found"


class ResellerQuotaExceeded(Conflict):
    code = "reseller_quota_exceeded"


class ResellerQuotaBelowSold(Conflict):
    code = "reseller_quota_below_sold"


class NotAReseller(Unprocessable):
    code = "not_a_reseller"


class ResellerQuotaOverCapacity(Unprocessable):
    code = "reseller_quota_over_capacity"


class ResellerChannelReserved(Unprocessable):
    code = "reseller_channel_reserved"


class ImportRefused(Unprocessable):
    code = "import_refused"


class ImportFileInvalid(Unprocessable):
    code = "import_file_invalid"


class ImportConflict(Conflict):
    code = "import_conflict"


class GiftCardsNotOnSale(NotFound):
    code = "gift_cards_not_on_sale"


class GiftCardAmountInvalid(Unprocessable):
    code = "gift_card_amount_invalid"


class GiftCardOfferInvalid(Unprocessable):
    code = "gift_card_offer_invalid"


# --- Editing performances and price categories, insurance, exchanges ---
class PriceCategoryNotFound(NotFound):
    code = "price_category_not_found"


class CapacityBelowSold(Conflict):
    code = "capacity_below_sold"


class CapacitySetBySeatPlan(Conflict):
    code = "capacity_set_by_seat_plan"


class PerformanceHasTickets(Conflict):
    code = "performance_has_tickets"


class PriceCategoryHasTickets(Conflict):
    code = "price_category_has_tickets"


class PerformanceDatesInvalid(Unprocessable):
    code = "performance_dates_invalid"


class RefundThroughInsurer(Conflict):
    code = "refund_through_insurer"


__all__ += [
    "CapacityBelowSold",
    "CapacitySetBySeatPlan",
    "PerformanceDatesInvalid",
    "PerformanceHasTickets",
    "PriceCategoryHasTickets",
    "PriceCategoryNotFound",
    "RefundThroughInsurer",
]


# --- Access passes and scheduled mails ---
class PassNotFound(NotFound):
    code = "pass_not_found"


class SoldPassNotFound(NotFound):
    code = "sold_pass_not_found"


class PassInvalid(Unprocessable):
    code = "pass_invalid"


class PassNotOnSale(Conflict):
    code = "pass_not_on_sale"


class PassAlreadyCancelled(Conflict):
    code = "pass_already_cancelled"


class PreEventMailNotFound(NotFound):
    code = "pre_event_mail_not_found"


class PreEventMailSent(Conflict):
    code = "pre_event_mail_sent"


class PreEventMailTooLate(Unprocessable):
    code = "pre_event_mail_too_late"
