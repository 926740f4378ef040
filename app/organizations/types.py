"""The organizations domain's enums and value rules, which other domains may import."""

import uuid
from dataclasses import dataclass
from enum import StrEnum

from app.accounts.types import Language


class Role(StrEnum):
    legal_representative = "legal_representative"
    administrator = "administrator"
    collaborator = "collaborator"
    external = "external"


class OrganizationKind(StrEnum):
    private = "private"
    association = "association"
    company = "company"


class ProductType(StrEnum):
    ticket_office = "ticket_office"
    mail_service = "mail_service"
    drive = "drive"
    web_hosting = "web_hosting"
    domain = "domain"
    suite = "suite"
    cloud_server = "cloud_server"
    streaming = "streaming"
    premium_support = "premium_support"


class ProductStatus(StrEnum):
    active = "active"
    expired = "expired"
    suspended = "suspended"
    redemption = "redemption"
    released = "released"


class ProductRight(StrEnum):
    """What a grant allows on a product; ``sell`` and ``check`` exist for ticket offices."""

    use = "use"
    manage = "manage"
    technical = "technical"
    statistics = "statistics"
    sell = "sell"
    check = "check"


COMMON_RIGHTS = frozenset(
    {ProductRight.use, ProductRight.manage, ProductRight.technical, ProductRight.statistics}
)


TICKET_OFFICE_RIGHTS = frozenset({ProductRight.sell, ProductRight.check})


def rights_of(product_type: ProductType) -> frozenset[ProductRight]:
    """The rights a product of this type has."""
    if product_type == ProductType.ticket_office:
        return COMMON_RIGHTS | TICKET_OFFICE_RIGHTS
    return COMMON_RIGHTS


class GrantScope(StrEnum):
    product = "product"
    product_type = "product_type"
    all = "all"


class PartnerAccess(StrEnum):
    full = "full"
    limited = "limited"


class PaymentMode(StrEnum):
    client_pays = "client_pays"
    partner_pays = "partner_pays"


@dataclass(frozen=True)
class Recipient:
    """A member to notify: where, by which name, in which language."""

    account_id: uuid.UUID
    email: str
    name: str
    language: Language
