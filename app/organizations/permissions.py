"""Every authorization decision about an organization lives here; routes declare what they need.

Who reaches an organization, and as what:

- its **members**, with their role;
- **partner staff** of the partner managing it (the partner's legal representatives and
  administrators, and the members the partner designated with ``acts_for_clients``): with full
  access they act as administrators (billing only when the client included it), with limited
  access as externals reaching the chosen products;
- **support staff** (platform staff accounts) while the organization grants support access: as
  externals reaching every product.

A blocked member reaches nothing (``member_blocked``) until unblocked; a member with the
accounting right reaches the invoices, their payment and the payment means, as ``BillingManager``
lets it. Nothing is cached: every request reads memberships, grants and partnerships afresh, so a
change applies on the next request.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request, params
from sqlalchemy import ColumnElement, Select, Uuid, and_, bindparam, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import (
    CurrentPrincipal,
    Principal,
    caller_row,
    extend_caller_statement,
    require_scope,
)
from app.accounts.errors import InsufficientScope
from app.activity.types import Actor, Via
from app.core import clock
from app.core.db import Session
from app.core.errors import raises
from app.organizations.errors import (
    MemberBlocked,
    MembershipRequired,
    NotAPartner,
    OrganizationNotFound,
    PlatformStaffOnly,
    ProductNotFound,
    ProductRightMissing,
    RoleForbidden,
    SessionRequired,
    TwoFactorEnrollmentRequired,
)
from app.organizations.models import (
    Grant,
    Membership,
    Organization,
    Partnership,
    PartnershipProduct,
    Product,
    SupportAccessGrant,
    TeamMember,
)
from app.organizations.types import (
    GrantScope,
    PartnerAccess,
    ProductRight,
    ProductType,
    Role,
    rights_of,
)

MANAGERS = frozenset({Role.legal_representative, Role.administrator})

READ = require_scope("organizations:read")
"""The scope of the organizations package's reads (personal access tokens need it)."""
WRITE = require_scope("organizations:write")
"""The scope of the organizations package's changes."""

ACCESS_ERRORS = (401, 403, InsufficientScope, OrganizationNotFound, TwoFactorEnrollmentRequired)
"""What reaching an organization can answer (``Member``): 403 also for an unconfirmed login."""
MANAGER_ERRORS = (*ACCESS_ERRORS, RoleForbidden)
"""``Manager``, ``LegalRepresentative`` and ``BillingManager`` refuse with ``RoleForbidden``."""
OWN_MEMBER_ERRORS = (*ACCESS_ERRORS, MembershipRequired)
PARTNER_ERRORS = (*MANAGER_ERRORS, NotAPartner, MembershipRequired)
"""``PartnerManager`` and ``PartnerLegalRepresentative``."""


class AccessVia(StrEnum):
    membership = "membership"
    partner = "partner"
    support = "support"


@dataclass(frozen=True)
class PartnerGrant:
    """What a partnership lets the partner's staff do in the client organization."""

    partnership_id: uuid.UUID
    partner: Organization
    access_type: PartnerAccess
    includes_billing: bool
    product_ids: frozenset[uuid.UUID]


@dataclass(frozen=True)
class OrganizationAccess:
    """The caller inside one organization: as which role, and through what."""

    organization: Organization
    principal: Principal
    role: Role
    via: AccessVia = AccessVia.membership
    partner_grant: PartnerGrant | None = None
    support_grant_id: uuid.UUID | None = None
    accounting: bool = False
    """A member holding the accounting right (invoices, their payment, payment means)."""

    @property
    def account_id(self) -> uuid.UUID:
        return self.principal.account.id

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGERS

    @property
    def is_member(self) -> bool:
        return self.via == AccessVia.membership

    @property
    def partner(self) -> Organization | None:
        """The partner organization the caller acts for, if any."""
        return self.partner_grant.partner if self.partner_grant else None

    @property
    def actor_organization_id(self) -> uuid.UUID:
        """As whom the caller acts: the partner it acts for, else the organization itself."""
        partner = self.partner
        return partner.id if partner is not None else self.organization.id

    @property
    def actor(self) -> Actor:
        """The caller as services and the activity log see it: its account, as whom it acts,
        through what (member, partner or support staff), and whether with a token."""
        return Actor(
            account_id=self.account_id,
            organization_id=self.actor_organization_id,
            via=_VIA[self.via],
            token=self.principal.session is None,
        )


_VIA = {
    AccessVia.membership: Via.member,
    AccessVia.partner: Via.partner,
    AccessVia.support: Via.support,
}


def _two_factor_missing(organization: Organization, principal: Principal) -> bool:
    return organization.require_two_factor and not principal.account.two_factor_enabled


def _mfa_enrollment_required() -> TwoFactorEnrollmentRequired:
    return TwoFactorEnrollmentRequired(
        "This organization requires two-factor authentication: enable it first "
        "(POST /v1/account/two-factor/enrollment)."
    )


async def resolve_access(
    session: AsyncSession, organization_id: uuid.UUID, principal: Principal
) -> OrganizationAccess | None:
    """The caller's access to the organization, or None when it has none."""
    organization = await session.scalar(
        select(Organization).where(
            Organization.id == organization_id, Organization.deleted_at.is_(None)
        )
    )
    if organization is None:
        return None
    account = principal.account
    membership = (
        await session.execute(
            select(Membership.role, Membership.accounting, Membership.blocked_at).where(
                Membership.organization_id == organization.id, Membership.account_id == account.id
            )
        )
    ).one_or_none()
    if membership is not None:
        role, accounting, blocked_at = membership
        return _member_access(organization, principal, role, accounting, blocked_at)
    partner_grant = await _partner_grant(session, organization, account.id)
    if partner_grant is not None:
        if _two_factor_missing(organization, principal) or _two_factor_missing(
            partner_grant.partner, principal
        ):
            raise _mfa_enrollment_required()
        full = partner_grant.access_type == PartnerAccess.full
        return OrganizationAccess(
            organization,
            principal,
            Role.administrator if full else Role.external,
            via=AccessVia.partner,
            partner_grant=partner_grant,
        )
    if account.is_platform_staff:
        grant_id = await active_support_grant_id(session, organization.id)
        if grant_id is not None:
            if _two_factor_missing(organization, principal):
                raise _mfa_enrollment_required()
            return OrganizationAccess(
                organization,
                principal,
                Role.external,
                via=AccessVia.support,
                support_grant_id=grant_id,
            )
    return None


def _member_access(
    organization: Organization,
    principal: Principal,
    role: str,
    accounting: bool,
    blocked_at: datetime | None,
) -> OrganizationAccess:
    if blocked_at is not None:
        raise MemberBlocked(
            "Your access to this organization is blocked; an administrator can unblock it."
        )
    if _two_factor_missing(organization, principal):
        raise _mfa_enrollment_required()
    return OrganizationAccess(organization, principal, Role(role), accounting=accounting)


# What the caller's statement loads for the organization in the path (``_with_organization``)
# and for a product in it (``load_product_of_path``): one statement resolves the caller, its
# membership, the product, its rights on it and the object the route works on.
_MEMBER_ROLE = "caller_member_role"
_MEMBER_ACCOUNTING = "caller_member_accounting"
_MEMBER_BLOCKED_AT = "caller_member_blocked_at"
_GRANTED_RIGHTS = "caller_granted_rights"


def _with_organization(statement: Select[Any], account_id: Any) -> Select[Any]:
    return (
        statement.add_columns(
            Organization,
            Membership.role.label(_MEMBER_ROLE),
            Membership.accounting.label(_MEMBER_ACCOUNTING),
            Membership.blocked_at.label(_MEMBER_BLOCKED_AT),
        )
        .outerjoin(
            Organization,
            and_(
                Organization.id == bindparam("organization_id", type_=Uuid()),
                Organization.deleted_at.is_(None),
            ),
        )
        .outerjoin(
            Membership,
            and_(
                Membership.organization_id == Organization.id, Membership.account_id == account_id
            ),
        )
    )


extend_caller_statement(frozenset({"organization_id"}), _with_organization)


def load_product_of_path(parameter: str, loaded: Any = None) -> None:
    """Makes the caller's statement load the product named by the path parameter
    ``parameter`` (when the path has an organization), the rights the caller's grants give on it,
    and ``loaded``, a mapped class sharing its product's id (a ticket office), for
    ``product_with_right`` and ``preloaded``."""

    def extend(statement: Select[Any], account_id: Any) -> Select[Any]:
        rights = (
            select(func.string_agg(func.array_to_string(Grant.rights, ","), ","))
            .where(
                grants_of_member(Organization.id, account_id),
                grant_covers(Product.type, Product.id, Product.created_at),
            )
            .scalar_subquery()
        )
        statement = statement.add_columns(Product, rights.label(_GRANTED_RIGHTS)).outerjoin(
            Product,
            and_(
                Product.id == bindparam(parameter, type_=Uuid()),
                Product.organization_id == Organization.id,
            ),
        )
        if loaded is not None:
            statement = statement.add_columns(loaded).outerjoin(loaded, loaded.id == Product.id)
        return statement

    extend_caller_statement(frozenset({"organization_id", parameter}), extend)


def preloaded(request: Request, entity: Any, entity_id: uuid.UUID) -> Any:
    """The ``entity`` (a class given to ``load_product_of_path``) of id ``entity_id`` the
    caller's statement loaded, or None when it did not load it."""
    row = caller_row(request)
    if row is None or not row.has(entity):
        return None
    found = row.get(entity)
    return found if found is not None and found.id == entity_id else None


def _preloaded_access(
    request: Request, organization_id: uuid.UUID, principal: Principal
) -> OrganizationAccess | None:
    """The caller's access as a member, from the caller's statement; None when that statement
    did not settle it (no membership: partner or support staff, or nothing)."""
    row = caller_row(request)
    if row is None or not row.has(_MEMBER_ROLE):
        return None
    organization = row.get(Organization)
    role = row.get(_MEMBER_ROLE)
    if organization is None or organization.id != organization_id or role is None:
        return None
    return _member_access(
        organization, principal, role, row.get(_MEMBER_ACCOUNTING), row.get(_MEMBER_BLOCKED_AT)
    )


def acts_for_clients(membership: type[Membership] = Membership) -> ColumnElement[bool]:
    """Which members of a partner organization act in its clients' organizations."""
    return or_(membership.role.in_(list(MANAGERS)), membership.acts_for_clients.is_(True))


async def _partner_grant(
    session: AsyncSession, organization: Organization, account_id: uuid.UUID
) -> PartnerGrant | None:
    row = (
        await session.execute(
            select(Partnership, Organization)
            .join(Organization, Organization.id == Partnership.partner_organization_id)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(
                Partnership.client_organization_id == organization.id,
                Partnership.ended_at.is_(None),
                Organization.deleted_at.is_(None),
                Organization.is_partner.is_(True),
                Membership.account_id == account_id,
                Membership.blocked_at.is_(None),
                acts_for_clients(),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    partnership, partner = row
    product_ids = frozenset(
        await session.scalars(
            select(PartnershipProduct.product_id).where(
                PartnershipProduct.partnership_id == partnership.id
            )
        )
    )
    return PartnerGrant(
        partnership_id=partnership.id,
        partner=partner,
        access_type=PartnerAccess(partnership.access_type),
        includes_billing=partnership.includes_billing,
        product_ids=product_ids,
    )


async def active_support_grant_id(
    session: AsyncSession, organization_id: uuid.UUID
) -> uuid.UUID | None:
    return await session.scalar(
        select(SupportAccessGrant.id)
        .where(
            SupportAccessGrant.organization_id == organization_id,
            SupportAccessGrant.revoked_at.is_(None),
            SupportAccessGrant.expires_at > clock.now(),
        )
        .order_by(SupportAccessGrant.expires_at.desc())
        .limit(1)
    )


@raises(MemberBlocked)
async def organization_access(
    organization_id: uuid.UUID, principal: CurrentPrincipal, session: Session, request: Request
) -> OrganizationAccess:
    """The caller's access to the organization in the path; 404 when it has none, 403
    ``member_blocked`` for a blocked member. A member's is read from the caller's statement."""
    access = _preloaded_access(request, organization_id, principal) or await resolve_access(
        session, organization_id, principal
    )
    if access is None:
        raise OrganizationNotFound("No such organization.")
    return access


Member = Annotated[OrganizationAccess, Depends(organization_access)]


def require_role(*roles: Role) -> params.Depends:
    allowed = frozenset(roles)

    async def check(access: Member) -> OrganizationAccess:
        if access.role not in allowed:
            raise RoleForbidden("Your role in this organization does not allow this.")
        return access

    return params.Depends(check)


async def manager(access: Member) -> OrganizationAccess:
    """Legal representatives and administrators (and partner staff with full access)."""
    if not access.is_manager:
        raise RoleForbidden("Only administrators and legal representatives can do this.")
    return access


Manager = Annotated[OrganizationAccess, Depends(manager)]


async def legal_representative(access: Member) -> OrganizationAccess:
    """Legal representatives of the organization only."""
    if access.role != Role.legal_representative or not access.is_member:
        raise RoleForbidden("Only a legal representative of the organization can do this.")
    return access


LegalRepresentative = Annotated[OrganizationAccess, Depends(legal_representative)]


async def internal_member(access: Member) -> OrganizationAccess:
    """Anyone but externals (and those acting as externals: partner staff with limited access,
    support staff): externals are not part of organization-wide shares and see only what they
    are granted."""
    if access.role == Role.external:
        raise RoleForbidden("Externals only see the products they are granted.")
    return access


InternalMember = Annotated[OrganizationAccess, Depends(internal_member)]


async def own_member(access: Member) -> OrganizationAccess:
    """A member of the organization itself (not partner or support staff acting in it)."""
    if not access.is_member:
        raise MembershipRequired("Only members of the organization can do this.")
    return access


OwnMember = Annotated[OrganizationAccess, Depends(own_member)]


def handles_billing(access: OrganizationAccess) -> bool:
    """The organization's managers, and partner staff whose client included billing in its
    full access."""
    if access.via == AccessVia.partner:
        grant = access.partner_grant
        return grant is not None and grant.includes_billing
    return access.via == AccessVia.membership and access.is_manager


ACCOUNTING_PATHS = ("/invoices", "/payments", "/payment-profiles")
"""The organization's routes (below ``/v1/organizations/{organization_id}``) that a member with
the accounting right reaches through ``BillingManager``: the invoices (list, export, read,
download, pay), the payments and the payment means; nothing else of billing."""


def handles_accounting(access: OrganizationAccess, request: Request) -> bool:
    """A member with the accounting right, on one of the ``ACCOUNTING_PATHS``."""
    if not (access.accounting and access.is_member):
        return False
    route = request.scope.get("route")
    path = str(getattr(route, "path", ""))
    _, _, below = path.partition("{organization_id}")
    return any(below == prefix or below.startswith(f"{prefix}/") for prefix in ACCOUNTING_PATHS)


async def billing_manager(access: Member, request: Request) -> OrganizationAccess:
    """Who handles billing (``handles_billing``), and members with the accounting right on the
    invoices, payments and payment means (``handles_accounting``)."""
    if handles_accounting(access, request):
        return access
    if not handles_billing(access):
        if access.accounting and access.is_member:
            raise RoleForbidden(
                "The accounting right covers invoices, their payment and payment means only."
            )
        if access.via == AccessVia.partner:
            raise RoleForbidden("The partnership does not include billing.")
        raise RoleForbidden("Only administrators and legal representatives handle billing.")
    return access


BillingManager = Annotated[OrganizationAccess, Depends(billing_manager)]


async def partner_manager(access: Manager) -> OrganizationAccess:
    """Managers of an organization flagged as partner, acting as its own members."""
    if not access.organization.is_partner:
        raise NotAPartner("This organization is not a partner.")
    if not access.is_member:
        raise MembershipRequired("Only members of the organization can do this.")
    return access


PartnerManager = Annotated[OrganizationAccess, Depends(partner_manager)]


async def partner_legal_representative(access: LegalRepresentative) -> OrganizationAccess:
    """Legal representatives of a partner organization: they add and drop clients."""
    if not access.organization.is_partner:
        raise NotAPartner("This organization is not a partner.")
    return access


PartnerLegalRepresentative = Annotated[OrganizationAccess, Depends(partner_legal_representative)]


def can_assign_role(access: OrganizationAccess, *, current: Role | None, new: Role) -> bool:
    """Only legal representatives make someone a legal representative or change one's role."""
    if Role.legal_representative in (current, new):
        return access.role == Role.legal_representative and access.is_member
    return access.is_manager


@raises(PlatformStaffOnly, SessionRequired)
async def platform_staff(principal: CurrentPrincipal) -> Principal:
    """Platform staff (the provider's support team), in an interactive session."""
    if not principal.account.is_platform_staff:
        raise PlatformStaffOnly("Only platform staff can do this.")
    if principal.session is None:
        raise SessionRequired("This needs a signed-in session, not a token.")
    return principal


PlatformStaff = Annotated[Principal, Depends(platform_staff)]


def grant_covers(
    product_type: Any, product_id: Any, product_created_at: Any
) -> ColumnElement[bool]:
    """Grants covering a product (given as values, or as columns of a query on products)."""
    return or_(
        Grant.scope == GrantScope.all,
        and_(Grant.scope == GrantScope.product, Grant.product_id == product_id),
        and_(
            Grant.scope == GrantScope.product_type,
            Grant.product_type == product_type,
            or_(Grant.include_future.is_(True), Grant.created_at >= product_created_at),
        ),
    )


def grants_of_member(organization_id: Any, account_id: Any) -> ColumnElement[bool]:
    """Grants held by the member, directly or through one of its teams."""
    teams = select(TeamMember.team_id).where(TeamMember.account_id == account_id)
    return and_(
        Grant.organization_id == organization_id,
        or_(Grant.account_id == account_id, Grant.team_id.in_(teams)),
    )


async def granted_rights(
    session: AsyncSession, organization_id: uuid.UUID, account_id: uuid.UUID, product: Product
) -> frozenset[ProductRight]:
    """The union of the rights the member's own grants and its teams' grants give on
    ``product``, limited to the rights the product has (the management lock aside)."""
    rows = await session.scalars(
        select(func.unnest(Grant.rights)).where(
            grants_of_member(organization_id, account_id),
            grant_covers(product.type, product.id, product.created_at),
        )
    )
    return _known_rights(rows, product)


def _known_rights(names: Iterable[str], product: Product) -> frozenset[ProductRight]:
    held = frozenset(ProductRight(right) for right in names if right in _RIGHT_NAMES)
    return held & rights_of(ProductType(product.type))


_RIGHT_NAMES = frozenset(right.value for right in ProductRight)


async def product_rights(
    session: AsyncSession, access: OrganizationAccess, product: Product
) -> frozenset[ProductRight]:
    """Every right the caller holds on ``product`` right now.

    Legal representatives and administrators hold every right the product has. Others hold what
    their grants (their own and their teams') give; partner staff with limited access what the
    partnership's products give; support staff every right. While a product's management is
    locked, only legal representatives and administrators keep ``manage``.
    """
    granted = None
    if product.organization_id == access.organization.id and _needs_grants(access):
        granted = await granted_rights(session, access.organization.id, access.account_id, product)
    return _rights(access, product, granted)


def _needs_grants(access: OrganizationAccess) -> bool:
    return not access.is_manager and access.via == AccessVia.membership


def _rights(
    access: OrganizationAccess, product: Product, granted: frozenset[ProductRight] | None
) -> frozenset[ProductRight]:
    """``product_rights``, given the rights the member's grants give (``granted``)."""
    if product.organization_id != access.organization.id:
        return frozenset()
    available = rights_of(ProductType(product.type))
    if access.is_manager:
        return available
    if access.via == AccessVia.partner:
        grant = access.partner_grant
        held = available if grant is not None and product.id in grant.product_ids else frozenset()
    elif access.via == AccessVia.support:
        held = available
    else:
        held = granted or frozenset()
    if product.management_locked:
        held = held - {ProductRight.manage}
    return held


async def has_product_right(
    session: AsyncSession, access: OrganizationAccess, product: Product, right: ProductRight
) -> bool:
    """Whether the caller holds ``right`` on ``product`` of its organization."""
    return right in await product_rights(session, access, product)


async def product_with_right(
    session: AsyncSession,
    access: OrganizationAccess,
    product_id: uuid.UUID,
    right: ProductRight,
    request: Request | None = None,
) -> Product:
    """The organization's product, when the caller holds ``right`` on it; 404 when it cannot see
    it at all (no right on it), 403 when it can see it but lacks this right. With ``request``,
    read from the caller's statement when it loaded the product (``load_product_of_path``)."""
    row = caller_row(request) if request is not None else None
    product: Product | None
    if row is not None and row.has(_GRANTED_RIGHTS) and row.get(Organization) is not None:
        product = row.get(Product)
        if product is not None and product.id != product_id:
            product = await session.get(Product, product_id)  # not the path's product
        granted = row.get(_GRANTED_RIGHTS)
        held = (
            _rights(access, product, _known_rights((granted or "").split(","), product))
            if product is not None and row.get(Organization).id == access.organization.id
            else None
        )
    else:
        product = await session.scalar(
            select(Product).where(
                Product.id == product_id, Product.organization_id == access.organization.id
            )
        )
        held = None
    if product is None or product.organization_id != access.organization.id:
        raise ProductNotFound("No such product.")
    if held is None:
        held = await product_rights(session, access, product)
    if right not in held:
        if held:
            raise ProductRightMissing(f"You lack the right {right} on this product.")
        raise ProductNotFound("No such product.")
    return product


def visible_products(access: OrganizationAccess) -> Select[Product]:
    """The organization's products the caller holds at least one right on."""
    statement = select(Product).where(Product.organization_id == access.organization.id)
    if access.is_manager or access.via == AccessVia.support:
        return statement
    if access.via == AccessVia.partner:
        grant = access.partner_grant
        ids = list(grant.product_ids) if grant else []
        return statement.where(Product.id.in_(ids) if ids else false())
    covering = (
        select(Grant.id)
        .where(
            grants_of_member(access.organization.id, access.account_id),
            grant_covers(Product.type, Product.id, Product.created_at),
        )
        .exists()
    )
    return statement.where(covering)


def reaches_every_product(access: OrganizationAccess) -> bool:
    """Whether the caller holds every right on every product (the management lock aside)."""
    return access.is_manager or access.via == AccessVia.support


async def product_ids_with(
    session: AsyncSession, access: OrganizationAccess, right: ProductRight | None
) -> frozenset[uuid.UUID]:
    """The organization's products on which the caller holds ``right`` (any right: None)."""
    found = set()
    for product in await session.scalars(visible_products(access)):
        held = await product_rights(session, access, product)
        if held and (right is None or right in held):
            found.add(product.id)
    return frozenset(found)


def visible_product_ids(access: OrganizationAccess) -> Select[tuple[uuid.UUID]]:
    """The ids of ``visible_products``, for ``IN`` filters in other domains' queries."""
    return visible_products(access).with_only_columns(Product.id)


async def get_visible_product(
    session: AsyncSession, access: OrganizationAccess, product_id: uuid.UUID
) -> Product:
    """A product the caller can see (holds any right on), else 404."""
    product = await session.scalar(visible_products(access).where(Product.id == product_id))
    if product is None:
        raise ProductNotFound("No such product.")
    return product


async def product_manager(product_id: uuid.UUID, access: Manager, session: Session) -> Product:
    """A product of the organization, for its managers (locking, unlocking)."""
    product = await session.scalar(
        select(Product).where(
            Product.id == product_id, Product.organization_id == access.organization.id
        )
    )
    if product is None:
        raise ProductNotFound("No such product.")
    return product


ManagedProduct = Annotated[Product, Depends(product_manager)]


async def readable_product(product_id: uuid.UUID, access: Member, session: Session) -> Product:
    return await get_visible_product(session, access, product_id)


VisibleProduct = Annotated[Product, Depends(readable_product)]
