"""Every authorization decision about an organization lives here; routes declare what they need."""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, params
from sqlalchemy import select

from app.accounts.deps import CurrentPrincipal, Principal
from app.core.db import Session
from app.core.errors import Forbidden, NotFound
from app.organizations.models import Membership, Organization, Product, ProductRight, Role

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


class ProductNotFound(NotFound):
    code = "product_not_found"


async def has_product_right(
    session: Session, access: OrganizationAccess, product: Product, right: ProductRight
) -> bool:
    """Whether the caller holds ``right`` on ``product`` of its organization.

    Legal representatives and administrators reach every product; other members reach what
    their grants (and their teams' grants) allow.
    """
    if product.organization_id != access.organization.id:
        return False
    return access.is_manager


async def product_with_right(
    session: Session, access: OrganizationAccess, product_id: uuid.UUID, right: ProductRight
) -> Product:
    """The organization's product, when the caller holds ``right`` on it; 404 when it cannot see
    it at all, 403 when it can see it but lacks the right."""
    product = await session.scalar(
        select(Product).where(
            Product.id == product_id, Product.organization_id == access.organization.id
        )
    )
    if product is None:
        raise ProductNotFound("No such product.")
    if not await has_product_right(session, access, product, right):
        if await has_product_right(session, access, product, ProductRight.use):
            raise Forbidden(
                f"You lack the right {right} on this product.", code="product_right_missing"
            )
        raise ProductNotFound("No such product.")
    return product
