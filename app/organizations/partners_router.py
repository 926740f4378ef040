"""/v1/organizations/{organization_id}: a partner's clients, and a client's partnership."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from app.core.db import Session
from app.core.errors import problem_responses
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import partners
from app.organizations.errors import (
    BillingNeedsFullAccess,
    InvalidInvitation,
    InvitationNotPending,
    LimitedAccessNeedsProducts,
    PartnerInvitationNotFound,
    PartnerIsClient,
    PartnershipEnded,
    PartnershipExists,
    PartnershipNotFound,
    ProductNotInOrganization,
)
from app.organizations.partners import Status
from app.organizations.permissions import (
    MANAGER_ERRORS,
    PARTNER_ERRORS,
    READ,
    WRITE,
    LegalRepresentative,
    Manager,
    PartnerLegalRepresentative,
    PartnerManager,
)
from app.organizations.schemas import (
    PartnerInvitationCreate,
    PartnerInvitationRead,
    PartnershipAccept,
    PartnershipRead,
    PartnershipTerms,
)

router = APIRouter(tags=["partners"], route_class=AppRoute)
NO_CONTENT = status.HTTP_204_NO_CONTENT
TERMS_ERRORS = (ProductNotInOrganization, LimitedAccessNeedsProducts)
STATUS = "`active`: running partnerships; `ended`: ended ones; `all`: both."
ClientStatus = Annotated[Status, Query(description=STATUS)]


@router.post("/{organization_id}/partner-invitations", status_code=status.HTTP_201_CREATED)
@declares(WRITE, *PARTNER_ERRORS, BillingNeedsFullAccess, 422)
async def invite_client(
    body: PartnerInvitationCreate, access: PartnerLegalRepresentative, session: Session
) -> PartnerInvitationRead:
    """A partner's legal representative asks a client to be managed: the invitation is mailed
    to `email`, valid for 14 days, and the client's legal representative accepts (possibly
    with other access) through its link. Partner organizations only (403 `not_a_partner`
    elsewhere)."""
    invitation = await partners.invite_client(
        session,
        access,
        email=str(body.email),
        client_name=body.client_name,
        access_type=body.access_type,
        includes_billing=body.includes_billing,
        payment_mode=body.payment_mode,
        by=access.actor,
    )
    return partners.partner_invitation_read(invitation)


@router.get(
    "/{organization_id}/partner-invitations",
    operation_id="partners-list_invitations",
    response_model=Page[PartnerInvitationRead],
)
@declares(READ, *PARTNER_ERRORS, InvalidCursor)
async def list_partner_invitations(
    access: PartnerManager, session: Session, page: Pagination
) -> dict[str, Any]:
    """The partner's invitations to clients, newest first, pending, accepted, revoked or
    expired. Legal representatives and administrators of a partner organization."""
    rows, cursor = await paginate(
        session,
        partners.invitations_of(access.organization.id),
        page,
    )
    return page_of([partners.partner_invitation_read(row) for row in rows], cursor)


@router.delete(
    "/{organization_id}/partner-invitations/{invitation_id}",
    operation_id="partners-revoke_invitation",
    status_code=NO_CONTENT,
)
@declares(WRITE, *PARTNER_ERRORS, PartnerInvitationNotFound, InvitationNotPending)
async def revoke_partner_invitation(
    invitation_id: uuid.UUID, access: PartnerLegalRepresentative, session: Session
) -> None:
    """Revokes a pending invitation to a client: its link stops working (409
    `invitation_not_pending` once accepted, revoked or expired). Legal representatives of the
    partner only."""
    await partners.revoke_invitation(session, access.organization, invitation_id, by=access.actor)


@router.get("/{organization_id}/clients", response_model=Page[PartnershipRead])
@declares(READ, *PARTNER_ERRORS, InvalidCursor)
async def list_clients(
    access: PartnerManager, session: Session, page: Pagination, status: ClientStatus = "active"
) -> dict[str, Any]:
    """The client organizations the partner manages (or managed, with `status`), newest
    first, with the access each granted. Legal representatives and administrators of a
    partner organization."""
    rows, cursor = await paginate(
        session,
        partners.clients_of(access.organization.id, status),
        page,
    )
    return page_of(await partners.partnership_reads(session, rows), cursor)


@router.get(
    "/{organization_id}/clients/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(*PARTNER_ERRORS, 422)},
)
@declares(READ)
async def export_clients(
    access: PartnerManager, session: Session, status: ClientStatus = "active"
) -> Response:
    """The clients as a CSV file (UTF-8, one line per partnership, a header line first): the
    same rows as the list, unpaginated. Legal representatives and administrators of a
    partner organization."""
    body = await partners.clients_export(session, access.organization.id, status)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clients.csv"'},
    )


@router.post("/{organization_id}/clients/{partnership_id}/end")
@declares(WRITE, *PARTNER_ERRORS, PartnershipNotFound, PartnershipEnded)
async def end_client(
    partnership_id: uuid.UUID, access: PartnerLegalRepresentative, session: Session
) -> PartnershipRead:
    """The partner stops managing a client; its staff lose access at once and the client
    holds every access itself. Legal representatives of the partner only; emits
    `partnership.ended` to both organizations."""
    partnership = await partners.get_partner_partnership(
        session, access.organization.id, partnership_id, for_update=True
    )
    await partners.end(session, access.organization, partnership, by=access.actor)
    return await partners.partnership_read(session, partnership)


@router.post("/{organization_id}/partnerships", status_code=status.HTTP_201_CREATED)
@declares(
    WRITE,
    *MANAGER_ERRORS,
    InvalidInvitation,
    PartnerIsClient,
    PartnershipExists,
    *TERMS_ERRORS,
    422,
)
async def accept(
    body: PartnershipAccept, access: LegalRepresentative, session: Session
) -> PartnershipRead:
    """The client's legal representative accepts a partner's invitation for this organization:
    full access (every product, billing optional) or limited access (the products listed), and
    who pays; the terms may differ from what the partner asked. An organization has one
    partner at a time (409 `partnership_exists`). Emits `partnership.started` to both
    organizations."""
    partnership = await partners.accept(
        session,
        access.organization,
        body.token,
        access_type=body.access_type,
        includes_billing=body.includes_billing,
        product_ids=body.product_ids,
        payment_mode=body.payment_mode,
        by=access.actor,
    )
    return await partners.partnership_read(session, partnership)


@router.get("/{organization_id}/partnerships", response_model=Page[PartnershipRead])
@declares(READ, *MANAGER_ERRORS, InvalidCursor)
async def list_partnerships(
    access: Manager, session: Session, page: Pagination, status: ClientStatus = "all"
) -> dict[str, Any]:
    """The partners that manage (or managed) this organization, newest first, with the access
    each was granted. Legal representatives and administrators."""
    rows, cursor = await paginate(
        session,
        partners.partnerships_of(access.organization.id, status),
        page,
    )
    return page_of(await partners.partnership_reads(session, rows), cursor)


@router.put("/{organization_id}/partnerships/{partnership_id}")
@declares(WRITE, *MANAGER_ERRORS, PartnershipNotFound, PartnershipEnded, *TERMS_ERRORS, 422)
async def change_terms(
    partnership_id: uuid.UUID,
    body: PartnershipTerms,
    access: LegalRepresentative,
    session: Session,
) -> PartnershipRead:
    """The client changes its partner's access or the payment mode (the whole terms are
    sent); the partner's staff reach what the new terms allow from the next request. Legal
    representatives of the client only; emits `partnership.updated` to both organizations."""
    partnership = await partners.get_client_partnership(
        session, access.organization.id, partnership_id, for_update=True
    )
    await partners.change_terms(
        session,
        access.organization,
        partnership,
        access_type=body.access_type,
        includes_billing=body.includes_billing,
        product_ids=body.product_ids,
        payment_mode=body.payment_mode,
        by=access.actor,
    )
    return await partners.partnership_read(session, partnership)


@router.post("/{organization_id}/partnerships/{partnership_id}/end")
@declares(WRITE, *MANAGER_ERRORS, PartnershipNotFound, PartnershipEnded)
async def end(
    partnership_id: uuid.UUID, access: LegalRepresentative, session: Session
) -> PartnershipRead:
    """The client ends the partnership, at any time and for free: the partner's staff lose
    access at once and the client holds every access itself. Legal representatives of the
    client only; emits `partnership.ended` to both organizations."""
    partnership = await partners.get_client_partnership(
        session, access.organization.id, partnership_id, for_update=True
    )
    await partners.end(session, access.organization, partnership, by=access.actor)
    return await partners.partnership_read(session, partnership)
