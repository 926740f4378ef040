"""The errors of the accounts package: one class per stable code."""

from app.core.errors import AppError, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable

# --- authentication of a request (deps.py) ---


class NotAuthenticated(Unauthorized):
    code = "not_authenticated"


class InvalidAccessToken(Unauthorized):
    code = "invalid_token"


class SessionEnded(Unauthorized):
    code = "session_ended"


class EmailNotConfirmed(Forbidden):
    code = "email_not_confirmed"


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


class SessionRequired(Forbidden):
    code = "session_required"


class PlatformStaffOnly(Forbidden):
    """The route is for the provider's own staff."""

    code = "platform_staff_only"


class ReauthenticationRequired(Forbidden):
    code = "reauthentication_required"


# --- logging in (auth.py) ---


class InvalidCredentials(Unauthorized):
    """The one answer to an unknown e-mail, a wrong password, a wrong code or a locked account."""

    code = "invalid_credentials"
    keep_changes = True

    def __init__(self) -> None:
        super().__init__("The e-mail address, password or code is not correct.")


class InvalidRefreshToken(Unauthorized):
    code = "invalid_refresh_token"
    keep_changes = True


# --- mailed links and texted codes (tokens.py) ---


class InvalidLinkToken(AppError):
    status = 400
    code = "invalid_or_expired_token"


# --- the account, its passwords and addresses ---


class EmailTaken(Conflict):
    code = "email_already_registered"


class EmailAlreadyConfirmed(Conflict):
    code = "email_already_confirmed"


class WrongPassword(Forbidden):
    code = "wrong_password"


class SecondFactorRequired(Forbidden):
    code = "two_factor_code_required"


class EmailConfirmationMismatch(Unprocessable):
    code = "email_confirmation_mismatch"


class EmailUnchanged(Unprocessable):
    code = "email_unchanged"


class EmailIsRecoveryEmail(Unprocessable):
    code = "email_is_recovery_email"


class EmailIsLoginEmail(Unprocessable):
    code = "email_is_login_email"


class AvatarTooLarge(Unprocessable):
    code = "avatar_too_large"


class AvatarTypeNotSupported(Unprocessable):
    code = "avatar_type_not_supported"


class AvatarNotFound(NotFound):
    code = "avatar_not_found"


class SessionNotFound(NotFound):
    code = "session_not_found"


# --- second factor (totp.py) ---


class TwoFactorAlreadyEnabled(Conflict):
    code = "two_factor_already_enabled"


class TwoFactorEnrollmentMissing(Conflict):
    code = "two_factor_enrollment_missing"


class InvalidTwoFactorCode(Conflict):
    code = "invalid_two_factor_code"


# --- personal access tokens (pats.py) ---


class ExpiryInPast(Unprocessable):
    code = "expiry_in_past"


class TokenNotFound(NotFound):
    code = "token_not_found"


class SoleLegalRepresentative(Conflict):
    """The account is the only legal representative of organizations (listed in the problem's
    ``organizations``): raised by the account deletion use case."""

    code = "sole_legal_representative"


# --- passkeys (passkeys.py) ---


class PasskeyNotFound(NotFound):
    code = "passkey_not_found"


class PasskeyAlreadyRegistered(Conflict):
    code = "passkey_already_registered"


class InvalidPasskey(Unprocessable):
    """The authenticator's answer failed the ceremony's checks (challenge, origin, signature)."""

    code = "invalid_passkey_response"


class PasswordLoginRefused(Forbidden):
    """The account's organization requires single sign-on: log in through its provider."""

    code = "single_sign_on_required"
    keep_changes = True


# --- accounts opened by a partner, first login (onboarding.py) ---


class AccountNotActivated(Forbidden):
    """Opened by a partner: confirm the e-mail and the texted code first (the activation)."""

    code = "account_not_activated"


class PhoneNotSet(Unprocessable):
    code = "phone_not_set"


class PhoneAlreadyConfirmed(Conflict):
    code = "phone_already_confirmed"


class PasswordRequired(Unprocessable):
    """Nobody set a password for this account yet: choose one."""

    code = "password_required"


class PasswordUnchanged(Unprocessable):
    code = "password_unchanged"


class TermsVersionOutdated(Unprocessable):
    """The terms accepted are not the current version: read and accept the current ones."""

    code = "terms_version_outdated"


class InvalidSetupToken(Unauthorized):
    code = "invalid_setup_token"


class AccountNotFound(NotFound):
    code = "account_not_found"
