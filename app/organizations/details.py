"""The organization itself: its details, logo and extra billing addresses, as its legal
representatives and billing managers change them."""

import uuid
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import directory
from app.activity import service as activity
from app.activity.types import Actor
from app.core import clock
from app.core.db import one_or_raise
from app.events import service as events
from app.notifications.service import queue_mail
from app.organizations.errors import (
    BillingAddressNotFound,
    FieldRequired,
    LogoNotFound,
    LogoTooLarge,
    LogoTypeNotSupported,
)
from app.organizations.models import BillingAddress, Membership, Organization, OrganizationLogo
from app.organizations.schemas import OrganizationRead
from app.organizations.types import Role

CHF_COUNTRIES = frozenset({"CH", "LI"})
REQUIRED_FIELDS = ("name", "kind", "address")
SUMMARIZED_FIELDS = ("name", "kind", "address", "phone")
"""The details whose change the legal representatives are mailed (before and after)."""
LOGO_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}
LOGO_MAX_BYTES = 1024 * 1024


def currency_for(country: str) -> str:
    """The invoicing currency set by the postal address's country."""
    return "CHF" if country.upper() in CHF_COUNTRIES else "EUR"


def organizations_of(account_id: uuid.UUID) -> Select[tuple[Organization, Role]]:
    """The (not deleted) organizations the account is a member of, each with its role."""
    return (
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.account_id == account_id, Organization.deleted_at.is_(None))
        .add_columns(Membership.role)
    )


async def update_details(
    session: AsyncSession, organization: Organization, changes: dict[str, Any], *, by: Actor
) -> list[str]:
    """Applies ``changes`` (name, kind, address, phone); the address's country sets the
    currency. Returns the fields that changed (recorded and emitted when any did)."""
    for field in REQUIRED_FIELDS:
        if field in changes and changes[field] is None:
            raise FieldRequired(f"{field} cannot be removed.")
    changed = []
    before: dict[str, Any] = {}
    for field, value in changes.items():
        if getattr(organization, field) != value:
            before[field] = getattr(organization, field)
            setattr(organization, field, value)
            changed.append(field)
    if "address" in changed and organization.address:
        organization.country = str(organization.address["country"]).upper()
        organization.currency = currency_for(organization.country)
    if not changed:
        return changed
    organization.updated_at = clock.now()
    await session.flush()
    await activity.record(
        session,
        by,
        "organization.updated",
        organization_id=organization.id,
        details={"fields": changed},
    )
    await events.emit(
        session,
        "organization.updated",
        OrganizationRead.model_validate(organization),
        organization_id=organization.id,
    )
    await _mail_legal_representatives(
        session,
        organization,
        [(field, before[field], getattr(organization, field)) for field in changed],
        by=by,
    )
    return changed


def _shown(field: str, value: Any) -> str:
    """A detail as the summary e-mail prints it (the type is translated by the template)."""
    if value is None or value == "":
        return "—"
    if field == "address" and isinstance(value, dict):
        city = " ".join(str(value[key]) for key in ("postal_code", "city") if value.get(key))
        parts = [value.get("line1"), value.get("line2"), city, value.get("country")]
        return ", ".join(str(part) for part in parts if part)
    return str(value)


async def _mail_legal_representatives(
    session: AsyncSession,
    organization: Organization,
    changes: list[tuple[str, Any, Any]],
    *,
    by: Actor,
) -> None:
    """E-mails every legal representative, in its own language, what changed in the
    organization's details and who changed it."""
    representatives = list(
        await session.scalars(
            select(Membership.account_id).where(
                Membership.organization_id == organization.id,
                Membership.role == Role.legal_representative,
            )
        )
    )
    people = await directory.summaries(
        session, [*representatives, *([by.account_id] if by.account_id else [])]
    )
    author = people.get(by.account_id) if by.account_id else None
    changed_by = author.full_name if author is not None else ""
    shown = {f"{field}_{when}": "" for field in SUMMARIZED_FIELDS for when in ("before", "after")}
    for field, old, new in changes:
        if field in SUMMARIZED_FIELDS:
            shown[f"{field}_before"] = _shown(field, old)
            shown[f"{field}_after"] = _shown(field, new)
    for account_id in representatives:
        person = people.get(account_id)
        if person is None:
            continue
        await queue_mail(
            session,
            to=person.email,
            template="organization_details_changed",
            language=person.language,
            context={
                "recipient_name": person.first_name,
                "organization_name": organization.name,
                "changed_by": changed_by,
                **shown,
            },
        )


def logo_type(data: bytes) -> str:
    """The content type of a logo image (PNG, JPEG or WebP of at most 1 MiB)."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoTooLarge("The image is larger than 1 MiB.")
    content_type = next(
        (kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)), None
    )
    if content_type == "image/webp" and data[8:12] != b"WEBP":
        content_type = None
    if content_type is None:
        raise LogoTypeNotSupported("The logo must be a PNG, JPEG or WebP image.")
    return content_type


async def set_logo(
    session: AsyncSession, organization: Organization, data: bytes, *, by: Actor
) -> None:
    content_type = logo_type(data)
    logo = await session.get(OrganizationLogo, organization.id)
    now = clock.now()
    if logo is None:
        session.add(
            OrganizationLogo(
                organization_id=organization.id,
                content_type=content_type,
                data=data,
            )
        )
    else:
        logo.content_type, logo.data, logo.updated_at = content_type, data, now
    organization.logo_updated_at = now
    await session.flush()
    await activity.record(
        session,
        by,
        "organization.logo_updated",
        organization_id=organization.id,
        details={"bytes": len(data)},
    )


async def get_logo(session: AsyncSession, organization_id: uuid.UUID) -> OrganizationLogo:
    logo = await session.get(OrganizationLogo, organization_id)
    if logo is None:
        raise LogoNotFound("No logo.")
    return logo


async def remove_logo(session: AsyncSession, organization: Organization, *, by: Actor) -> None:
    result = await session.execute(
        delete(OrganizationLogo).where(OrganizationLogo.organization_id == organization.id)
    )
    if not getattr(result, "rowcount", 0):
        raise LogoNotFound("No logo.")
    organization.logo_updated_at = None
    await activity.record(session, by, "organization.logo_removed", organization_id=organization.id)


# Extra billing addresses


def billing_addresses_of(organization_id: uuid.UUID) -> Select[BillingAddress]:
    return select(BillingAddress).where(BillingAddress.organization_id == organization_id)


async def get_billing_address(
    session: AsyncSession,
    organization_id: uuid.UUID,
    address_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> BillingAddress:
    """One of the organization's extra billing addresses."""
    statement = billing_addresses_of(organization_id).where(BillingAddress.id == address_id)
    return await one_or_raise(
        session,
        statement,
        BillingAddressNotFound("No such billing address."),
        for_update=for_update,
    )


async def add_billing_address(
    session: AsyncSession, organization: Organization, fields: dict[str, Any], *, by: Actor
) -> BillingAddress:
    now = clock.now()
    address = BillingAddress(
        id=uuid.uuid4(), organization_id=organization.id, created_at=now, updated_at=now, **fields
    )
    session.add(address)
    await session.flush()
    await _record_address(session, address, "billing_address.created", by=by)
    return address


async def update_billing_address(
    session: AsyncSession, address: BillingAddress, fields: dict[str, Any], *, by: Actor
) -> BillingAddress:
    for field, value in fields.items():
        setattr(address, field, value)
    address.updated_at = clock.now()
    await session.flush()
    await _record_address(session, address, "billing_address.updated", by=by)
    return address


async def delete_billing_address(
    session: AsyncSession, address: BillingAddress, *, by: Actor
) -> None:
    await session.delete(address)
    await session.flush()
    await _record_address(session, address, "billing_address.deleted", by=by)


async def _record_address(
    session: AsyncSession, address: BillingAddress, action: str, *, by: Actor
) -> None:
    await activity.record(
        session,
        by,
        action,
        organization_id=address.organization_id,
        details={"billing_address_id": str(address.id)},
    )
