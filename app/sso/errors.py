"""The single sign-on package's errors: one class per stable code."""

from app.core.errors import AppError, Conflict, NotFound, Unauthorized, Unprocessable


class ConnectionNotFound(NotFound):
    code = "sso_connection_not_found"


class DomainNotFound(NotFound):
    code = "sso_domain_not_found"


class DomainAlreadyClaimed(Conflict):
    """Another organization proved this domain first (or this one claims it already)."""

    code = "sso_domain_already_claimed"


class DomainNotProven(Conflict):
    code = "sso_domain_not_proven"


class WrongDomainCode(Conflict):
    code = "sso_domain_code_invalid"
    keep_changes = True


class MailboxNotInDomain(Unprocessable):
    code = "sso_mailbox_not_in_domain"


class ProviderUnreachable(AppError):
    """The provider's discovery document, keys or token endpoint could not be used."""

    status = 502
    code = "sso_provider_unreachable"


class BreakGlassNotLegalRepresentative(Unprocessable):
    code = "sso_break_glass_not_legal_representative"


class SingleSignOnUnavailable(NotFound):
    """No organization claimed (and proved) the e-mail's domain with an enabled provider."""

    code = "sso_not_available"


class SingleSignOnFailed(Unauthorized):
    """The provider's answer failed a check: a replayed or unknown state, a code the provider
    refused, an ID token with a bad signature, issuer, audience, expiry or nonce, an e-mail
    outside the organization's domains, or an account that may not join."""

    code = "sso_login_failed"
    keep_changes = True
