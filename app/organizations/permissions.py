"""Every authorization decision about an organization lives here; routes declare what they need."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, params
from sqlalchemy import select

from app.accounts.deps import CurrentPrincipal, Principal
from app.core.db import Session
from app.core.errors import Forbidden, NotFound
from app.organizations.models import Membership, Organization, Role

MANAGERS = frozenset({Role.legal_representative, Role.administrator})


@dataclass(frozen=True)
class OrganizationAccess:
    """The caller inside one organization: as which role."""

    organization: Organization
    principal: Principal
    role: Role

    @property
    def account_id(self) -> uuid.UUID:
        return self.principal.account.id

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS


class OrganizationNotFound(NotFound):
    code = "organization_not_found"


async def organization_access(
    organization_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> OrganizationAccess:
    """The caller's access to the organization in the path; 404 when it has none."""
    row = (
        await session.execute(
            select(Organization, Membership.role)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(
                Organization.id == organization_id,
                Organization.deleted_at.is_(None),
                Membership.account_id == principal.account.id,
            )
        )
    ).one_or_none()
    if row is None:
        raise OrganizationNotFound("No such organization.")
    organization, role = row
    if organization.require_two_factor and not principal.account.two_factor_enabled:
        raise Forbidden(
            "This organization requires two-factor authentication: enable it first.",
            code="mfa_enrollment_required",
        )
    return OrganizationAccess(organization, principal, Role(role))


Member = Annotated[OrganizationAccess, Depends(organization_access)]


def require_role(*roles: Role) -> params.Depends:
    allowed = frozenset(roles)

    async def check(access: Member) -> OrganizationAccess:
        if access.role not in allowed:
            raise Forbidden(
                "Your role in this organization does not allow this.", code="role_forbidden"
            )
        return access

    return params.Depends(check)


async def manager(access: Member) -> OrganizationAccess:
    """Legal representatives and administrators."""
    if not access.is_manager:
        raise Forbidden(
            "Only administrators and legal representatives can do this.", code="role_forbidden"
        )
    return access


Manager = Annotated[OrganizationAccess, Depends(manager)]
