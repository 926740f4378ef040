"""/v1/organizations/{organization_id}/products: what the organization owns."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from app.core.db import Session
from app.core.pagination import InvalidCursor, Page, Pagination, page_of, paginate
from app.core.routing import AppRoute, declares
from app.organizations import products
from app.organizations.errors import ProductAlreadyLocked, ProductNotFound, ProductNotLocked
from app.organizations.models import Product
from app.organizations.permissions import (
    ACCESS_ERRORS,
    MANAGER_ERRORS,
    READ,
    WRITE,
    ManagedProduct,
    Manager,
    Member,
    OrganizationAccess,
    VisibleProduct,
    product_rights,
)
from app.organizations.schemas import ProductCreate, ProductRead, ProductWithRights
from app.organizations.types import ProductRight, ProductType

router = APIRouter(tags=["products"], route_class=AppRoute)


async def _with_rights(
    session: Any, access: OrganizationAccess, product: Product
) -> ProductWithRights:
    held = await product_rights(session, access, product)
    return ProductWithRights.model_validate(
        {
            **ProductRead.model_validate(product).model_dump(),
            "my_rights": [right for right in ProductRight if right in held],
        }
    )


@router.get(
    "/{organization_id}/products",
    operation_id="products-list",
    response_model=Page[ProductWithRights],
)
@declares(READ, *ACCESS_ERRORS, InvalidCursor)
async def list_products(
    access: Member,
    session: Session,
    page: Pagination,
    type: Annotated[ProductType | None, Query(description="Only products of this type.")] = None,
) -> dict[str, Any]:
    """The organization's products the caller reaches (all of them for legal representatives
    and administrators, the granted ones for others), with what it may do with each; newest
    first. Anyone with access to the organization."""
    rows, cursor = await paginate(
        session,
        products.products_of(access, type=type),
        page,
    )
    return page_of([await _with_rights(session, access, row) for row in rows], cursor)


@router.post(
    "/{organization_id}/products",
    operation_id="products-create",
    status_code=status.HTTP_201_CREATED,
)
@declares(WRITE, *MANAGER_ERRORS, 422)
async def create_product(
    body: ProductCreate, access: Manager, session: Session
) -> ProductWithRights:
    """Adds a product (administrators and legal representatives), so rights can be granted on
    it; ordering and renewals belong to billing. Emits `product.created`."""
    product = await products.create(
        session, access.organization, type=body.type, name=body.name, by=access.actor
    )
    return await _with_rights(session, access, product)


@router.get("/{organization_id}/products/{product_id}", operation_id="products-read")
@declares(READ, *ACCESS_ERRORS, ProductNotFound)
async def read_product(
    product: VisibleProduct, access: Member, session: Session
) -> ProductWithRights:
    """One product, with what the caller may do with it; 404 when the caller holds no right
    on it. Anyone with access to the organization."""
    return await _with_rights(session, access, product)


@router.post("/{organization_id}/products/{product_id}/lock")
@declares(WRITE, *MANAGER_ERRORS, ProductNotFound, ProductAlreadyLocked)
async def lock(product: ManagedProduct, access: Manager, session: Session) -> ProductWithRights:
    """Locks the product's management: collaborators and externals lose `manage` on it until
    an administrator or legal representative unlocks it. Legal representatives and
    administrators; every member is e-mailed and `product.locked` is emitted."""
    await products.set_management_lock(session, access, product, locked=True, by=access.actor)
    return await _with_rights(session, access, product)


@router.post("/{organization_id}/products/{product_id}/unlock")
@declares(WRITE, *MANAGER_ERRORS, ProductNotFound, ProductNotLocked)
async def unlock(product: ManagedProduct, access: Manager, session: Session) -> ProductWithRights:
    """Unlocks the product's management: grants of `manage` apply again. Legal representatives
    and administrators; every member is e-mailed and `product.unlocked` is emitted (409
    `product_not_locked` when it was not locked)."""
    await products.set_management_lock(session, access, product, locked=False, by=access.actor)
    return await _with_rights(session, access, product)
