"""/v1/organizations/{organization_id}: a partner's clients, and a client's partnership."""

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from app.core.db import Session
from app.core.errors import problem_responses
from app.core.idempotency import AppRoute
from app.core.pagination import Page, Pagination, page_of, paginate
from app.organizations import partners
from app.organizations.models import PartnerInvitation, Partnership
from app.organizations.permissions import (
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
Status = Literal["active", "ended", "all"]
CSV_EXPORT_LIMIT = 10_000


def _with_status(statement: Any, wanted: Status) -> Any:
    if wanted == "active":
        return statement.where(Partnership.ended_at.is_(None))
    if wanted == "ended":
        return statement.where(Partnership.ended_at.is_not(None))
    return statement


@router.post(
    "/{organization_id}/partner-invitations",
    operation_id="partners-invite_client",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 403, 404, 422),
)
async def invite_client(
    body: PartnerInvitationCreate, access: PartnerLegalRepresentative, session: Session
) -> PartnerInvitationRead:
    """A partner's legal representative asks a client to be managed; the client's legal
    representative accepts (possibly with other access) through the mailed link."""
    invitation = await partners.invite_client(
        session,
        access,
        email=str(body.email),
        client_name=body.client_name,
        access_type=body.access_type,
        includes_billing=body.includes_billing,
        payment_mode=body.payment_mode,
    )
    return partners.partner_invitation_read(invitation)


@router.get(
    "/{organization_id}/partner-invitations",
    operation_id="partners-list_invitations",
    response_model=Page[PartnerInvitationRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_partner_invitations(
    access: PartnerManager, session: Session, page: Pagination
) -> dict[str, Any]:
    rows, cursor = await paginate(
        session,
        select(PartnerInvitation).where(
            PartnerInvitation.partner_organization_id == access.organization.id
        ),
        page,
        created_at=PartnerInvitation.created_at,
        id=PartnerInvitation.id,
    )
    return page_of([partners.partner_invitation_read(row) for row in rows], cursor)


@router.delete(
    "/{organization_id}/partner-invitations/{invitation_id}",
    operation_id="partners-revoke_invitation",
    status_code=NO_CONTENT,
    responses=problem_responses(401, 403, 404, 409),
)
async def revoke_partner_invitation(
    invitation_id: uuid.UUID, access: PartnerLegalRepresentative, session: Session
) -> None:
    await partners.revoke_invitation(session, access, invitation_id)


@router.get(
    "/{organization_id}/clients",
    operation_id="partners-list_clients",
    response_model=Page[PartnershipRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_clients(
    access: PartnerManager, session: Session, page: Pagination, status: Status = "active"
) -> dict[str, Any]:
    """The client organizations the partner manages (or managed); newest first."""
    statement = select(Partnership).where(
        Partnership.partner_organization_id == access.organization.id
    )
    rows, cursor = await paginate(
        session,
        _with_status(statement, status),
        page,
        created_at=Partnership.created_at,
        id=Partnership.id,
    )
    return page_of(await partners.partnership_reads(session, rows), cursor)


@router.get(
    "/{organization_id}/clients/export",
    operation_id="partners-export_clients",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(401, 403, 404, 422)},
)
async def export_clients(
    access: PartnerManager, session: Session, status: Status = "active"
) -> Response:
    """The clients as CSV (UTF-8, one line per partnership)."""
    statement = (
        select(Partnership)
        .where(Partnership.partner_organization_id == access.organization.id)
        .order_by(Partnership.created_at.desc(), Partnership.id.desc())
        .limit(CSV_EXPORT_LIMIT)
    )
    rows = list(await session.scalars(_with_status(statement, status)))
    body = partners.clients_csv(await partners.partnership_reads(session, rows))
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="clients.csv"'},
    )


@router.post(
    "/{organization_id}/clients/{partnership_id}/end",
    operation_id="partners-end_client",
    responses=problem_responses(401, 403, 404, 409),
)
async def end_client(
    partnership_id: uuid.UUID, access: PartnerLegalRepresentative, session: Session
) -> PartnershipRead:
    """The partner stops managing a client; its staff lose access at once."""
    partnership = await partners.partnership_of_partner(
        session, access.organization.id, partnership_id
    )
    await partners.end(session, access, partnership)
    return await partners.partnership_read(session, partnership)


@router.post(
    "/{organization_id}/partnerships",
    operation_id="partners-accept",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(400, 401, 403, 404, 409, 422),
)
async def accept(
    body: PartnershipAccept, access: LegalRepresentative, session: Session
) -> PartnershipRead:
    """The client's legal representative accepts a partner's invitation for this organization:
    full access (every product, billing optional) or limited access (the products listed), and
    who pays."""
    partnership = await partners.accept(
        session,
        access,
        body.token,
        access_type=body.access_type,
        includes_billing=body.includes_billing,
        product_ids=body.product_ids,
        payment_mode=body.payment_mode,
    )
    return await partners.partnership_read(session, partnership)


@router.get(
    "/{organization_id}/partnerships",
    operation_id="partners-list_partnerships",
    response_model=Page[PartnershipRead],
    responses=problem_responses(400, 401, 403, 404),
)
async def list_partnerships(
    access: Manager, session: Session, page: Pagination, status: Status = "all"
) -> dict[str, Any]:
    """The partners that manage (or managed) this organization."""
    statement = select(Partnership).where(
        Partnership.client_organization_id == access.organization.id
    )
    rows, cursor = await paginate(
        session,
        _with_status(statement, status),
        page,
        created_at=Partnership.created_at,
        id=Partnership.id,
    )
    return page_of(await partners.partnership_reads(session, rows), cursor)


@router.put(
    "/{organization_id}/partnerships/{partnership_id}",
    operation_id="partners-change_terms",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def change_terms(
    partnership_id: uuid.UUID,
    body: PartnershipTerms,
    access: LegalRepresentative,
    session: Session,
) -> PartnershipRead:
    """The client changes its partner's access or the payment mode."""
    partnership = await partners.partnership_of_client(
        session, access.organization.id, partnership_id
    )
    await partners.change_terms(
        session,
        access,
        partnership,
        access_type=body.access_type,
        includes_billing=body.includes_billing,
        product_ids=body.product_ids,
        payment_mode=body.payment_mode,
    )
    return await partners.partnership_read(session, partnership)


@router.post(
    "/{organization_id}/partnerships/{partnership_id}/end",
    operation_id="partners-end",
    responses=problem_responses(401, 403, 404, 409),
)
async def end(
    partnership_id: uuid.UUID, access: LegalRepresentative, session: Session
) -> PartnershipRead:
    """The client ends the partnership, at any time and for free: the partner's staff lose
    access at once."""
    partnership = await partners.partnership_of_client(
        session, access.organization.id, partnership_id
    )
    await partners.end(session, access, partnership)
    return await partners.partnership_read(session, partnership)
