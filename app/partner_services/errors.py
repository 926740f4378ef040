"""Partner services' errors: one class per stable code, listed by the routes that raise them."""

from app.core.errors import Conflict, Forbidden, NotFound, Unprocessable


# --- 403 ---
class PartnerStaffOnly(Forbidden):
    code = "partner_staff_only"


class ClientMemberOnly(Forbidden):
    code = "client_member_only"


class SignatoryRequired(Forbidden):
    code = "quote_signatory_required"


class InvoiceReaderRequired(Forbidden):
    code = "partner_invoice_reader_required"


# --- 404 ---
class NoManagingPartner(NotFound):
    code = "no_managing_partner"


class RequestNotFound(NotFound):
    code = "service_request_not_found"


class QuoteNotFound(NotFound):
    code = "quote_not_found"


class PartnerInvoiceNotFound(NotFound):
    code = "partner_invoice_not_found"


# --- 409 ---
class RequestClosed(Conflict):
    code = "service_request_closed"


class WorkAfterStop(Conflict):
    code = "work_after_stop"


class QuoteNotSent(Conflict):
    code = "quote_not_sent"


class QuoteAlreadyAccepted(Conflict):
    code = "quote_already_accepted"


class QuoteNotForRequest(Conflict):
    code = "quote_not_for_request"


class NothingToInvoice(Conflict):
    code = "nothing_to_invoice"


# --- 422 ---
class UnknownCountry(Unprocessable):
    code = "unknown_partner_country"
