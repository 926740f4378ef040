"""Request and response models of access passes and of the mails scheduled before a
performance."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from app.core.money import Currency
from app.core.schemas import Schema
from app.ticketing.models import Channel, PaymentMethod, TicketStatus
from app.ticketing.schemas import Customer, Name, OfficeCurrency, office_currency

PriceMinor = Annotated[int, Field(ge=0, le=100_000_000)]
MailLanguage = Literal["fr", "en", "de", "it", "es"]


class AccessPassCreate(Schema):
    name: Name = Field(examples=["Abonnement saison 2026-2027"])
    price_minor: PriceMinor = Field(description="The pass's own price, in minor units.")
    currency: Currency | None = office_currency()
    event_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Events of the office whose every performance (those added later too) "
        "the pass covers.",
    )
    performance_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=500,
        description="Chosen performances, of any event of the office, the pass also covers.",
    )
    on_sale: bool = Field(default=True, description="Whether it may be sold now.")


class AccessPassUpdate(Schema):
    name: Name | None = Field(default=None, examples=["Abonnement saison 2026-2027"])
    price_minor: PriceMinor | None = Field(
        default=None, description="For the passes sold from now on."
    )
    currency: Currency | None = office_currency()
    on_sale: bool | None = None


class AccessPassRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str = Field(examples=["Abonnement saison 2026-2027"])
    price_minor: int
    currency: OfficeCurrency
    event_ids: list[uuid.UUID] = Field(description="Whole events covered.")
    performance_ids: list[uuid.UUID] = Field(description="Chosen performances covered.")
    on_sale: bool
    sold: int = Field(description="Passes sold and not cancelled.")
    created_at: datetime


class PassSaleCreate(Schema):
    customer: Customer
    payment_method: PaymentMethod = Field(
        description="Among the office's, paid at once: cash, card or voucher (not on invoice)."
    )
    card_token: Annotated[str, Field(max_length=100)] | None = Field(
        default=None,
        description="For card payments: the token from the payment provider.",
        examples=["tok_visa"],
    )


class SoldPassRead(Schema):
    id: uuid.UUID
    pass_id: uuid.UUID
    ticket_office_id: uuid.UUID
    number: str = Field(
        description="The pass's number, admitted once at each performance it covers.",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    customer_name: str = Field(examples=["Jeanne Dupont"])
    customer_email: str = Field(examples=["jeanne@example.ch"])
    customer_language: str = Field(
        description="The language of the customer's mails (fr, en, de, it, es).", examples=["fr"]
    )
    price_minor: int = Field(description="What the pass was sold for.")
    currency: Currency = Field(description="The ticket office's currency: the price is in it.")
    payment_method: PaymentMethod
    channel: Channel = Field(description="online (the shop) or box_office.")
    status: TicketStatus = Field(
        description="valid, or cancelled (refused at control; its seats are free again)."
    )
    performance_ids: list[uuid.UUID] = Field(
        description="The performances it admits to (those to come when it was sold), each "
        "holding a seat for it."
    )
    created_at: datetime
    cancelled_at: datetime | None


class MailText(Schema):
    subject: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        examples=["Informations pratiques pour votre soirée"]
    )
    body: Annotated[str, Field(min_length=1, max_length=10_000)] = Field(
        examples=["Les portes ouvrent à 19 h. Vestiaire au sous-sol, parking du Lac à 200 m."]
    )


class PreEventMailCreate(MailText):
    performance_id: uuid.UUID = Field(description="The performance whose holders are mailed.")
    hours_before: Annotated[int, Field(ge=1, le=24 * 90)] = Field(
        description="How long before the performance starts it is sent (48: two days)."
    )
    translations: dict[MailLanguage, MailText] = Field(
        default_factory=dict,
        description="The text in other languages: each buyer gets theirs, or the default.",
    )


class PreEventMailUpdate(Schema):
    hours_before: Annotated[int, Field(ge=1, le=24 * 90)] | None = None
    subject: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, examples=["Informations pratiques pour votre soirée"]
    )
    body: Annotated[str, Field(min_length=1, max_length=10_000)] | None = Field(
        default=None,
        examples=["Les portes ouvrent à 19 h. Vestiaire au sous-sol, parking du Lac à 200 m."],
    )
    translations: dict[MailLanguage, MailText] | None = Field(
        default=None, description="Replaces the translations when given."
    )


class PreEventMailRead(MailText):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    performance_id: uuid.UUID
    hours_before: int
    translations: dict[MailLanguage, MailText]
    send_at: datetime = Field(description="When it is due: the performance's start less hours.")
    sent_at: datetime | None = Field(description="null: not sent yet (it may still be edited).")
    recipients: int | None = Field(description="Addresses it was sent to; null: not sent yet.")
    created_at: datetime
    updated_at: datetime


class PassCancel(Schema):
    reason: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        examples=["Le client déménage."]
    )


class ShopPassRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str = Field(examples=["Abonnement saison 2026-2027"])
    price_minor: int
    currency: OfficeCurrency
    performance_ids: list[uuid.UUID] = Field(
        description="The performances it admits to if bought now (those still to come)."
    )
