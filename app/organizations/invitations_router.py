"""/v1/invitations and /v1/partner-invitations: following the links of invitation e-mails."""

from fastapi import APIRouter, Depends, status

from app.accounts import directory
from app.accounts.deps import PUBLIC, CurrentAccount
from app.accounts.errors import InsufficientScope
from app.core.db import Session
from app.core.errors import TooManyRequests
from app.core.ratelimit import per_ip
from app.core.routing import AppRoute, declares
from app.organizations import members, partners
from app.organizations.errors import AlreadyMember, InvalidInvitation, InvitationForAnotherAddress
from app.organizations.permissions import WRITE
from app.organizations.schemas import (
    InvitationAccepted,
    InvitationPreview,
    InvitationSignUp,
    InvitationToken,
    PartnerInvitationPreview,
)
from app.organizations.types import Role

router = APIRouter(tags=["invitations"], route_class=AppRoute)
token_limit = Depends(per_ip("invitation_token", limit=30, per_seconds=60))


@router.post("/invitations/preview", dependencies=[token_limit])
@declares(PUBLIC, InvalidInvitation, 422, TooManyRequests)
async def preview(body: InvitationToken, session: Session) -> InvitationPreview:
    """What an invitation link offers (the organization, the role), and whether its address
    already has an account, so the page knows whether to ask for a login or a sign-up.
    Public; limited to 30 tries a minute per IP. 400 `invalid_or_expired_invitation` when the
    token is unknown, expired, revoked or used."""
    invitation, organization = await members.get_pending_invitation(session, body.token)
    existing = await directory.by_email(session, invitation.email)
    return InvitationPreview(
        organization_id=organization.id,
        organization_name=organization.name,
        email=invitation.email,
        role=Role(invitation.role),
        account_exists=existing is not None,
        expires_at=invitation.expires_at,
    )


@router.post("/invitations/accept", dependencies=[token_limit])
@declares(
    WRITE,
    401,
    403,
    InsufficientScope,
    InvalidInvitation,
    InvitationForAnotherAddress,
    AlreadyMember,
    422,
    TooManyRequests,
)
async def accept(
    body: InvitationToken, account: CurrentAccount, session: Session
) -> InvitationAccepted:
    """The signed-in account joins the organization with the invited role; its login must be
    the invited address (403 `invitation_for_another_address`). The invitation is used up;
    emits `member.added`."""
    item = await members.accept(session, body.token, account_id=account.id, email=account.email)
    return InvitationAccepted(
        organization_id=item.organization_id, account_id=item.account_id, role=Role(item.role)
    )


@router.post(
    "/invitations/accept-with-sign-up",
    status_code=status.HTTP_201_CREATED,
    dependencies=[token_limit, Depends(per_ip("invitation_sign_up", limit=10, per_seconds=3600))],
)
@declares(PUBLIC, InvalidInvitation, AlreadyMember, 409, 422, TooManyRequests)
async def accept_with_sign_up(body: InvitationSignUp, session: Session) -> InvitationAccepted:
    """Creates the account of an invited address that has none (its e-mail counts as
    confirmed: the link proves it) and joins the organization; then log in as usual. Public;
    limited to 10 sign-ups an hour per IP. Emits `member.added`."""
    item = await members.accept_with_sign_up(
        session,
        body.token,
        profile={
            "first_name": body.first_name,
            "last_name": body.last_name,
            "password": body.password,
            "phone": body.phone,
            "language": body.language,
            "time_zone": body.time_zone,
        },
    )
    return InvitationAccepted(
        organization_id=item.organization_id, account_id=item.account_id, role=Role(item.role)
    )


@router.post("/partner-invitations/preview", dependencies=[token_limit])
@declares(WRITE, 401, 403, InsufficientScope, InvalidInvitation, 422, TooManyRequests)
async def preview_partner_invitation(
    body: InvitationToken, account: CurrentAccount, session: Session
) -> PartnerInvitationPreview:
    """What a partner's invitation link asks for (the partner, the access, who pays); a legal
    representative of the client organization then accepts with POST
    /v1/organizations/{organization_id}/partnerships. Any signed-in account."""
    return await partners.preview(session, body.token)
