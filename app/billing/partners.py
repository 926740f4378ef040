"""Partner pricing rules: the 20 % discount and the cashback, per the partnership's terms.

- Full access, the partner's means: the partner ordering or renewing for the client pays the
  partner price (20 % off, then the volume tier); orders the client places itself pay the public
  price and earn the partner the cashback. Only the partner's staff order on the partner's
  account: a client asking for it is refused.
- Full access, the client's means: every order and renewal (by the client, or by the partner with
  the client's means) earns the cashback.
- Limited access: renewals of the products the partner manages earn the cashback.
The cashback is public price minus partner price, credited to the partner's prepaid account once the
client has paid (``cashback.credit``), and taken back, once, when that payment is
refunded (``cashback.reverse``).
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor, Via
from app.billing.errors import PartnerCannotPay
from app.organizations import service as organizations
from app.organizations.types import PartnerAccess, PaymentMode


class Pricing(StrEnum):
    public = "public"
    partner_price = "partner_price"
    public_with_cashback = "public_with_cashback"


@dataclass(frozen=True)
class PartnerTerms:
    partner_organization_id: uuid.UUID
    full_access: bool
    partner_pays: bool
    """The payment mode chosen by the client: the partner's means (True) or its own."""
    managed_product_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)


def pricing_for(
    terms: PartnerTerms | None, *, paid_by_partner: bool, product_ids: Collection[uuid.UUID] = ()
) -> Pricing:
    """How a line is priced for an organization with these partnership terms."""
    if terms is None:
        if paid_by_partner:
            raise PartnerCannotPay("This organization has no partner paying for it.")
        return Pricing.public
    if paid_by_partner:
        if not (terms.full_access and terms.partner_pays):
            raise PartnerCannotPay(
                "The partner pays with its own means only under a full-access partnership where "
                "the client chose the partner's means."
            )
        return Pricing.partner_price
    if terms.full_access:
        return Pricing.public_with_cashback
    if product_ids and all(pid in terms.managed_product_ids for pid in product_ids):
        return Pricing.public_with_cashback
    return Pricing.public


def require_partner_staff(terms: PartnerTerms, by: Actor) -> None:
    """Only the partner's staff order on the partner's account at the partner price: a client
    cannot bill its partner."""
    if by.via != Via.partner or by.organization_id != terms.partner_organization_id:
        raise PartnerCannotPay(
            "Only the partner's staff can order on the partner's account; order with your own "
            "means."
        )


async def terms_for(
    session: AsyncSession, client_organization_id: uuid.UUID
) -> PartnerTerms | None:
    """The active partnership of a managed client, read through the organizations service."""
    partnership = await organizations.partnership_for_client(session, client_organization_id)
    if partnership is None:
        return None
    return PartnerTerms(
        partner_organization_id=partnership.partner_organization_id,
        full_access=partnership.access_type == PartnerAccess.full,
        partner_pays=partnership.payment_mode == PaymentMode.partner_pays,
        managed_product_ids=frozenset(partnership.product_ids),
    )
