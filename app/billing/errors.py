"""Billing's errors: one class per stable code. Routes list the ones they can raise in
``problem_responses(...)``."""

from app.core.errors import AppError, Conflict, NotFound, Unprocessable
from app.payments.service import InvalidCard as InvalidCard
from app.payments.service import PaymentDeclined as PaymentDeclined

# Catalog


class PlanNotFound(NotFound):
    code = "plan_not_found"


class PriceNotFound(Unprocessable):
    code = "price_not_available"


class PlanExists(Conflict):
    code = "plan_exists"


class InvalidProductType(Unprocessable):
    code = "invalid_product_type"


class DuplicatePrice(Unprocessable):
    code = "duplicate_price"


class DuplicateTier(Unprocessable):
    code = "duplicate_tier"


class PromoCodeExists(Conflict):
    code = "promo_code_exists"


class InvalidPromoCode(Unprocessable):
    code = "invalid_promo_code"


# Cart and orders


class PlanNotOrderable(Unprocessable):
    code = "plan_not_orderable"


class CartItemNotFound(NotFound):
    code = "cart_item_not_found"


class CartEmpty(Unprocessable):
    code = "cart_empty"


class PromoCodeInvalid(Unprocessable):
    code = "promo_code_invalid"


class PromoCodeUsedUp(Unprocessable):
    code = "promo_code_used_up"


class PromoCodeExpired(Unprocessable):
    code = "promo_code_expired"


class PromoCodeNotApplicable(Unprocessable):
    code = "promo_code_not_applicable"


class PromoCodeAlreadyUsed(Unprocessable):
    code = "promo_code_already_used"


PROMO_CODE_ERRORS = (
    PromoCodeInvalid,
    PromoCodeUsedUp,
    PromoCodeExpired,
    PromoCodeNotApplicable,
    PromoCodeAlreadyUsed,
)


class FreeGrantInvalid(Unprocessable):
    code = "free_grant_invalid"


class OrderNotFound(NotFound):
    code = "order_not_found"


class OrderNotCancellable(Conflict):
    code = "order_not_cancellable"


class PartnerCannotPay(Unprocessable):
    code = "partner_payment_not_allowed"


# Invoices


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class InvoiceNotPayable(Conflict):
    code = "invoice_not_payable"


class InvoiceNotCorrectable(Conflict):
    code = "invoice_not_correctable"


# Prepaid account and payments


class InvalidIban(Unprocessable):
    code = "invalid_iban"


class InsufficientBalance(AppError):
    status = 409
    code = "insufficient_prepaid_balance"


class AlreadyPosted(Conflict):
    code = "prepaid_entry_exists"


class ProfileNotFound(NotFound):
    code = "payment_profile_not_found"


class NoCardProfile(Unprocessable):
    code = "no_card_profile"


class AmountTooHigh(Unprocessable):
    code = "amount_exceeds_amount_due"


class CardExpired(Unprocessable):
    code = "card_expired"


# Subscriptions


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"


class NotRenewable(Conflict):
    code = "subscription_not_renewable"


class DowngradeRefused(Unprocessable):
    code = "plan_downgrade_not_allowed"


class PlanNotCompatible(Unprocessable):
    code = "plan_not_compatible"


class RenewalInProgress(Conflict):
    code = "renewal_in_progress"


# Bank transfers


class InvalidNotification(Unprocessable):
    code = "invalid_camt_file"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class TransferNotFound(NotFound):
    code = "bank_transfer_not_found"


class TransferAlreadyAssigned(Conflict):
    code = "bank_transfer_already_assigned"


# Giving up products, renewing a selection, domain transfers


class NotGivenUp(Conflict):
    code = "product_not_given_up"


class AlreadyGivenUp(Conflict):
    code = "product_already_given_up"


class RenewalAlreadyInvoiced(Conflict):
    code = "renewal_already_invoiced"


class DomainTransferNotFound(NotFound):
    code = "domain_transfer_not_found"


class DomainTransferNotFailed(Conflict):
    code = "domain_transfer_not_failed"


class PremiumSupportHeld(Conflict):
    code = "premium_support_already_held"
