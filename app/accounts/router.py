"""/v1/accounts (sign-up) and /v1/account: the caller's own account, security and tokens."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, UploadFile, status
from sqlalchemy import select

from app.accounts import auth, pats, service, totp
from app.accounts.deps import (
    AnyPrincipal,
    CurrentAccount,
    InteractiveSession,
    RecentSession,
    require_scope,
)
from app.accounts.models import (
    Account,
    AccountAvatar,
    AuthSession,
    LoginAttempt,
    PersonalAccessToken,
)
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
from app.core import clock, ratelimit
from app.core.db import Session, database_of
from app.core.errors import NotFound, Unprocessable, problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.core.ratelimit import per_ip
from app.notifications.service import queue_mail

signup_router = APIRouter(tags=["accounts"], route_class=AppRoute)
router = APIRouter(prefix="/account", tags=["accounts"], route_class=AppRoute)

read_scope = require_scope("account:read")
write_scope = require_scope("account:write")
AVATAR_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}
AVATAR_MAX_BYTES = 1024 * 1024
NO_CONTENT = status.HTTP_204_NO_CONTENT
ACCEPTED = status.HTTP_202_ACCEPTED


async def account_read(session: Any, account: Account) -> AccountRead:
    return AccountRead.model_validate(
        {
            **{
                field: getattr(account, field)
                for field in AccountRead.model_fields
                if hasattr(account, field)
            },
            "email_confirmed": account.email_confirmed_at is not None,
            "recovery_email_confirmed": account.recovery_email_confirmed_at is not None,
            "recovery_phone_confirmed": account.recovery_phone_confirmed_at is not None,
            "two_factor_enabled": account.two_factor_enabled,
            "has_avatar": await service.has_avatar(session, account.id),
        }
    )


@signup_router.post(
    "/password-resets",
    operation_id="accounts-request_password_reset",
    status_code=ACCEPTED,
    dependencies=[Depends(per_ip("password_reset", limit=10, per_seconds=3600))],
    responses=problem_responses(429),
)
async def request_password_reset(body: PasswordResetRequest, session: Session) -> None:
    """E-mails a reset link if the address belongs to an account; answers the same either way."""
    await service.request_password_reset(session, body.email)


@signup_router.post(
    "/password-resets/confirm",
    operation_id="accounts-reset_password",
    status_code=NO_CONTENT,
    dependencies=[Depends(per_ip("password_reset_confirm", limit=20, per_seconds=3600))],
    responses=problem_responses(400, 403, 422, 429),
)
async def reset_password(body: PasswordResetConfirm, session: Session) -> None:
    """Sets a new password from a reset link (with a 2FA code when on); every session ends."""
    await service.reset_password(
        session,
        raw=body.token,
        new_password=body.new_password,
        code=body.code,
        emergency_code=body.emergency_code,
    )


@router.get(
    "",
    operation_id="accounts-read",
    dependencies=[read_scope],
    responses=problem_responses(401, 403),
)
async def read_account(account: CurrentAccount, session: Session) -> AccountRead:
    return await account_read(session, account)


@router.patch(
    "",
    operation_id="accounts-update",
    dependencies=[write_scope],
    responses=problem_responses(401, 403),
)
async def update_account(
    body: ProfileUpdate, account: CurrentAccount, session: Session
) -> AccountRead:
    """Names, phone, address, language, time zone and newsletter topics."""
    changes = body.model_dump(exclude_unset=True)
    if "address" in changes and body.address is not None:
        changes["address"] = body.address.model_dump()
    await service.update_profile(session, account, changes)
    return await account_read(session, account)


@router.post(
    "/email-confirmation",
    operation_id="accounts-confirm_email",
    status_code=NO_CONTENT,
    responses=problem_responses(400),
)
async def confirm_email(body: TokenBody, session: Session) -> None:
    """Confirms the login e-mail with the token of the link mailed at sign-up."""
    await service.confirm_email(session, body.token)


@router.post(
    "/email-confirmation/resend",
    operation_id="accounts-resend_confirmation",
    status_code=ACCEPTED,
    responses=problem_responses(401, 409),
)
async def resend_confirmation(principal: AnyPrincipal, session: Session) -> None:
    await service.send_confirmation(session, principal.account)


@router.post(
    "/unlock",
    operation_id="accounts-unlock",
    status_code=NO_CONTENT,
    responses=problem_responses(400),
)
async def unlock(body: TokenBody, session: Session) -> None:
    """Unlocks a locked account with the token of the link mailed when it locked."""
    await auth.unlock_with_token(session, body.token)


@router.post(
    "/password",
    operation_id="accounts-change_password",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 422),
)
async def change_password(
    body: PasswordChange,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Needs the current password; every other session ends."""
    await service.change_password(
        session,
        account,
        current=body.current_password,
        new=body.new_password,
        keep_session=auth_session.id,
    )


@router.post(
    "/login-email",
    operation_id="accounts-change_login_email",
    status_code=ACCEPTED,
    responses=problem_responses(401, 403, 409, 422),
)
async def change_login_email(
    body: LoginEmailChange,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Mails a confirmation link to the new address; the change happens when it is followed."""
    await service.request_login_email_change(
        session,
        account,
        password=body.password,
        new_email=str(body.new_email),
        confirmation=str(body.new_email_confirmation),
    )


@router.post(
    "/login-email/confirm",
    operation_id="accounts-confirm_login_email",
    status_code=NO_CONTENT,
    responses=problem_responses(400, 409),
)
async def confirm_login_email(body: TokenBody, session: Session) -> None:
    await service.confirm_login_email_change(session, body.token)


@router.put(
    "/recovery-email",
    operation_id="accounts-set_recovery_email",
    status_code=ACCEPTED,
    responses=problem_responses(401, 403, 422),
)
async def set_recovery_email(
    body: RecoveryEmail, account: CurrentAccount, auth_session: RecentSession, session: Session
) -> None:
    """Sets the recovery e-mail; it counts once confirmed through the link mailed to it."""
    await service.set_recovery_email(session, account, str(body.email))


@router.post(
    "/recovery-email/confirm",
    operation_id="accounts-confirm_recovery_email",
    status_code=NO_CONTENT,
    responses=problem_responses(400),
)
async def confirm_recovery_email(body: TokenBody, session: Session) -> None:
    await service.confirm_recovery_email(session, body.token)


@router.put(
    "/recovery-phone",
    operation_id="accounts-set_recovery_phone",
    status_code=ACCEPTED,
    responses=problem_responses(401, 403, 422),
)
async def set_recovery_phone(
    body: RecoveryPhone, account: CurrentAccount, auth_session: RecentSession, session: Session
) -> None:
    """Sets the recovery phone; it counts once the code texted to it is confirmed."""
    await service.set_recovery_phone(session, account, body.phone)


@router.post(
    "/recovery-phone/confirm",
    operation_id="accounts-confirm_recovery_phone",
    status_code=NO_CONTENT,
    responses=problem_responses(400, 401, 403, 429),
)
async def confirm_recovery_phone(
    body: RecoveryPhoneConfirm, account: CurrentAccount, session: Session, request: Request
) -> None:
    """Confirms the recovery phone with the texted code (5 tries per 15 minutes)."""
    await ratelimit.hit(
        database_of(request).sessionmaker, f"recovery_phone:{account.id}", limit=5, per_seconds=900
    )
    await service.confirm_recovery_phone(session, account, body.code)


@router.get(
    "/security",
    operation_id="accounts-read_security",
    dependencies=[read_scope],
    responses=problem_responses(401, 403),
)
async def read_security(account: CurrentAccount) -> SecuritySettings:
    return SecuritySettings.model_validate(account)


@router.patch(
    "/security", operation_id="accounts-update_security", responses=problem_responses(401, 403)
)
async def update_security(
    body: SecuritySettingsUpdate,
    account: CurrentAccount,
    auth_session: RecentSession,
    session: Session,
) -> SecuritySettings:
    """Failed-attempt threshold and login alert e-mails."""
    for field, value in body.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(account, field, value)
    await activity.record_entry(
        session, "security.settings_updated", account_id=account.id, actor_account_id=account.id
    )
    return SecuritySettings.model_validate(account)


@router.get(
    "/sessions",
    operation_id="accounts-list_sessions",
    response_model=Page[SessionRead],
    responses=problem_responses(401, 403),
)
async def list_sessions(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session, page: Pagination
) -> dict[str, Any]:
    """Active sessions (devices), newest first."""
    rows, cursor = await paginate(
        session,
        select(AuthSession).where(
            AuthSession.account_id == account.id,
            AuthSession.ended_at.is_(None),
            AuthSession.expires_at > clock.now(),
        ),
        page,
        created_at=AuthSession.created_at,
        id=AuthSession.id,
    )
    return page_of([_session_read(row, auth_session.id) for row in rows], cursor)


def _session_read(row: AuthSession, current_id: uuid.UUID) -> SessionRead:
    return SessionRead(
        id=row.id,
        device=row.device,
        ip=row.ip,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        current=row.id == current_id,
    )


@router.delete(
    "/sessions/{session_id}",
    operation_id="accounts-end_session",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def end_session(
    session_id: uuid.UUID,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    target = await session.scalar(
        select(AuthSession).where(
            AuthSession.id == session_id,
            AuthSession.account_id == account.id,
            AuthSession.ended_at.is_(None),
        )
    )
    if target is None:
        raise NotFound("No such active session.", code="session_not_found")
    await auth.end_session(session, target, reason="ended_by_user")


@router.post(
    "/sessions/end-others",
    operation_id="accounts-end_other_sessions",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403),
)
async def end_other_sessions(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session
) -> None:
    await auth.end_sessions(session, account.id, reason="ended_by_user", keep=auth_session.id)


@router.get(
    "/login-history",
    operation_id="accounts-login_history",
    response_model=Page[LoginAttemptRead],
    dependencies=[read_scope],
    responses=problem_responses(401, 403),
)
async def login_history(
    account: CurrentAccount, session: Session, page: Pagination
) -> dict[str, Any]:
    """Successful and failed logins, newest first."""
    rows, cursor = await paginate(
        session,
        select(LoginAttempt).where(LoginAttempt.account_id == account.id),
        page,
        created_at=LoginAttempt.created_at,
        id=LoginAttempt.id,
    )
    return page_of([LoginAttemptRead.model_validate(row) for row in rows], cursor)


@router.get(
    "/activity",
    operation_id="accounts-activity",
    response_model=Page[ActivityRead],
    dependencies=[read_scope],
    responses=problem_responses(400, 401, 403),
)
async def account_activity(
    account: CurrentAccount,
    session: Session,
    page: Pagination,
    action: Annotated[
        str | None, Query(max_length=100, description="Action or prefix, e.g. `security.`")
    ] = None,
    product_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
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


@router.post(
    "/two-factor/enrollment",
    operation_id="accounts-begin_two_factor",
    responses=problem_responses(401, 403, 409),
)
async def begin_two_factor(
    account: CurrentAccount, auth_session: RecentSession
) -> TwoFactorEnrollment:
    """A new TOTP secret to add to an authenticator app; confirm it with a first code."""
    secret, uri = totp.begin_enrollment(account)
    return TwoFactorEnrollment(secret=secret, otpauth_uri=uri)


@router.post(
    "/two-factor/enrollment/confirm",
    operation_id="accounts-confirm_two_factor",
    responses=problem_responses(401, 403, 409),
)
async def confirm_two_factor(
    body: TwoFactorCode, account: CurrentAccount, auth_session: RecentSession, session: Session
) -> EmergencyCodes:
    """Turns 2FA on and returns 10 emergency codes, shown this once."""
    codes = await totp.confirm_enrollment(session, account, body.code)
    await activity.record_entry(
        session, "security.two_factor_enabled", account_id=account.id, actor_account_id=account.id
    )
    await _security_mail(session, account, "two_factor_enabled")
    return EmergencyCodes(emergency_codes=codes)


@router.post(
    "/two-factor/disable",
    operation_id="accounts-disable_two_factor",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403),
)
async def disable_two_factor(
    body: TwoFactorDisable,
    account: CurrentAccount,
    auth_session: InteractiveSession,
    session: Session,
) -> None:
    """Needs the password and a code (or an emergency code)."""
    await service.require_password(account, body.password)
    if not await totp.verify_second_factor(
        session, account, code=body.code, emergency_code=body.emergency_code
    ):
        raise service.SecondFactorRequired("A valid two-factor code is required.")
    await totp.disable(session, account)
    await activity.record_entry(
        session, "security.two_factor_disabled", account_id=account.id, actor_account_id=account.id
    )
    await _security_mail(session, account, "two_factor_disabled")


@router.post(
    "/two-factor/emergency-codes",
    operation_id="accounts-regenerate_emergency_codes",
    responses=problem_responses(401, 403),
)
async def regenerate_emergency_codes(
    body: SecondFactor, account: CurrentAccount, auth_session: RecentSession, session: Session
) -> EmergencyCodes:
    """New emergency codes; the old ones stop working."""
    if not account.two_factor_enabled or not await totp.verify_code(
        session, account, body.code or ""
    ):
        raise service.SecondFactorRequired("A valid two-factor code is required.")
    codes = await totp.replace_emergency_codes(session, account)
    await activity.record_entry(
        session,
        "security.emergency_codes_regenerated",
        account_id=account.id,
        actor_account_id=account.id,
    )
    return EmergencyCodes(emergency_codes=codes)


@router.post(
    "/tokens",
    operation_id="accounts-create_token",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 422),
)
async def create_token(
    body: PersonalAccessTokenCreate,
    account: CurrentAccount,
    auth_session: RecentSession,
    session: Session,
) -> PersonalAccessTokenCreated:
    """An application password with scopes, for integrators and sync tools; shown once."""
    token, raw = await pats.create(
        session, account, name=body.name, scopes=list(body.scopes), expires_at=body.expires_at
    )
    await activity.record_entry(
        session,
        "security.token_created",
        account_id=account.id,
        actor_account_id=account.id,
        details={"token_id": str(token.id), "name": token.name, "scopes": token.scopes},
    )
    return PersonalAccessTokenCreated.model_validate(
        {**PersonalAccessTokenRead.model_validate(token).model_dump(), "token": raw}
    )


@router.get(
    "/tokens",
    operation_id="accounts-list_tokens",
    response_model=Page[PersonalAccessTokenRead],
    responses=problem_responses(401, 403),
)
async def list_tokens(
    account: CurrentAccount, auth_session: InteractiveSession, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        pats.active_of(account.id),
        page,
        created_at=PersonalAccessToken.created_at,
        id=PersonalAccessToken.id,
    )
    return page_of([PersonalAccessTokenRead.model_validate(row) for row in rows], cursor)


@router.delete(
    "/tokens/{token_id}",
    operation_id="accounts-revoke_token",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404),
)
async def revoke_token(
    token_id: uuid.UUID, account: CurrentAccount, auth_session: InteractiveSession, session: Session
) -> None:
    token = await pats.revoke(session, account.id, token_id)
    await activity.record_entry(
        session,
        "security.token_revoked",
        account_id=account.id,
        actor_account_id=account.id,
        details={"token_id": str(token.id), "name": token.name},
    )


@router.put(
    "/avatar",
    operation_id="accounts-set_avatar",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 413, 422),
)
async def set_avatar(file: UploadFile, account: CurrentAccount, session: Session) -> None:
    """A PNG, JPEG or WebP image of at most 1 MiB."""
    data = await file.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise Unprocessable("The image is larger than 1 MiB.", code="avatar_too_large")
    content_type = next(
        (kind for magic, kind in AVATAR_TYPES.items() if data.startswith(magic)), None
    )
    if content_type == "image/webp" and data[8:12] != b"WEBP":
        content_type = None
    if content_type is None:
        raise Unprocessable(
            "The avatar must be a PNG, JPEG or WebP image.", code="avatar_type_not_supported"
        )
    await service.set_avatar(session, account, content_type=content_type, data=data)


@router.get(
    "/avatar",
    operation_id="accounts-read_avatar",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
        **problem_responses(401, 403, 404),
    },
)
async def read_avatar(account: CurrentAccount, session: Session) -> Response:
    avatar = await session.get(AccountAvatar, account.id)
    if avatar is None:
        raise NotFound("No avatar.", code="avatar_not_found")
    return Response(
        avatar.data,
        media_type=avatar.content_type,
        headers={"Cache-Control": "private, max-age=300"},
    )


async def _security_mail(session: Any, account: Account, template: str) -> None:
    await queue_mail(
        session,
        to=account.email,
        template=template,
        language=account.language,
        context={
            "recipient_name": account.first_name,
            "at": clock.now().strftime("%Y-%m-%d %H:%M UTC"),
        },
    )
