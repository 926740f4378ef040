"""Products as things an organization owns: creation by its managers, management lock."""

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import directory
from app.core import clock
from app.core.errors import Conflict
from app.notifications.service import queue_mail
from app.organizations import audit, service
from app.organizations.models import Product
from app.organizations.permissions import OrganizationAccess
from app.organizations.schemas import ProductRead
from app.organizations.types import ProductType


async def create(
    session: AsyncSession, by: OrganizationAccess, *, type: ProductType, name: str
) -> Product:
    return await service.create_product(
        session,
        organization_id=by.organization.id,
        type=type,
        name=name,
        actor_account_id=by.account_id,
        actor_organization_id=by.actor_organization_id,
    )


async def set_management_lock(
    session: AsyncSession, by: OrganizationAccess, product: Product, *, locked: bool
) -> Product:
    """Locks or unlocks a product's management and e-mails every member of the organization.

    While locked, only legal representatives and administrators manage it.
    """
    if product.management_locked == locked:
        raise Conflict(
            "The product's management is already " + ("locked." if locked else "unlocked."),
            code="product_already_locked" if locked else "product_not_locked",
        )
    product.management_locked = locked
    product.updated_at = clock.now()
    await session.flush()
    action = "product.locked" if locked else "product.unlocked"
    await audit.record(session, by, action, product_id=product.id, details={"name": product.name})
    await audit.emit(
        session, action, ProductRead.model_validate(product), organization_id=by.organization.id
    )
    people = await directory.summaries(
        session, await service.member_ids(session, by.organization.id)
    )
    actor = by.principal.account.full_name
    if by.partner is not None:
        actor = f"{actor} ({by.partner.name})"
    for person in people.values():
        template_context = {
            "recipient_name": person.first_name,
            "organization_name": by.organization.name,
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
