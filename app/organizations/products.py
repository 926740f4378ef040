"""Products as things an organization owns: creation by its managers, management lock."""

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import directory
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.events import service as events
from app.notifications.service import queue_mail
from app.organizations import members, service
from app.organizations.errors import (
    ProductAlreadyLocked,
    ProductNotLocked,
)
from app.organizations.models import Organization, Product
from app.organizations.permissions import OrganizationAccess, visible_products
from app.organizations.schemas import ProductRead
from app.organizations.types import ProductType


def products_of(access: OrganizationAccess, *, type: ProductType | None = None) -> Select[Product]:
    """The organization's products the caller reaches, optionally of one type."""
    statement = visible_products(access)
    if type is not None:
        statement = statement.where(Product.type == type)
    return statement


async def create(
    session: AsyncSession, organization: Organization, *, type: ProductType, name: str, by: Actor
) -> Product:
    return await service.create_product(
        session, organization_id=organization.id, type=type, name=name, by=by
    )


async def set_management_lock(
    session: AsyncSession, access: OrganizationAccess, product: Product, *, locked: bool, by: Actor
) -> Product:
    """Locks or unlocks a product's management and e-mails the organization's members (the
    externals only when granted the product: they receive no organization-wide notices).

    While locked, only legal representatives and administrators manage it.
    """
    if product.management_locked == locked:
        if locked:
            raise ProductAlreadyLocked("The product's management is already locked.")
        raise ProductNotLocked("The product's management is already unlocked.")
    product.management_locked = locked
    product.updated_at = clock.now()
    await session.flush()
    action = "product.locked" if locked else "product.unlocked"
    await activity.record(
        session,
        by,
        action,
        organization_id=access.organization.id,
        product_id=product.id,
        details={"name": product.name},
    )
    await events.emit(
        session, action, ProductRead.model_validate(product), organization_id=access.organization.id
    )
    people = await directory.summaries(
        session,
        await members.notice_recipient_ids(session, access.organization.id, product_id=product.id),
    )
    actor = access.principal.account.full_name
    if access.partner is not None:
        actor = f"{actor} ({access.partner.name})"
    for person in people.values():
        template_context = {
            "recipient_name": person.first_name,
            "organization_name": access.organization.name,
            "product_name_locked": product.name,
            ("locked_by" if locked else "unlocked_by"): actor,
        }
        await queue_mail(
            session,
            to=person.email,
            template="product_management_locked" if locked else "product_management_unlocked",
            language=person.language,
            context=template_context,
        )
    return product
