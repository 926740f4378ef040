"""Product grants for members and teams, and teams themselves."""

import uuid

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.core.schemas import from_attributes
from app.events import service as events
from app.organizations.errors import (
    GrantConflict,
    GrantNotFound,
    ProductNotFound,
    RightNotApplicable,
    TeamMemberNotFound,
    TeamNameTaken,
    TeamNotFound,
)
from app.organizations.members import get_membership
from app.organizations.models import Grant, Organization, Product, Team, TeamMember
from app.organizations.permissions import (
    MANAGERS,
    OrganizationAccess,
    granted_rights,
    product_rights,
    visible_products,
)
from app.organizations.schemas import EffectiveRights, GrantRead, TeamRead
from app.organizations.types import GrantScope, ProductRight, ProductType, Role, rights_of

ALL_RIGHTS = list(ProductRight)


def _ordered(rights: list[ProductRight] | list[str]) -> list[str]:
    wanted = {str(right) for right in rights}
    return [right.value for right in ProductRight if right.value in wanted]


def teams_of(organization_id: uuid.UUID) -> Select[Team]:
    return select(Team).where(Team.organization_id == organization_id)


async def get_team(
    session: AsyncSession,
    organization_id: uuid.UUID,
    team_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Team:
    statement = teams_of(organization_id).where(Team.id == team_id)
    return await one_or_raise(
        session, statement, TeamNotFound("No such team."), for_update=for_update
    )


def grants_of(
    organization_id: uuid.UUID,
    *,
    account_id: uuid.UUID | None = None,
    team_id: uuid.UUID | None = None,
    product_id: uuid.UUID | None = None,
) -> Select[Grant]:
    """The organization's grants, optionally of one member, one team or on one product."""
    statement = select(Grant).where(Grant.organization_id == organization_id)
    if account_id is not None:
        statement = statement.where(Grant.account_id == account_id)
    if team_id is not None:
        statement = statement.where(Grant.team_id == team_id)
    if product_id is not None:
        statement = statement.where(Grant.product_id == product_id)
    return statement


async def _check_subject(
    session: AsyncSession,
    organization_id: uuid.UUID,
    account_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
) -> None:
    if account_id is not None:
        await get_membership(session, organization_id, account_id)
    if team_id is not None:
        await get_team(session, organization_id, team_id)


async def _check_rights(
    session: AsyncSession,
    organization_id: uuid.UUID,
    *,
    scope: GrantScope,
    product_id: uuid.UUID | None,
    product_type: ProductType | None,
    rights: list[str],
) -> None:
    if scope == GrantScope.all:
        return
    if scope == GrantScope.product:
        product = await session.scalar(
            select(Product).where(
                Product.id == product_id, Product.organization_id == organization_id
            )
        )
        if product is None:
            raise ProductNotFound("No such product.")
        kind = ProductType(product.type)
    else:
        assert product_type is not None
        kind = product_type
    missing = set(rights) - {right.value for right in rights_of(kind)}
    if missing:
        raise RightNotApplicable(
            f"A {kind.value} has no right {', '.join(sorted(missing))} "
            "(sell and check exist for ticket offices only)."
        )


async def grant(
    session: AsyncSession,
    organization: Organization,
    *,
    account_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    scope: GrantScope,
    product_id: uuid.UUID | None = None,
    product_type: ProductType | None = None,
    include_future: bool = False,
    rights: list[ProductRight],
    by: Actor,
) -> Grant:
    """Sets the rights of a member or team on a target, replacing an earlier grant on it."""
    organization_id = organization.id
    await _check_subject(session, organization_id, account_id, team_id)
    names = _ordered(rights)
    await _check_rights(
        session,
        organization_id,
        scope=scope,
        product_id=product_id,
        product_type=product_type,
        rights=names,
    )
    include_future = include_future if scope == GrantScope.product_type else scope == GrantScope.all
    statement = select(Grant).where(
        Grant.organization_id == organization_id,
        Grant.scope == scope,
        Grant.account_id.is_(None) if account_id is None else Grant.account_id == account_id,
        Grant.team_id.is_(None) if team_id is None else Grant.team_id == team_id,
        Grant.product_id.is_(None) if product_id is None else Grant.product_id == product_id,
        Grant.product_type.is_(None)
        if product_type is None
        else Grant.product_type == product_type,
    )
    existing = await session.scalar(statement.with_for_update())
    now = clock.now()
    if existing is None:
        existing = Grant(
            organization_id=organization_id,
            account_id=account_id,
            team_id=team_id,
            scope=scope,
            product_id=product_id,
            product_type=product_type,
            include_future=include_future,
            rights=names,
            granted_by_account_id=by.account_id,
        )
        try:
            async with session.begin_nested():
                session.add(existing)
        except IntegrityError:
            raise GrantConflict("The grant was changed at the same time; try again.") from None
        action = "rights.granted"
    else:
        existing.rights = names
        existing.include_future = include_future
        existing.granted_by_account_id = by.account_id
        existing.updated_at = now
        action = "rights.changed"
    await session.flush()
    await _changed(session, organization, existing, action, by=by)
    return existing


async def full_access(
    session: AsyncSession,
    organization: Organization,
    *,
    account_id: uuid.UUID | None,
    team_id: uuid.UUID | None,
    by: Actor,
) -> Grant:
    """Every right on every product, present and future, in one grant."""
    return await grant(
        session,
        organization,
        account_id=account_id,
        team_id=team_id,
        scope=GrantScope.all,
        rights=ALL_RIGHTS,
        by=by,
    )


async def get_grant(
    session: AsyncSession,
    organization_id: uuid.UUID,
    grant_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Grant:
    statement = grants_of(organization_id).where(Grant.id == grant_id)
    return await one_or_raise(
        session, statement, GrantNotFound("No such grant."), for_update=for_update
    )


async def update_grant(
    session: AsyncSession,
    organization: Organization,
    grant_id: uuid.UUID,
    *,
    rights: list[ProductRight] | None,
    include_future: bool | None,
    by: Actor,
) -> Grant:
    found = await get_grant(session, organization.id, grant_id, for_update=True)
    if rights is not None:
        names = _ordered(rights)
        await _check_rights(
            session,
            organization.id,
            scope=GrantScope(found.scope),
            product_id=found.product_id,
            product_type=ProductType(found.product_type) if found.product_type else None,
            rights=names,
        )
        found.rights = names
    if include_future is not None and found.scope == GrantScope.product_type:
        found.include_future = include_future
    found.granted_by_account_id = by.account_id
    found.updated_at = clock.now()
    await session.flush()
    await _changed(session, organization, found, "rights.changed", by=by)
    return found


async def revoke_grant(
    session: AsyncSession, organization: Organization, grant_id: uuid.UUID, *, by: Actor
) -> None:
    found = await get_grant(session, organization.id, grant_id, for_update=True)
    read = GrantRead.model_validate(found).model_copy(update={"rights": []})
    await session.delete(found)
    await session.flush()
    await activity.record(
        session,
        by,
        "rights.revoked",
        organization_id=organization.id,
        account_id=found.account_id,
        product_id=found.product_id,
        details=_grant_details(found),
    )
    await events.emit(
        session,
        "rights.changed",
        read,
        organization_id=organization.id,
        account_id=found.account_id,
    )


def _grant_details(found: Grant) -> dict[str, object]:
    return {
        "grant_id": str(found.id),
        "team_id": str(found.team_id) if found.team_id else None,
        "scope": str(found.scope),
        "product_type": str(found.product_type) if found.product_type else None,
        "include_future": found.include_future,
        "rights": list(found.rights),
    }


async def _changed(
    session: AsyncSession, organization: Organization, found: Grant, action: str, *, by: Actor
) -> None:
    await activity.record(
        session,
        by,
        action,
        organization_id=organization.id,
        account_id=found.account_id,
        product_id=found.product_id,
        details=_grant_details(found),
    )
    await events.emit(
        session,
        "rights.changed",
        GrantRead.model_validate(found),
        organization_id=organization.id,
        account_id=found.account_id,
    )


async def effective_rights(
    session: AsyncSession, organization_id: uuid.UUID, account_id: uuid.UUID
) -> list[EffectiveRights]:
    """What a member can do with each product of the organization now (products it cannot
    reach at all are left out)."""
    item = await get_membership(session, organization_id, account_id)
    products = await session.scalars(
        select(Product)
        .where(Product.organization_id == organization_id)
        .order_by(Product.created_at, Product.id)
    )
    result = []
    for product in products:
        available = rights_of(ProductType(product.type))
        if Role(item.role) in MANAGERS:
            held = available
        else:
            held = await granted_rights(session, organization_id, account_id, product)
            if product.management_locked:
                held = held - {ProductRight.manage}
        if held:
            result.append(
                EffectiveRights(
                    product_id=product.id,
                    product_name=product.name,
                    product_type=ProductType(product.type),
                    rights=[right for right in ProductRight if right in held],
                )
            )
    return result


async def my_rights(session: AsyncSession, access: OrganizationAccess) -> list[EffectiveRights]:
    """What the caller can do with each product it reaches."""
    products = await session.scalars(
        visible_products(access).order_by(Product.created_at, Product.id)
    )
    result = []
    for product in products:
        held = await product_rights(session, access, product)
        if held:
            result.append(
                EffectiveRights(
                    product_id=product.id,
                    product_name=product.name,
                    product_type=product.type,
                    rights=[right for right in ProductRight if right in held],
                )
            )
    return result


# Teams


async def team_read(session: AsyncSession, found: Team) -> TeamRead:
    member_ids = list(
        await session.scalars(
            select(TeamMember.account_id)
            .where(TeamMember.team_id == found.id)
            .order_by(TeamMember.created_at, TeamMember.account_id)
        )
    )
    return from_attributes(TeamRead, found, member_ids=member_ids)


async def _name_free(
    session: AsyncSession, organization_id: uuid.UUID, name: str, besides: uuid.UUID | None = None
) -> None:
    statement = select(func.count()).where(
        Team.organization_id == organization_id, func.lower(Team.name) == name.lower()
    )
    if besides is not None:
        statement = statement.where(Team.id != besides)
    if await session.scalar(statement):
        raise TeamNameTaken("Another team has this name.")


async def create_team(
    session: AsyncSession,
    organization: Organization,
    *,
    name: str,
    description: str | None,
    by: Actor,
) -> Team:
    await _name_free(session, organization.id, name)
    found = Team(
        organization_id=organization.id,
        name=name,
        description=description,
    )
    try:
        async with session.begin_nested():
            session.add(found)
    except IntegrityError:
        raise TeamNameTaken("Another team has this name.") from None
    await _team_changed(session, organization, found, "team.created", by=by)
    return found


async def update_team(
    session: AsyncSession,
    organization: Organization,
    found: Team,
    changes: dict[str, object],
    *,
    by: Actor,
) -> Team:
    if "name" in changes and changes["name"] is not None:
        await _name_free(session, organization.id, str(changes["name"]), besides=found.id)
        found.name = str(changes["name"])
    if "description" in changes:
        found.description = changes["description"]  # type: ignore[assignment]
    found.updated_at = clock.now()
    await session.flush()
    await _team_changed(session, organization, found, "team.updated", by=by)
    return found


async def delete_team(
    session: AsyncSession, organization: Organization, found: Team, *, by: Actor
) -> None:
    read = await team_read(session, found)
    await session.execute(delete(Grant).where(Grant.team_id == found.id))
    await session.delete(found)
    await session.flush()
    await activity.record(
        session,
        by,
        "team.deleted",
        organization_id=organization.id,
        details={"team_id": str(found.id), "name": found.name},
    )
    await events.emit(session, "team.deleted", read, organization_id=organization.id)


async def add_team_member(
    session: AsyncSession,
    organization: Organization,
    found: Team,
    account_id: uuid.UUID,
    *,
    by: Actor,
) -> None:
    await get_membership(session, organization.id, account_id)
    if await session.get(TeamMember, (found.id, account_id)) is not None:
        return
    session.add(TeamMember(team_id=found.id, account_id=account_id, created_at=clock.now()))
    await session.flush()
    await _team_changed(
        session,
        organization,
        found,
        "team.member_added",
        by=by,
        event="team.updated",
        account_id=account_id,
    )


async def remove_team_member(
    session: AsyncSession,
    organization: Organization,
    found: Team,
    account_id: uuid.UUID,
    *,
    by: Actor,
) -> None:
    link = await session.get(TeamMember, (found.id, account_id))
    if link is None:
        raise TeamMemberNotFound("This member is not in the team.")
    await session.delete(link)
    await session.flush()
    await _team_changed(
        session,
        organization,
        found,
        "team.member_removed",
        by=by,
        event="team.updated",
        account_id=account_id,
    )


async def _team_changed(
    session: AsyncSession,
    organization: Organization,
    found: Team,
    action: str,
    *,
    by: Actor,
    event: str | None = None,
    account_id: uuid.UUID | None = None,
) -> None:
    """Records ``action`` on the team (and on ``account_id``, a member added or removed), then
    emits ``event`` (``action`` itself unless told) with the team as it is now."""
    details = (
        {"team_id": str(found.id)} if account_id else {"team_id": str(found.id), "name": found.name}
    )
    await activity.record(
        session,
        by,
        action,
        organization_id=organization.id,
        account_id=account_id,
        details=details,
    )
    await events.emit(
        session, event or action, await team_read(session, found), organization_id=organization.id
    )
