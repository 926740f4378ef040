"""/v1/accounts (sign-up) and /v1/account: the caller's own account, security and tokens."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile, status

from app.accounts import auth, credentials, pats, profile, totp, two_factor
from app.accounts.deps import (
    CALLER_ERRORS,
    PUBLIC,
    RECENT_SESSION_ERRORS,
    SECRET_CHECK_LIMITS,
    SESSION_ERRORS,
    AccountActor,
    AnyPrincipal,
    CurrentAccount,
    InteractiveSession,
    RecentSession,
    RequestClient,
    require_scope,
)
from app.accounts.errors import (
    AvatarNotFound,
    AvatarTooLarge,
    AvatarTypeNotSupported,
    EmailAlreadyConfirmed,
    EmailConfirmationMismatch,
    EmailIsLoginEmail,
    EmailIsRecoveryEmail,
    EmailTaken,
    EmailUnchanged,
    ExpiryInPast,
    InvalidLinkToken,
    InvalidTwoFactorCode,
    SecondFactorRequired,
    SessionNotFound,
    TokenNotFound,
    TwoFactorAlreadyEnabled,
    TwoFactorEnrollmentMissing,
    WrongPassword,
)
from app.accounts.models import AuthSession
from app.accounts.password_policy import WeakPassword
from app.accounts.schemas import (
    AccountRead,
    ActivityRead,
    EmergencyCodes,
    LoginAttemptRead,
    LoginEmailChange,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    PersonalAccessTokenCreate,
    PersonalAccessTokenCreated,
    PersonalAccessTokenRead,
    ProfileUpdate,
    RecoveryEmail,
    RecoveryPhone,
    RecoveryPhoneConfirm,
    SecondFactor,
    SecuritySettings,
    SecuritySettingsUpdate,
    SessionRead,
    TokenBody,
    TwoFactorCode,
    TwoFactorDisable,
    TwoFactorEnrollment,
)
from app.activity import service as activity
from app.core import ratelimit
from app.core.db import Session, database_of
from app.core.errors import TooManyRequests, problem_responses
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.core.schemas import Instant, from_attributes

signup_router = APIRouter(tags=["accounts"], route_class=AppRoute)
router = APIRouter(prefix="/account", tags=["accounts"], route_class=AppRoute)

read_scope = require_scope("account:read")
write_scope = require_scope("account:write")
AVATAR_MAX_BYTES = profile.AVATAR_MAX_BYTES
NO_CONTENT = status.HTTP_204_NO_CONTENT
ACCEPTED = status.HTTP_202_ACCEPTED
account_read = profile.account_read


@signup_router.post(
    "/password-resets",
    status_code=ACCEPTED,
    dependencies=[Depends(per_ip("password_reset", limit=10, per_seconds=3600))],
)
@declares(PUBLIC, TooManyRequests)
async def request_password_reset(body: PasswordResetRequest, session: Session) -> None:
    """E-mails a reset link if the address belongs to an account; answers the same either way."""
    await credentials.request_password_reset(session, body.email)


@signup_router.post(
    "/password-resets/confirm",
    status_code=NO_CONTENT,
    dependencies=[Depends(per_ip("password_reset_confirm", limit=20, per_seconds=3600))],
)
@declares(PUBLIC, InvalidLinkToken, SecondFactorRequired, WeakPassword, 422, TooManyRequests)
async def reset_password(
    body: PasswordResetConfirm, session: Session, client: RequestClient
) -> None:
    """Sets a new password from a reset link (with a 2FA code when on); every session ends."""
    await credentials.reset_password(
        session,
        raw=body.token,
        new_password=body.new_password,
        code=body.code,
        emergency_code=body.emergency_code,
        ip=client.ip,
    )


@router.get("", operation_id="accounts-read")
@declares(read_scope, *CALLER_ERRORS)
async def read_account(account: CurrentAccount, session: Session) -> AccountRead:
    return await account_read(session, account)


@router.patch("", operation_id="accounts-update")
@declares(write_scope, *CALLER_ERRORS)
async def update_account(
    body: ProfileUpdate, account: CurrentAccount, by: AccountActor, session: Session
) -> AccountRead:
    """Names, phone, address, language, time zone and newsletter topics."""
    changes = body.model_dump(exclude_unset=True)
    if "address" in changes and body.address is not None:
        changes["address"] = body.address.model_dump()
    await profile.update_profile(session, account, changes, by=by)
    return await account_read(session, account)


@router.post("/email-confirmation", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken)
async def confirm_email(body: TokenBody, session: Session, client: RequestClient) -> None:
    """Confirms the login e-mail with the token of the link mailed at sign-up."""
    await profile.confirm_email(session, body.token, ip=client.ip)


@router.post("/email-confirmation/resend", status_code=ACCEPTED)
@declares(write_scope, *CALLER_ERRORS, EmailAlreadyConfirmed)
async def resend_confirmation(principal: AnyPrincipal, session: Session) -> None:
    await profile.send_confirmation(session, principal.account)


@router.post("/unlock", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken)
async def unlock(body: TokenBody, session: Session, client: RequestClient) -> None:
    """Unlocks a locked account with the token of the link mailed when it locked."""
    await auth.unlock_with_token(session, body.token, ip=client.ip)


@router.post("/password", status_code=NO_CONTENT, dependencies=SECRET_CHECK_LIMITS)
@declares(write_scope, *SESSION_ERRORS, WrongPassword, WeakPassword, 422, TooManyRequests)
async def change_password(
    body: PasswordChange,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    by: AccountActor,
    client: RequestClient,
    session: Session,
) -> None:
    """Needs the current password (a wrong one counts as a failed login); every other
    session ends."""
    await credentials.change_password(
        session,
        account,
        client,
        current=body.current_password,
        new=body.new_password,
        keep_session=auth_session.id,
        by=by,
    )


@router.post("/login-email", status_code=ACCEPTED)
@declares(
    write_scope,
    *SESSION_ERRORS,
    WrongPassword,
    EmailTaken,
    EmailConfirmationMismatch,
    EmailUnchanged,
    EmailIsRecoveryEmail,
    422,
)
async def change_login_email(
    body: LoginEmailChange,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Mails a confirmation link to the new address; the change happens when it is followed."""
    await credentials.request_login_email_change(
        session,
        account,
        password=body.password,
        new_email=str(body.new_email),
        confirmation=str(body.new_email_confirmation),
    )


@router.post("/login-email/confirm", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken, EmailTaken)
async def confirm_login_email(body: TokenBody, session: Session, client: RequestClient) -> None:
    await credentials.confirm_login_email_change(session, body.token, ip=client.ip)


@router.post(
    "/login-email/undo",
    status_code=NO_CONTENT,
    dependencies=[Depends(per_ip("login_email_undo", limit=20, per_seconds=3600))],
)
@declares(PUBLIC, InvalidLinkToken, EmailTaken, TooManyRequests)
async def undo_login_email(body: TokenBody, session: Session, client: RequestClient) -> None:
    """The link mailed to the former address after a login e-mail change: that address is the
    login again, every session ends, every personal access token is revoked, and a password
    reset link is mailed to it."""
    await credentials.undo_login_email_change(session, body.token, ip=client.ip)


@router.put("/recovery-email", status_code=ACCEPTED)
@declares(write_scope, *RECENT_SESSION_ERRORS, EmailIsLoginEmail, 422)
async def set_recovery_email(
    body: RecoveryEmail,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> None:
    """Sets the recovery e-mail; it counts once confirmed through the link mailed to it."""
    await credentials.set_recovery_email(session, account, str(body.email), by=by)


@router.post("/recovery-email/confirm", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken)
async def confirm_recovery_email(body: TokenBody, session: Session) -> None:
    await credentials.confirm_recovery_email(session, body.token)


@router.put("/recovery-phone", status_code=ACCEPTED)
@declares(write_scope, *RECENT_SESSION_ERRORS, 422)
async def set_recovery_phone(
    body: RecoveryPhone,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> None:
    """Sets the recovery phone; it counts once the code texted to it is confirmed."""
    await credentials.set_recovery_phone(session, account, body.phone, by=by)


@router.post("/recovery-phone/confirm", status_code=NO_CONTENT)
@declares(write_scope, *CALLER_ERRORS, InvalidLinkToken, TooManyRequests)
async def confirm_recovery_phone(
    body: RecoveryPhoneConfirm, account: CurrentAccount, session: Session, request: Request
) -> None:
    """Confirms the recovery phone with the texted code (5 tries per 15 minutes)."""
    await ratelimit.hit(
        database_of(request).sessionmaker, f"recovery_phone:{account.id}", limit=5, per_seconds=900
    )
    await credentials.confirm_recovery_phone(session, account, body.code)


@router.get("/security")
@declares(read_scope, *CALLER_ERRORS)
async def read_security(account: CurrentAccount) -> SecuritySettings:
    return SecuritySettings.model_validate(account)


@router.patch("/security")
@declares(write_scope, *RECENT_SESSION_ERRORS)
async def update_security(
    body: SecuritySettingsUpdate,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> SecuritySettings:
    """Failed-attempt threshold and login alert e-mails."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await profile.update_security(session, account, changes, by=by)


@router.get("/sessions", response_model=Page[SessionRead])
@declares(read_scope, *SESSION_ERRORS)
async def list_sessions(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session, page: Pagination
) -> dict[str, Any]:
    """Active sessions (devices), newest first."""
    rows, cursor = await paginate(
        session,
        auth.sessions_of(account.id),
        page,
    )
    return page_of([_session_read(row, auth_session.id) for row in rows], cursor)


def _session_read(row: AuthSession, current_id: uuid.UUID) -> SessionRead:
    return from_attributes(SessionRead, row, current=row.id == current_id)


@router.delete("/sessions/{session_id:uuid}", status_code=NO_CONTENT)
@declares(write_scope, *SESSION_ERRORS, SessionNotFound)
async def end_session(
    session_id: uuid.UUID,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    target = await auth.get_session(session, account.id, session_id)
    await auth.end_session(session, target, reason="ended_by_user")


@router.post("/sessions/end-others", status_code=NO_CONTENT)
@declares(write_scope, *SESSION_ERRORS)
async def end_other_sessions(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session
) -> None:
    await auth.end_sessions(session, account.id, reason="ended_by_user", keep=auth_session.id)


@router.get("/login-history", response_model=Page[LoginAttemptRead])
@declares(read_scope, *CALLER_ERRORS)
async def login_history(
    account: CurrentAccount, session: Session, page: Pagination
) -> dict[str, Any]:
    """Successful and failed logins, newest first."""
    rows, cursor = await paginate(
        session,
        auth.login_attempts_of(account.id),
        page,
    )
    return page_of([LoginAttemptRead.model_validate(row) for row in rows], cursor)


@router.get("/activity", operation_id="accounts-activity", response_model=Page[ActivityRead])
@declares(read_scope, *CALLER_ERRORS, 400)
async def account_activity(
    account: CurrentAccount,
    session: Session,
    page: Pagination,
    action: Annotated[
        str | None, Query(max_length=100, description="Action or prefix, e.g. `security.`")
    ] = None,
    product_id: uuid.UUID | None = None,
    since: Instant | None = None,
    until: Instant | None = None,
) -> dict[str, Any]:
    """The account's activity log, filterable by period, action type and product."""
    rows, cursor = await activity.page(
        session,
        activity.query(
            account_id=account.id, action=action, product_id=product_id, since=since, until=until
        ),
        page,
    )
    return page_of([ActivityRead.model_validate(row) for row in rows], cursor)


@router.post("/two-factor/enrollment")
@declares(write_scope, *RECENT_SESSION_ERRORS, TwoFactorAlreadyEnabled)
async def begin_two_factor(
    account: CurrentAccount, auth_session: RecentSession
) -> TwoFactorEnrollment:
    """A new TOTP secret to add to an authenticator app; confirm it with a first code."""
    secret, uri = totp.begin_enrollment(account)
    return TwoFactorEnrollment(secret=secret, otpauth_uri=uri)


@router.post("/two-factor/enrollment/confirm")
@declares(
    write_scope,
    *RECENT_SESSION_ERRORS,
    TwoFactorAlreadyEnabled,
    TwoFactorEnrollmentMissing,
    InvalidTwoFactorCode,
)
async def confirm_two_factor(
    body: TwoFactorCode,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> EmergencyCodes:
    """Turns 2FA on and returns 10 emergency codes, shown this once."""
    codes = await two_factor.enable(session, account, body.code, by=by)
    return EmergencyCodes(emergency_codes=codes)


@router.post("/two-factor/disable", status_code=NO_CONTENT, dependencies=SECRET_CHECK_LIMITS)
@declares(write_scope, *SESSION_ERRORS, WrongPassword, SecondFactorRequired, TooManyRequests)
async def disable_two_factor(
    body: TwoFactorDisable,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    by: AccountActor,
    client: RequestClient,
    session: Session,
) -> None:
    """Needs the password and a code (or an emergency code); a wrong one counts as a failed
    login."""
    await two_factor.disable(
        session,
        account,
        client,
        password=body.password,
        code=body.code,
        emergency_code=body.emergency_code,
        by=by,
    )


@router.post("/two-factor/emergency-codes")
@declares(write_scope, *RECENT_SESSION_ERRORS, SecondFactorRequired)
async def regenerate_emergency_codes(
    body: SecondFactor,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> EmergencyCodes:
    """New emergency codes; the old ones stop working."""
    codes = await two_factor.regenerate_emergency_codes(session, account, body.code, by=by)
    return EmergencyCodes(emergency_codes=codes)


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
@declares(write_scope, *RECENT_SESSION_ERRORS, ExpiryInPast, 422)
async def create_token(
    body: PersonalAccessTokenCreate,
    account: CurrentAccount,
    auth_session: RecentSession,
    by: AccountActor,
    session: Session,
) -> PersonalAccessTokenCreated:
    """An application password with scopes, for integrators and sync tools; shown once."""
    token, raw = await pats.create(
        session,
        account,
        name=body.name,
        scopes=list(body.scopes),
        expires_at=body.expires_at,
        by=by,
    )
    return PersonalAccessTokenCreated.model_validate(
        {**PersonalAccessTokenRead.model_validate(token).model_dump(), "token": raw}
    )


@router.get("/tokens", response_model=Page[PersonalAccessTokenRead])
@declares(read_scope, *SESSION_ERRORS)
async def list_tokens(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        pats.active_of(account.id),
        page,
    )
    return page_of([PersonalAccessTokenRead.model_validate(row) for row in rows], cursor)


@router.delete("/tokens/{token_id}", status_code=NO_CONTENT)
@declares(write_scope, *SESSION_ERRORS, TokenNotFound)
async def revoke_token(
    token_id: uuid.UUID,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    by: AccountActor,
    session: Session,
) -> None:
    await pats.revoke(session, account.id, token_id, by=by)


@router.put("/avatar", status_code=NO_CONTENT)
@declares(write_scope, *CALLER_ERRORS, AvatarTooLarge, AvatarTypeNotSupported, 400, 413, 422)
async def set_avatar(
    file: UploadFile, account: CurrentAccount, by: AccountActor, session: Session
) -> None:
    """A PNG, JPEG or WebP image of at most 1 MiB."""
    data = await file.read(AVATAR_MAX_BYTES + 1)
    await profile.set_avatar(session, account, data, by=by)


@router.get(
    "/avatar",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
        **problem_responses(*CALLER_ERRORS, AvatarNotFound),
    },
)
@declares(read_scope)
async def read_avatar(account: CurrentAccount, session: Session) -> Response:
    avatar = await profile.get_avatar(session, account.id)
    return Response(
        avatar.data,
        media_type=avatar.content_type,
        headers={"Cache-Control": "private, max-age=300"},
    )
