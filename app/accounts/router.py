"""/v1/accounts (sign-up) and /v1/account: the caller's own account, security and tokens."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Path,
    Query,
    Request,
    Response,
    UploadFile,
    status,
)

from app.accounts import (
    auth,
    credentials,
    newsletters,
    pats,
    profile,
    staff_router,
    totp,
    two_factor,
)
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
    PasswordResetCode,
    PasswordResetConfirm,
    PasswordResetRequest,
    PasswordResetToken,
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
SMS_RESET_CODES_PER_HOUR = 3

# The platform staff's routes about accounts (/v1/platform/…), served with the accounts' own.
signup_router.include_router(staff_router.router)


@signup_router.post(
    "/password-resets",
    status_code=ACCEPTED,
    dependencies=[Depends(per_ip("password_reset", limit=10, per_seconds=3600))],
)
@declares(PUBLIC, TooManyRequests)
async def request_password_reset(
    body: PasswordResetRequest, session: Session, request: Request
) -> None:
    """Mails a password reset link (valid 60 minutes) to the account's confirmed recovery
    e-mail, else to its login address; with `channel` `sms`, texts a 6-digit code (valid 15
    minutes) to the account's confirmed recovery phone instead (3 texts per address and hour,
    then 429), to exchange at /v1/password-resets/sms-code. Public; the answer is the same
    whether or not the address is an account's, so it tells nobody who has an account."""
    if body.channel == "sms":
        await ratelimit.hit(
            database_of(request).sessionmaker,
            f"password_reset_sms:{body.email.strip().lower()}",
            limit=SMS_RESET_CODES_PER_HOUR,
            per_seconds=3600,
        )
    await credentials.request_password_reset(session, body.email, channel=body.channel)


@signup_router.post(
    "/password-resets/sms-code",
    dependencies=[Depends(per_ip("password_reset_sms_code", limit=20, per_seconds=3600))],
)
@declares(PUBLIC, InvalidLinkToken, TooManyRequests)
async def exchange_password_reset_code(
    body: PasswordResetCode, session: Session, client: RequestClient, request: Request
) -> PasswordResetToken:
    """Exchanges the code texted to the recovery phone (see POST /v1/password-resets) for the
    token a mailed reset link carries; then POST /v1/password-resets/confirm with it, the new
    password and, with 2FA on, a TOTP or emergency code (a reset never bypasses 2FA). Public;
    5 tries per address per 15 minutes (then 429); a wrong, used or expired code gets 400
    `invalid_or_expired_token`, as does an address without an account."""
    await ratelimit.hit(
        database_of(request).sessionmaker,
        f"password_reset_sms_code:{body.email.strip().lower()}",
        limit=5,
        per_seconds=900,
    )
    token = await credentials.exchange_reset_code(
        session, email=body.email, code=body.code, ip=client.ip
    )
    return PasswordResetToken(token=token)


@signup_router.post(
    "/password-resets/confirm",
    status_code=NO_CONTENT,
    dependencies=[Depends(per_ip("password_reset_confirm", limit=20, per_seconds=3600))],
)
@declares(PUBLIC, InvalidLinkToken, SecondFactorRequired, WeakPassword, 422, TooManyRequests)
async def reset_password(
    body: PasswordResetConfirm, session: Session, client: RequestClient
) -> None:
    """Sets a new password with the token of a reset link. Public; with 2FA on, a TOTP or
    emergency code is needed too (a reset never bypasses 2FA: 403 `two_factor_code_required`).
    Every session of the account ends, the lockout counter is cleared and a "password changed"
    mail is sent."""
    await credentials.reset_password(
        session,
        raw=body.token,
        new_password=body.new_password,
        code=body.code,
        emergency_code=body.emergency_code,
        ip=client.ip,
    )


@signup_router.post(
    newsletters.UNSUBSCRIBE_PATH.removeprefix("/v1"),
    status_code=NO_CONTENT,
    dependencies=[Depends(per_ip("newsletter_unsubscribe", limit=60, per_seconds=3600))],
)
@declares(PUBLIC, InvalidLinkToken, TooManyRequests)
async def unsubscribe_from_newsletter(
    token: Annotated[
        str,
        Query(
            min_length=64,
            max_length=64,
            description="The recipient's own token, from the newsletter's `List-Unsubscribe` URL.",
        ),
    ],
    one_click: Annotated[
        Literal["One-Click"],
        Form(
            alias="List-Unsubscribe",
            description="`One-Click`, as RFC 8058 has mail programs send it.",
        ),
    ],
    session: Session,
    client: RequestClient,
) -> None:
    """The one-click unsubscribe of RFC 8058: the URL in a newsletter's `List-Unsubscribe`
    header, called by the recipient's mail program with a POST whose form body is
    `List-Unsubscribe=One-Click`. Public, no login: the token names one subscription of one
    account. The subscription is withdrawn (the account's topics no longer list it, its activity
    log records `account.newsletter_unsubscribed`); again: nothing more happens. A forged or
    damaged token: 400 `invalid_or_expired_token`."""
    await newsletters.unsubscribe(session, token, ip=client.ip)


@router.get("", operation_id="accounts-read")
@declares(read_scope, *CALLER_ERRORS)
async def read_account(account: CurrentAccount, session: Session) -> AccountRead:
    """The caller's own account: profile, confirmations, recovery means, 2FA status and support
    code. For a signed-in session or a personal access token with `account:read`."""
    return await account_read(session, account)


@router.patch("", operation_id="accounts-update")
@declares(write_scope, *CALLER_ERRORS)
async def update_account(
    body: ProfileUpdate, account: CurrentAccount, by: AccountActor, session: Session
) -> AccountRead:
    """Changes the caller's names, phone, address, language, time zone or newsletter topics
    (only the properties sent). A new phone number is no longer confirmed. Recorded in the
    activity log (`account.profile_updated`)."""
    changes = body.model_dump(exclude_unset=True)
    if "address" in changes and body.address is not None:
        changes["address"] = body.address.model_dump()
    await profile.update_profile(session, account, changes, by=by)
    return await account_read(session, account)


@router.post("/email-confirmation", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken)
async def confirm_email(body: TokenBody, session: Session, client: RequestClient) -> None:
    """Confirms the login e-mail with the token of the link mailed at sign-up (valid 7 days).
    Public: whoever holds the token acts as the account. A used, expired or unknown token gets
    400 `invalid_or_expired_token`."""
    await profile.confirm_email(session, body.token, ip=client.ip)


@router.post("/email-confirmation/resend", status_code=ACCEPTED)
@declares(write_scope, *CALLER_ERRORS, EmailAlreadyConfirmed)
async def resend_confirmation(principal: AnyPrincipal, session: Session) -> None:
    """Mails a new confirmation link to the login address (the only call, with confirming, an
    unconfirmed account may make). 409 `email_already_confirmed` once it is."""
    await profile.send_confirmation(session, principal.account)


@router.post("/unlock", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken)
async def unlock(body: TokenBody, session: Session, client: RequestClient) -> None:
    """Unlocks an account locked by failed logins, with the token of the link mailed when it
    locked (valid 1 day). Public. An administrator of one of its organizations can unlock it too."""
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
    """Changes the password: needs the current one (a wrong one counts as a failed login,
    403 `wrong_password`). Signed-in sessions only, not tokens. Every other session ends and a
    "password changed" mail is sent."""
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
    """Starts a login e-mail change: needs the password and the new address twice; it must
    differ from the recovery e-mail and from every other account's login. A confirmation link
    (valid 1 day) is mailed to the new address; nothing changes until it is followed."""
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
    """Makes the new address the login, with the token of the link mailed to it. Public. The
    former address is mailed a link (valid 7 days) that undoes the change. 409
    `email_already_registered` when another account took the address meanwhile."""
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
    """Sets the recovery e-mail (a recent re-authentication is needed): a confirmation link is
    mailed to it and a notice to the login address. It receives password reset links once
    confirmed. It must differ from the login (422 `email_is_login_email`)."""
    await credentials.set_recovery_email(session, account, str(body.email), by=by)


@router.post("/recovery-email/confirm", status_code=NO_CONTENT)
@declares(PUBLIC, InvalidLinkToken)
async def confirm_recovery_email(body: TokenBody, session: Session) -> None:
    """Confirms the recovery e-mail with the token of the link mailed to it (valid 7 days).
    Public. A link for an address that is no longer the recovery e-mail is refused."""
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
    """Sets the recovery phone (a recent re-authentication is needed) and texts it a 6-digit
    code, valid 15 minutes; the number counts once the code is confirmed."""
    await credentials.set_recovery_phone(session, account, body.phone, by=by)


@router.post("/recovery-phone/confirm", status_code=NO_CONTENT)
@declares(write_scope, *CALLER_ERRORS, InvalidLinkToken, TooManyRequests)
async def confirm_recovery_phone(
    body: RecoveryPhoneConfirm, account: CurrentAccount, session: Session, request: Request
) -> None:
    """Confirms the recovery phone with the texted code; 5 tries per 15 minutes per account,
    then 429."""
    await ratelimit.hit(
        database_of(request).sessionmaker, f"recovery_phone:{account.id}", limit=5, per_seconds=900
    )
    await credentials.confirm_recovery_phone(session, account, body.code)


@router.get("/security")
@declares(read_scope, *CALLER_ERRORS)
async def read_security(account: CurrentAccount) -> SecuritySettings:
    """The caller's lockout threshold and login alert mail settings."""
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
    """Changes the lockout threshold (failed logins in a row that lock the account) and the
    login alert mails (only the properties sent). Needs a recent re-authentication; recorded in
    the activity log."""
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    return await profile.update_security(session, account, changes, by=by)


@router.get("/sessions", response_model=Page[SessionRead])
@declares(read_scope, *SESSION_ERRORS)
async def list_sessions(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session, page: Pagination
) -> dict[str, Any]:
    """The caller's active sessions (one per signed-in device), newest first; `current` marks
    the one making the request. Signed-in sessions only, not tokens."""
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
    session_id: Annotated[uuid.UUID, Path(description="A session of the caller's.")],
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Ends one of the caller's sessions (a device): its access and refresh tokens stop working
    at once. 404 `session_not_found` for a session not the caller's or already ended."""
    target = await auth.get_session(session, account.id, session_id)
    await auth.end_session(session, target, reason="ended_by_user")


@router.post("/sessions/end-others", status_code=NO_CONTENT)
@declares(write_scope, *SESSION_ERRORS)
async def end_other_sessions(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session
) -> None:
    """Ends every session of the caller except the one making the request; personal access
    tokens are not affected (revoke them one by one)."""
    await auth.end_sessions(session, account.id, reason="ended_by_user", keep=auth_session.id)


@router.get("/login-history", response_model=Page[LoginAttemptRead])
@declares(read_scope, *CALLER_ERRORS)
async def login_history(
    account: CurrentAccount, session: Session, page: Pagination
) -> dict[str, Any]:
    """The caller's login attempts, successful and failed (with the reason, IP and device),
    newest first."""
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
    product_id: Annotated[
        uuid.UUID | None, Query(description="Only the entries about this product.")
    ] = None,
    since: Annotated[
        Instant | None, Query(description="Only entries at or after this time (ISO 8601).")
    ] = None,
    until: Annotated[
        Instant | None, Query(description="Only entries before this time (ISO 8601).")
    ] = None,
) -> dict[str, Any]:
    """The caller's activity log (what it did, and what was done to its account), newest
    first, filterable by period, action type or prefix, and product."""
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
    """A new TOTP secret (RFC 6238) to add to an authenticator app; 2FA is on only once a
    first code confirms it. Needs a recent re-authentication. Calling it again replaces the
    pending secret."""
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
    """Turns 2FA on with a first code of the pending secret and returns 10 emergency codes,
    shown this once. Needs a recent re-authentication; recorded in the activity log. 409
    `two_factor_enrollment_missing` without a pending secret."""
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
    """Turns 2FA off: needs the password and a TOTP or emergency code (a wrong one counts as a
    failed login). Signed-in sessions only; recorded in the activity log."""
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
    """Ten new emergency codes, shown this once; the old ones stop working. Needs a recent
    re-authentication and a current TOTP code."""
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
    """Creates a personal access token (an application password) with scopes, for
    integrators and sync tools; the token is shown this once. Needs a recent re-authentication;
    recorded in the activity log. 422 `expiry_in_past` for an expiry not in the future."""
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
    """The caller's personal access tokens still in force (not revoked, not expired), newest
    first; the tokens themselves are never shown again, only their prefix."""
    rows, cursor = await paginate(
        session,
        pats.active_of(account.id),
        page,
    )
    return page_of([PersonalAccessTokenRead.model_validate(row) for row in rows], cursor)


@router.delete("/tokens/{token_id}", status_code=NO_CONTENT)
@declares(write_scope, *SESSION_ERRORS, TokenNotFound)
async def revoke_token(
    token_id: Annotated[uuid.UUID, Path(description="A personal access token of the caller's.")],
    account: CurrentAccount,
    auth_session: InteractiveSession,
    by: AccountActor,
    session: Session,
) -> None:
    """Revokes a personal access token: it stops working at once. Recorded in the activity
    log."""
    await pats.revoke(session, account.id, token_id, by=by)


@router.put("/avatar", status_code=NO_CONTENT)
@declares(write_scope, *CALLER_ERRORS, AvatarTooLarge, AvatarTypeNotSupported, 400, 413, 422)
async def set_avatar(
    file: Annotated[UploadFile, File(description="The image: PNG, JPEG or WebP, at most 1 MiB.")],
    account: CurrentAccount,
    by: AccountActor,
    session: Session,
) -> None:
    """Sets the caller's avatar from a multipart `file`: a PNG, JPEG or WebP image of at most
    1 MiB (the type is read from the content, not the file name)."""
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
    """The caller's avatar image, in the type it was uploaded in; 404 `avatar_not_found`
    without one."""
    avatar = await profile.get_avatar(session, account.id)
    return Response(
        avatar.data,
        media_type=avatar.content_type,
        headers={"Cache-Control": "private, max-age=300"},
    )
