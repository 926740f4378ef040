"""Who may read which events: an event is visible to a caller only if the caller may read the
object it describes. Billing events need billing access, ticketing events a right on their
ticket office, member events the right to list members, product events a right on the
product; every event type of the catalog has its rule here (a test holds it). The feed shows
only readable events; a subscription may only name types its creator reads whole.

A subscription limited to one ticket office receives only the types whose rule names a product
(``OFFICE_TYPES``), and of those only the events whose payload names that office; its creator
must hold, on that office, the right each selected type needs."""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.events.catalog import EVENT_TYPES
from app.events.types import Readable
from app.organizations import permissions
from app.organizations.permissions import AccessVia, OrganizationAccess
from app.organizations.types import ProductRight
from app.webhooks import patterns
from app.webhooks.errors import EventTypeNotOfOffice, EventTypeNotReadable


class Reader(StrEnum):
    member = "member"
    """Any member: what the organization's own page shows."""
    manager = "manager"
    """Who may list the members (administrators, legal representatives)."""
    billing = "billing"
    """Who handles billing (``permissions.handles_billing``)."""
    product = "product"
    """Who holds ``right`` (any right when None) on the product named in the payload."""
    partner_services = "partner_services"
    """The client's members and its partner's staff (not platform support staff)."""
    partner_invoices = "partner_invoices"
    """The client's managers and its partner's staff."""


@dataclass(frozen=True)
class Rule:
    reader: Reader
    right: ProductRight | None = None
    key: str = "id"
    """The payload key holding the product's id (``product`` rules)."""


_MEMBER = Rule(Reader.member)
_MANAGER = Rule(Reader.manager)
_BILLING = Rule(Reader.billing)
_PRODUCT = Rule(Reader.product)
_ORDERS = Rule(Reader.product, ProductRight.sell, "ticket_office_id")
_CONTROL = Rule(Reader.product, ProductRight.check, "ticket_office_id")
_PARTNER_SERVICES = Rule(Reader.partner_services)
_PARTNER_INVOICES = Rule(Reader.partner_invoices)

RULES: dict[str, Rule] = {
    "account.created": _MANAGER,
    "member.added": _MANAGER,
    "member.role_changed": _MANAGER,
    "member.removed": _MANAGER,
    "member.invited": _MANAGER,
    "rights.changed": _MANAGER,
    "team.created": _MANAGER,
    "team.updated": _MANAGER,
    "team.deleted": _MANAGER,
    "partnership.started": _MANAGER,
    "partnership.ended": _MANAGER,
    "partnership.updated": _MANAGER,
    "support_access.granted": _MANAGER,
    "support_access.revoked": _MANAGER,
    "webhook.test": _MANAGER,
    "organization.created": _MEMBER,
    "organization.updated": _MEMBER,
    "organization.deleted": _MEMBER,
    "security.two_factor_required": _MEMBER,
    "security.two_factor_requirement_lifted": _MEMBER,
    "product.created": _PRODUCT,
    "product.locked": _PRODUCT,
    "product.unlocked": _PRODUCT,
    "order.created": _ORDERS,
    "order.paid": _ORDERS,
    "order.cancelled": _ORDERS,
    "order.reminded": _ORDERS,
    "order.expired": _ORDERS,
    "ticket.cancelled": _ORDERS,
    "ticket.exchanged": _ORDERS,
    "ticket.scanned": _CONTROL,
    "ticket.pass_sold": _ORDERS,
    "ticket.pass_cancelled": _ORDERS,
    "billing_order.placed": _BILLING,
    "billing_order.cancelled": _BILLING,
    "invoice.issued": _BILLING,
    "invoice.paid": _BILLING,
    "invoice.voided": _BILLING,
    "invoice.refunded": _BILLING,
    "invoice.reminded": _BILLING,
    "payment.succeeded": _BILLING,
    "payment.failed": _BILLING,
    "prepaid.credited": _BILLING,
    "prepaid.debited": _BILLING,
    "prepaid.withdrawal_requested": _BILLING,
    "product.renewed": _BILLING,
    "product.expired": _BILLING,
    "product.redemption_started": _BILLING,
    "product.released": _BILLING,
    "product.plan_changed": _BILLING,
    "product.subscription_changed": _BILLING,
    "service_request.opened": _PARTNER_SERVICES,
    "service_request.confirmed": _PARTNER_SERVICES,
    "service_request.replied": _PARTNER_SERVICES,
    "service_request.stopped": _PARTNER_SERVICES,
    "service_request.closed": _PARTNER_SERVICES,
    "intervention.logged": _PARTNER_SERVICES,
    "quote.accepted": _PARTNER_SERVICES,
    "partner_invoice.issued": _PARTNER_INVOICES,
    "partner_invoice.paid": _PARTNER_INVOICES,
    # The affiliate programme is the organization's earnings: read as billing is.
    "affiliate.joined": _BILLING,
    "affiliate.commission_earned": _BILLING,
    "affiliate.commission_validated": _BILLING,
    "affiliate.commission_voided": _BILLING,
    "affiliate.payout_made": _BILLING,
}


def _reads_whole(access: OrganizationAccess, rule: Rule) -> bool:
    """Whether the caller reads every event of the rule, whatever its object."""
    if rule.reader == Reader.member:
        return True
    if rule.reader == Reader.manager:
        return access.is_manager
    if rule.reader == Reader.billing:
        return permissions.handles_billing(access)
    if rule.reader == Reader.partner_services:
        return access.via != AccessVia.support
    if rule.reader == Reader.partner_invoices:
        return access.via == AccessVia.partner or (access.is_member and access.is_manager)
    return permissions.reaches_every_product(access)


async def readable(session: AsyncSession, access: OrganizationAccess) -> Readable:
    """The events of its organization the caller may read."""
    whole = {type for type, rule in RULES.items() if _reads_whole(access, rule)}
    by_product: dict[str, tuple[str, frozenset[uuid.UUID]]] = {}
    products: dict[ProductRight | None, frozenset[uuid.UUID]] = {}
    for type, rule in RULES.items():
        if type in whole or rule.reader != Reader.product:
            continue
        if rule.right not in products:
            products[rule.right] = await permissions.product_ids_with(session, access, rule.right)
        by_product[type] = (rule.key, products[rule.right])
    return Readable(types=frozenset(whole), by_product=by_product)


def require_readable(access: OrganizationAccess, event_types: Iterable[str]) -> None:
    """Refuses subscription patterns selecting a type the caller does not read whole."""
    selected = patterns.checked(event_types, known_only=True)
    unreadable = sorted(
        type
        for type in EVENT_TYPES
        if patterns.matches(selected, type) and not _reads_whole(access, RULES[type])
    )
    if unreadable:
        raise EventTypeNotReadable(
            "You may not read every event of these types: " + ", ".join(unreadable),
            event_types=unreadable,
        )


OFFICE_TYPES: frozenset[str] = frozenset(
    type for type, rule in RULES.items() if rule.reader == Reader.product
)
"""What a subscription limited to one ticket office can receive: the types naming a product."""


def is_of_office(event_type: str, data: Mapping[str, Any], office_id: uuid.UUID) -> bool:
    """Whether the event (its type and payload) is about the ticket office ``office_id``."""
    if event_type not in OFFICE_TYPES:
        return False
    return str(data.get(RULES[event_type].key)) == str(office_id)


def require_readable_on_office(rights: frozenset[ProductRight], event_types: Iterable[str]) -> None:
    """Refuses, for a subscription limited to one ticket office, a pattern selecting none of the
    office's types (``EventTypeNotOfOffice``) or a type needing a right on the office that
    ``rights`` (the caller's on it) lacks (``EventTypeNotReadable``)."""
    selected = patterns.checked(event_types, known_only=True)
    outside = [
        pattern
        for pattern in selected
        if not any(patterns.matches([pattern], type) for type in OFFICE_TYPES)
    ]
    if outside:
        raise EventTypeNotOfOffice(
            "A subscription limited to a ticket office receives only the events about it "
            "(orders, tickets, scans, passes, its product); these patterns select none: "
            + ", ".join(outside),
            event_types=outside,
        )
    unreadable = sorted(
        type
        for type in OFFICE_TYPES
        if patterns.matches(selected, type)
        and (right := RULES[type].right) is not None
        and right not in rights
    )
    if unreadable:
        raise EventTypeNotReadable(
            "You lack the right these types need on this ticket office: " + ", ".join(unreadable),
            event_types=unreadable,
        )
