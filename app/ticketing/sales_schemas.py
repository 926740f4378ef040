"""Request and response shapes of the sales tools: promotions, gift cards, seat plans."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from app.core.money import BASIS, Currency
from app.core.schemas import Schema
from app.ticketing.models import (
    DiscountKind,
    GiftCardEntryKind,
    PaymentMethod,
    QuestionKind,
    ScanResult,
)
from app.ticketing.schemas import EventRead, Name, OfficeCurrency, TicketNumber, office_currency

Code = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9_-]{3,40}$",
        description="A promotion code: 3 to 40 letters, digits, - or _ (case does not matter).",
        examples=["PRINTEMPS25"],
    ),
]
Label = Annotated[str, Field(min_length=1, max_length=20)]


def _aware(*moments: datetime | None) -> None:
    if any(moment is not None and moment.tzinfo is None for moment in moments):
        raise ValueError("dates need a time zone offset")


# --- Promotions ---


class PromotionCodesCreate(Schema):
    codes: list[Code] = Field(
        default_factory=list, max_length=1000, description="Codes chosen by the organizer."
    )
    generate: Annotated[int, Field(ge=0, le=10_000)] = Field(
        default=0, description="How many random codes to generate besides."
    )
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{0,10}$")] = Field(
        default="",
        description="Put (upper-cased) before each generated code's 10 random characters.",
        examples=["VIP"],
    )


class PromotionCreate(PromotionCodesCreate):
    name: Name = Field(examples=["Printemps -25 %"])
    automatic: bool = Field(
        default=False, description="Applied without a code to every order it covers."
    )
    kind: DiscountKind = Field(
        description="percent: a share of each covered ticket's price; fixed: an amount off each."
    )
    amount: Annotated[int, Field(ge=1, le=100_000_000)] = Field(
        description="Percent: basis points (1500 = 15 %). Fixed: minor units off each ticket."
    )
    currency: Currency | None = Field(
        default=None,
        description="A fixed amount's currency; when given it must be the ticket office's, else "
        "422 currency_mismatch. Default: that currency.",
    )
    event_id: uuid.UUID | None = Field(
        default=None, description="The event it covers; null: every event of the office."
    )
    performance_id: uuid.UUID | None = Field(
        default=None, description="Only this performance of the event (needs event_id)."
    )
    price_category_id: uuid.UUID | None = Field(
        default=None, description="Only this price category of the event (needs event_id)."
    )
    valid_from: datetime | None = Field(
        default=None, description="Orders from then on (with a time zone offset); null: now."
    )
    valid_until: datetime | None = Field(
        default=None, description="Orders until then (with a time zone offset); null: no end."
    )
    min_quantity: Annotated[int, Field(ge=1, le=1000)] = Field(
        default=1, description="Tickets the promotion covers that the order must hold."
    )
    max_uses: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        default=None,
        description="Orders each code may serve (or, automatic, the promotion); none: no limit.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> "PromotionCreate":
        _aware(self.valid_from, self.valid_until)
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        if self.kind == DiscountKind.percent and self.amount > BASIS:
            raise ValueError("a percentage is at most 10000 basis points")
        if self.automatic and (self.codes or self.generate):
            raise ValueError("an automatic promotion has no codes")
        return self


class PromotionRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str = Field(examples=["Printemps -25 %"])
    automatic: bool = Field(description="Applied without a code to every order it covers.")
    kind: DiscountKind = Field(description="percent or fixed (see amount).")
    amount: int = Field(
        description="Percent: basis points (1500 = 15 %). Fixed: minor units off each ticket."
    )
    currency: OfficeCurrency
    event_id: uuid.UUID | None = Field(description="The event covered; null: every event.")
    performance_id: uuid.UUID | None = Field(description="The performance covered; null: all.")
    price_category_id: uuid.UUID | None = Field(description="The category covered; null: all.")
    valid_from: datetime | None = Field(description="Start of validity; null: from creation.")
    valid_until: datetime | None = Field(description="End of validity; null: no end.")
    min_quantity: int = Field(description="Covered tickets an order must hold to get it.")
    max_uses: int | None = Field(
        description="Orders each code (or the automatic promotion) may serve; null: no limit."
    )
    uses: int = Field(description="Orders served: an automatic promotion's, or all its codes'.")
    codes: int = Field(description="How many codes the promotion has.")
    active: bool = Field(description="Switched on; an inactive promotion applies to no order.")
    created_at: datetime


class PromotionUpdate(Schema):
    active: bool | None = Field(
        default=None, description="Switch it on or off; null or left out: unchanged."
    )
    valid_until: datetime | None = Field(
        default=None, description="The new end of validity; null: no end."
    )


class PromotionCodeRead(Schema):
    code: str = Field(description="The code, as the customer types it.", examples=["VIP7KQ2M9XH4P"])
    max_uses: int | None = Field(description="Orders it may serve; null: no limit.")
    uses: int = Field(description="Orders it served (an order cancelled whole gives its use back).")


# --- Gift cards ---


class GiftCardCreate(Schema):
    amount_minor: Annotated[int, Field(ge=1, le=100_000_000)] = Field(
        description="The card's value, in the ticket office's currency."
    )
    currency: Currency | None = office_currency()
    expires_at: datetime | None = Field(
        default=None,
        description="From then on the card is refused (with a time zone offset); null: never.",
    )
    note: Annotated[str, Field(max_length=200)] | None = Field(
        default=None,
        description="For the organizer only (who it was sold or given to…).",
        examples=["Offert à Mme Rochat, concours de Noël"],
    )

    @model_validator(mode="after")
    def _aware_expiry(self) -> "GiftCardCreate":
        _aware(self.expires_at)
        return self


class GiftCardEntryRead(Schema):
    kind: GiftCardEntryKind = Field(
        description="issued, redeemed by an order, or credited back by a cancellation."
    )
    amount_minor: int = Field(description="What the entry added or took (always positive).")
    balance_after_minor: int = Field(description="The card's balance after it.")
    currency: Currency = Field(description="The card's currency.")
    order_id: uuid.UUID | None = Field(description="The order it was spent on or credited from.")
    created_at: datetime


class GiftCardRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    code: str = Field(
        description="What the customer spends it with (16 characters; dashes and spaces are "
        "ignored when given).",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    currency: Currency = Field(description="The ticket office's, when issued.")
    initial_minor: int = Field(description="Its value when issued.")
    balance_minor: int = Field(description="What is left to spend.")
    expires_at: datetime | None = Field(description="Refused from then on; null: never.")
    note: str | None = Field(
        description="For the organizer only; null: none.",
        examples=["Offert à Mme Rochat, concours de Noël"],
    )
    created_at: datetime


class GiftCardDetail(GiftCardRead):
    entries: list[GiftCardEntryRead] = Field(description="Its history, oldest first.")


class GiftCardBalance(Schema):
    currency: Currency = Field(description="The card's currency (its ticket office's).")
    balance_minor: int = Field(description="What is left to spend.")
    expires_at: datetime | None = Field(description="Refused from then on; null: never.")


# --- Seat plans ---


class SeatRowCreate(Schema):
    section: Annotated[str, Field(min_length=1, max_length=100)] = Field(examples=["Parterre"])
    row: Label = Field(description="The row's label, as printed.", examples=["C"])
    seats: Annotated[int, Field(ge=1, le=500)] = Field(description="Seats numbered from first.")
    first: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=1, description="The number of the row's first seat."
    )
    price_category_id: uuid.UUID = Field(description="The category its seats are sold in.")


class SeatPlanCreate(Schema):
    rows: list[SeatRowCreate] = Field(
        min_length=1, max_length=1000, description="Best rows first: best-available follows this."
    )


class SeatRead(Schema):
    id: uuid.UUID
    section: str = Field(examples=["Parterre"])
    row: str = Field(examples=["C"])
    number: str = Field(description="The seat's number in its row.", examples=["12"])
    price_category_id: uuid.UUID
    available: bool = Field(description="Free to sell (not held by a valid ticket).")


class SeatPlanRead(Schema):
    performance_id: uuid.UUID
    capacity: int = Field(description="The performance's capacity: its number of seats.")
    available: int = Field(description="Seats free to sell.")
    seats: list[SeatRead] = Field(description="Best rows first; empty without a seat plan.")


# --- Customer forms ---


class QuestionCreate(Schema):
    label: Annotated[str, Field(min_length=1, max_length=300)] = Field(
        description="The question as the customer reads it.", examples=["Menu"]
    )
    kind: QuestionKind = Field(
        description="What the answer is: text, choice (one of choices), number, date "
        "(YYYY-MM-DD) or yes_no (true/false)."
    )
    required: bool = Field(default=False, description="An order without its answer is refused.")
    per_ticket: bool = Field(default=False, description="Asked for each ticket, not once.")
    choices: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="The options of a choice question (and only of one).",
        examples=[["Viande", "Végétarien"]],
    )


class QuestionRead(Schema):
    id: uuid.UUID
    label: str = Field(examples=["Menu"])
    kind: QuestionKind = Field(
        description="What the answer is: text, choice, number, date (YYYY-MM-DD) or yes_no."
    )
    required: bool = Field(description="An order without its answer is refused.")
    per_ticket: bool = Field(description="Asked for each ticket, not once.")
    choices: list[str] = Field(
        description="The options of a choice question; empty otherwise.",
        examples=[["Viande", "Végétarien"]],
    )


# --- Online shops ---

OnlineMethod = Annotated[PaymentMethod, Field(description="card or invoice")]
Look = dict[str, Annotated[str, Field(max_length=500)]]
LOOK_EXAMPLE = {"primary_color": "#0b3d91", "logo_url": "https://theatredulac.ch/logo.png"}


class OnlineShopCreate(Schema):
    name: Name = Field(examples=["Festival d'été"])
    event_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=500, description="The office's events it sells."
    )
    payment_methods: list[OnlineMethod] = Field(
        min_length=1,
        max_length=2,
        description="How customers may pay in this shop: card and/or invoice, among the "
        "office's methods.",
    )
    invoice_until_days_before: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None,
        description='"On invoice" offered only until this many days before the performance.',
    )
    look: Look = Field(
        default_factory=dict,
        max_length=20,
        description="Free keys for the shop's front end: colours, logo address, texts…",
        examples=[LOOK_EXAMPLE],
    )


class OnlineShopUpdate(Schema):
    """A partial update: the properties left out (or null) are unchanged."""

    name: Name | None = Field(default=None, examples=["Festival d'été"])
    event_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=500, description="Replaces the events it sells."
    )
    payment_methods: list[OnlineMethod] | None = Field(
        default=None,
        min_length=1,
        max_length=2,
        description="Replaces how customers may pay: card and/or invoice, among the office's.",
    )
    invoice_until_days_before: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None,
        description='"On invoice" offered only until this many days before the performance.',
    )
    look: Look | None = Field(
        default=None,
        max_length=20,
        description="Replaces the whole look.",
        examples=[LOOK_EXAMPLE],
    )


class OnlineShopRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str = Field(examples=["Festival d'été"])
    event_ids: list[uuid.UUID] = Field(description="The events it sells (published ones show).")
    payment_methods: list[PaymentMethod] = Field(description="card and/or invoice.")
    invoice_until_days_before: int | None = Field(
        description='"On invoice" offered only until this many days before the performance; '
        "null: until it starts."
    )
    look: dict[str, str] = Field(
        description="Free keys for the shop's front end.", examples=[LOOK_EXAMPLE]
    )
    created_at: datetime


class OnlineShopFront(Schema):
    """A shop as its customers see it: its look and the published events on sale."""

    id: uuid.UUID
    name: str = Field(examples=["Festival d'été"])
    look: dict[str, str] = Field(
        description="Free keys for the shop's front end.", examples=[LOOK_EXAMPLE]
    )
    payment_methods: list[PaymentMethod] = Field(description="card and/or invoice.")
    invoice_until_days_before: int | None = Field(
        description='"On invoice" offered only until this many days before the performance; '
        "null: until it starts."
    )
    events: list[EventRead] = Field(description="Its published events, with their free seats.")


# --- Check-in lists ---


class CheckinListCreate(Schema):
    name: Name = Field(examples=["Entrée Balcon"])
    price_category_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=50,
        description="Admitted categories (of this event); empty: all.",
    )


class CheckinListRead(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str = Field(examples=["Entrée Balcon"])
    price_category_ids: list[uuid.UUID] = Field(description="Admitted categories; empty: all.")
    created_at: datetime


class CheckinDeviceCreate(Schema):
    name: Name = Field(examples=["Scanner porte 3"])


class CheckinDeviceRead(Schema):
    id: uuid.UUID
    checkin_list_id: uuid.UUID
    name: str = Field(examples=["Scanner porte 3"])
    created_at: datetime
    revoked_at: datetime | None = Field(
        default=None, description="Set once revoked: its token is refused from then on."
    )


class CreatedCheckinDevice(CheckinDeviceRead):
    token: str = Field(
        description="The device's secret (header X-Device-Token); shown once.",
        examples=["dev_Jd8xQk2LrV0nZp5TmWc7yHbA"],
    )


class CheckinScanCreate(Schema):
    performance_id: uuid.UUID = Field(description="The performance being controlled.")
    ticket_number: TicketNumber = Field(
        description="As read from the ticket's code (case does not matter).",
        examples=["K7QM3XRP9TWH2NDF"],
    )
    direction: Literal["entry", "exit"] = Field(
        default="entry", description="entry lets the holder in; exit lets them out (re-entry)."
    )


class CheckinScanRead(Schema):
    accepted: bool = Field(description="Whether to let the holder pass.")
    result: ScanResult = Field(description="valid when accepted; otherwise why it is refused.")
    direction: str = Field(description="entry or exit, as scanned.", examples=["entry"])
    ticket_number: str = Field(examples=["K7QM3XRP9TWH2NDF"])
    ticket_id: uuid.UUID | None = Field(
        description="The ticket scanned; null: a pass, or no such ticket."
    )
    pass_id: uuid.UUID | None = Field(
        default=None, description="The sold pass scanned; null: a ticket, or nothing known."
    )
    inside: int = Field(
        description="Tickets and passes inside for this list and performance, after it."
    )


class CheckinCount(Schema):
    checkin_list_id: uuid.UUID
    performance_id: uuid.UUID
    inside: int = Field(description="Tickets and passes inside now.")
    entries: int = Field(description="Accepted entry scans.")
    exits: int = Field(description="Accepted exit scans.")
    admitted: int = Field(
        default=0, description="Tickets and passes let in at least once (inside now or not)."
    )
