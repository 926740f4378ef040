"""Request and response models of gift cards sold in the online shop."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, model_validator

from app.core.money import Currency
from app.core.schemas import Schema
from app.ticketing.schemas import Customer, Name, office_currency

Amount = Annotated[int, Field(ge=1, le=100_000_000)]


class GiftCardOfferSet(Schema):
    on_sale: bool = Field(description="Whether the shop sells the office's gift cards.")
    values_minor: list[Amount] = Field(
        default_factory=list,
        max_length=20,
        description="The values offered to choose from, in the office's currency.",
    )
    min_minor: Amount | None = Field(
        default=None,
        description="With max_minor: a free amount within these bounds is accepted too; null: "
        "only the values offered.",
    )
    max_minor: Amount | None = Field(default=None, description="The highest free amount.")
    validity_days: Annotated[int, Field(ge=1, le=3660)] | None = Field(
        default=None,
        description="A card sold expires this many days after its purchase; null: never.",
    )
    currency: Currency | None = office_currency()

    @model_validator(mode="after")
    def _bounds(self) -> "GiftCardOfferSet":
        if (self.min_minor is None) != (self.max_minor is None):
            raise ValueError("min_minor and max_minor go together")
        if self.min_minor is not None and self.max_minor is not None:
            if self.max_minor < self.min_minor:
                raise ValueError("max_minor is below min_minor")
        elif self.on_sale and not self.values_minor:
            raise ValueError("on sale, offer values or a free amount's bounds")
        return self


class GiftCardOfferRead(Schema):
    on_sale: bool = Field(description="Whether the shop sells the office's gift cards.")
    values_minor: list[int] = Field(description="The values offered to choose from.")
    min_minor: int | None = Field(description="The lowest free amount; null: no free amount.")
    max_minor: int | None = Field(description="The highest free amount; null: no free amount.")
    validity_days: int | None = Field(
        description="A card sold expires this many days after its purchase; null: never."
    )
    currency: Currency = Field(description="The ticket office's, in which cards are sold.")


class Recipient(Schema):
    name: Name | None = Field(
        default=None, description="Greeted in the mail.", examples=["Lucie Rochat"]
    )
    email: EmailStr = Field(max_length=320, description="Where the card is mailed instead.")


class GiftCardPurchaseCreate(Schema):
    amount_minor: Amount = Field(
        description="One of the values offered, or a free amount within the offer's bounds."
    )
    currency: Currency | None = office_currency()
    buyer: Customer = Field(description="Who pays; mailed the card unless a recipient is given.")
    recipient: Recipient | None = Field(
        default=None, description="Who the card is for: mailed the card instead of the buyer."
    )
    message: Annotated[str, Field(max_length=500)] | None = Field(
        default=None,
        description="A few words printed in the card's mail.",
        examples=["Joyeux anniversaire ! Bon spectacle."],
    )
    card_token: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="The token from the payment provider: the card is paid by card at once.",
        examples=["tok_visa"],
    )


class GiftCardPurchaseRead(Schema):
    id: uuid.UUID
    number: str = Field(description="The purchase's number.", examples=["G7QM3XRP9T"])
    amount_minor: int = Field(description="What was paid, and the card's value.")
    currency: Currency = Field(description="The ticket office's.")
    buyer_name: str = Field(examples=["Jeanne Dupont"])
    buyer_email: str = Field(examples=["jeanne@example.ch"])
    recipient_email: str | None = Field(
        description="Where the card was mailed instead of the buyer; null: the buyer.",
        examples=["lucie@example.ch"],
    )
    gift_card_id: uuid.UUID | None = Field(description="The card issued (null once deleted).")
    payment_reference: str | None = Field(
        description="The payment provider's reference.", examples=["pi_3NfX"]
    )
    created_at: datetime
    paid_at: datetime


class GiftCardSold(GiftCardPurchaseRead):
    code: str = Field(
        description="The card's code, as mailed: what it is spent with at checkout.",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    expires_at: datetime | None = Field(description="Refused from then on; null: never.")
