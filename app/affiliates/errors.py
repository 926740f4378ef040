"""The affiliate programme's errors: one class per stable code."""

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable


class NotAnAffiliate(NotFound):
    code = "not_an_affiliate"


class AffiliateNotFound(NotFound):
    code = "affiliate_not_found"


class AffiliateTagUnknown(NotFound):
    code = "affiliate_tag_unknown"


class AlreadyAffiliate(Conflict):
    code = "already_affiliate"


class InvalidIban(Unprocessable):
    code = "invalid_iban"


class PayoutDestinationMissing(Unprocessable):
    code = "payout_destination_missing"


class PayoutNotFound(NotFound):
    code = "affiliate_payout_not_found"


class PayoutNotInstructed(Conflict):
    code = "affiliate_payout_not_instructed"


class ExchangeRateMissing(Conflict):
    code = "exchange_rate_missing"


class AffiliateSuspended(Forbidden):
    code = "affiliate_suspended"
