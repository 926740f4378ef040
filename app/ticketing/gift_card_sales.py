"""Gift cards sold as a product of the online shop.

Rules: the office offers fixed values and/or a free amount within bounds; a customer buys a card
of one of them, paid by card like an order (authorized in the purchase's transaction, captured
once it commits, voided if it does not). Paid, the card is issued (``gift_cards.issue``) in the
office's currency with its unique code and the offer's expiry, and mailed to the buyer or to the
recipient given.
"""

import secrets
import uuid
from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.activity.types import Actor
from app.core import clock
from app.core.money import check_currency, format_minor
from app.notifications.service import queue_mail
from app.payments import service as payments
from app.ticketing import gift_cards, offices
from app.ticketing.errors import GiftCardAmountInvalid, GiftCardsNotOnSale
from app.ticketing.gift_card_sale_schemas import (
    GiftCardOfferRead,
    GiftCardOfferSet,
    GiftCardPurchaseCreate,
    GiftCardSold,
)
from app.ticketing.models import GiftCard, GiftCardOffer, GiftCardPurchase, TicketOffice
from app.ticketing.sales_schemas import GiftCardCreate

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def offer_read(office: TicketOffice, offer: GiftCardOffer | None) -> GiftCardOfferRead:
    if offer is None:
        return GiftCardOfferRead(
            on_sale=False,
            values_minor=[],
            min_minor=None,
            max_minor=None,
            validity_days=None,
            currency=office.currency,
        )
    return GiftCardOfferRead(
        on_sale=offer.on_sale,
        values_minor=sorted(offer.values_minor),
        min_minor=offer.min_minor,
        max_minor=offer.max_minor,
        validity_days=offer.validity_days,
        currency=office.currency,
    )


async def get_offer(session: AsyncSession, office: TicketOffice) -> GiftCardOffer | None:
    return await session.get(GiftCardOffer, office.id)


async def set_offer(
    session: AsyncSession, office: TicketOffice, *, body: GiftCardOfferSet, by: Actor
) -> GiftCardOffer:
    """Sets how the shop sells the office's gift cards (amounts in its currency)."""
    check_currency(body.currency, office.currency)
    offer = await session.get(GiftCardOffer, office.id, with_for_update=True)
    if offer is None:
        offer = GiftCardOffer(ticket_office_id=office.id)
        session.add(offer)
    offer.on_sale = body.on_sale
    offer.values_minor = sorted(set(body.values_minor))
    offer.min_minor = body.min_minor
    offer.max_minor = body.max_minor
    offer.validity_days = body.validity_days
    offer.updated_at = clock.now()
    await session.flush()
    await offices.record(
        session,
        by,
        "ticketing.gift_card_offer_set",
        office,
        body.model_dump(mode="json", exclude={"currency"}),
    )
    return offer


def _accepts(offer: GiftCardOffer, amount: int) -> bool:
    if amount in offer.values_minor:
        return True
    return (
        offer.min_minor is not None
        and offer.max_minor is not None
        and offer.min_minor <= amount <= offer.max_minor
    )


async def buy(
    session: AsyncSession, office: TicketOffice, *, body: GiftCardPurchaseCreate, by: Actor
) -> GiftCardSold:
    """A customer buys a card: paid by card, issued, mailed; everything or nothing."""
    offer = await get_offer(session, office)
    if offer is None or not offer.on_sale:
        raise GiftCardsNotOnSale("This ticket office does not sell gift cards.")
    check_currency(body.currency, office.currency)
    if not _accepts(offer, body.amount_minor):
        raise GiftCardAmountInvalid(
            "This amount is not offered.",
            values_minor=sorted(offer.values_minor),
            min_minor=offer.min_minor,
            max_minor=offer.max_minor,
        )
    now = clock.now()
    expires_at = now + timedelta(days=offer.validity_days) if offer.validity_days else None
    number = "G" + "".join(secrets.choice(_ALPHABET) for _ in range(9))
    card = await gift_cards.issue(
        session,
        office,
        body=GiftCardCreate(
            amount_minor=body.amount_minor,
            expires_at=expires_at,
            note=f"Sold in the shop ({number}) to {body.buyer.email}"[:200],
        ),
        by=by,
    )
    recipient = body.recipient
    purchase = GiftCardPurchase(
        id=uuid.uuid4(),
        ticket_office_id=office.id,
        number=number,
        amount_minor=body.amount_minor,
        currency=office.currency,
        buyer_name=body.buyer.name,
        buyer_email=str(body.buyer.email),
        language=body.buyer.language,
        recipient_name=recipient.name if recipient else None,
        recipient_email=str(recipient.email) if recipient else None,
        message=body.message,
        gift_card_id=card.id,
        created_at=now,
        paid_at=now,
    )
    session.add(purchase)
    await session.flush()
    await queue_mail(
        session,
        to=purchase.recipient_email or purchase.buyer_email,
        template="gift_card_purchased",
        language=purchase.language,
        context={
            "recipient_name": (recipient.name or "") if recipient else purchase.buyer_name,
            "sender_name": purchase.buyer_name,
            "office_name": office.name,
            "gift_card_code": card.code,
            "amount": format_minor(card.initial_minor, card.currency),
            "expires_on": expires_at.strftime("%Y-%m-%d") if expires_at else "",
            "message": purchase.message or "",
        },
    )
    await offices.record(
        session,
        by,
        "ticketing.gift_card_sold",
        office,
        {
            "purchase_id": str(purchase.id),
            "gift_card_id": str(card.id),
            "amount_minor": purchase.amount_minor,
        },
    )
    # Last, as for an order: authorized now (a refusal rolls all of this back), captured once
    # this transaction commits, voided if it does not.
    authorization = await payments.authorize(
        session,
        key=payments.order_key("ticketing", "gift_card", purchase.id),
        token=body.card_token,
        amount_minor=purchase.amount_minor,
        currency=purchase.currency,
        description=f"Gift card {purchase.number}",
    )
    purchase.payment_reference = authorization.provider_reference
    await session.flush()
    return sold_read(purchase, card)


def sold_read(purchase: GiftCardPurchase, card: GiftCard) -> GiftCardSold:
    return GiftCardSold.model_validate(
        {
            **{
                field: getattr(purchase, field)
                for field in GiftCardSold.model_fields
                if field not in ("code", "expires_at")
            },
            "code": card.code,
            "expires_at": card.expires_at,
        }
    )


def purchases_of(office_id: uuid.UUID) -> Select[GiftCardPurchase]:
    return select(GiftCardPurchase).where(GiftCardPurchase.ticket_office_id == office_id)
