"""Request and response shapes of the sales tools: promotions, gift cards, seat plans."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from app.core.money import BASIS
from app.core.schemas import Schema
from app.ticketing.models import (
    DiscountKind,
    GiftCardEntryKind,
    PaymentMethod,
    QuestionKind,
    ScanResult,
)
from app.ticketing.schemas import EventRead, Name

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{3,40}$")]
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
    prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9]{0,10}$")] = ""


class PromotionCreate(PromotionCodesCreate):
    name: Name
    automatic: bool = Field(
        default=False, description="Applied without a code to every order it covers."
    )
    kind: DiscountKind
    amount: Annotated[int, Field(ge=1, le=100_000_000)] = Field(
        description="Percent: basis points (1500 = 15 %). Fixed: minor units off each ticket."
    )
    event_id: uuid.UUID | None = None
    performance_id: uuid.UUID | None = Field(default=None, description="Needs event_id.")
    price_category_id: uuid.UUID | None = Field(default=None, description="Needs event_id.")
    valid_from: datetime | None = None
    valid_until: datetime | None = None
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
    name: str
    automatic: bool
    kind: DiscountKind
    amount: int
    event_id: uuid.UUID | None
    performance_id: uuid.UUID | None
    price_category_id: uuid.UUID | None
    valid_from: datetime | None
    valid_until: datetime | None
    min_quantity: int
    max_uses: int | None
    uses: int = Field(description="Orders served: an automatic promotion's, or all its codes'.")
    codes: int = Field(description="How many codes the promotion has.")
    active: bool
    created_at: datetime


class PromotionUpdate(Schema):
    active: bool | None = None
    valid_until: datetime | None = None


class PromotionCodeRead(Schema):
    code: str
    max_uses: int | None
    uses: int


# --- Gift cards ---


class GiftCardCreate(Schema):
    amount_minor: Annotated[int, Field(ge=1, le=100_000_000)]
    expires_at: datetime | None = None
    note: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _aware_expiry(self) -> "GiftCardCreate":
        _aware(self.expires_at)
        return self


class GiftCardEntryRead(Schema):
    kind: GiftCardEntryKind
    amount_minor: int
    balance_after_minor: int
    order_id: uuid.UUID | None
    created_at: datetime


class GiftCardRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    code: str
    currency: str
    initial_minor: int
    balance_minor: int
    expires_at: datetime | None
    note: str | None
    created_at: datetime


class GiftCardDetail(GiftCardRead):
    entries: list[GiftCardEntryRead]


class GiftCardBalance(Schema):
    currency: str
    balance_minor: int
    expires_at: datetime | None


# --- Seat plans ---


class SeatRowCreate(Schema):
    section: Annotated[str, Field(min_length=1, max_length=100)]
    row: Label
    seats: Annotated[int, Field(ge=1, le=500)] = Field(description="Seats numbered from first.")
    first: Annotated[int, Field(ge=1, le=10_000)] = 1
    price_category_id: uuid.UUID


class SeatPlanCreate(Schema):
    rows: list[SeatRowCreate] = Field(
        min_length=1, max_length=1000, description="Best rows first: best-available follows this."
    )


class SeatRead(Schema):
    id: uuid.UUID
    section: str
    row: str
    number: str
    price_category_id: uuid.UUID
    available: bool


class SeatPlanRead(Schema):
    performance_id: uuid.UUID
    capacity: int
    available: int
    seats: list[SeatRead]


# --- Customer forms ---


class QuestionCreate(Schema):
    label: Annotated[str, Field(min_length=1, max_length=300)]
    kind: QuestionKind
    required: bool = False
    per_ticket: bool = Field(default=False, description="Asked for each ticket, not once.")
    choices: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=50, description="The options of a choice question."
    )


class QuestionRead(Schema):
    id: uuid.UUID
    label: str
    kind: QuestionKind
    required: bool
    per_ticket: bool
    choices: list[str]


# --- Online shops ---

OnlineMethod = Annotated[PaymentMethod, Field(description="card or invoice")]


class OnlineShopCreate(Schema):
    name: Name
    event_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)
    payment_methods: list[OnlineMethod] = Field(min_length=1, max_length=2)
    invoice_until_days_before: Annotated[int, Field(ge=0, le=365)] | None = Field(
        default=None,
        description='"On invoice" offered only until this many days before the performance.',
    )
    look: dict[str, Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=20, description="Colours, logo address, texts…"
    )


class OnlineShopUpdate(Schema):
    name: Name | None = None
    event_ids: list[uuid.UUID] | None = Field(default=None, max_length=500)
    payment_methods: list[OnlineMethod] | None = Field(default=None, min_length=1, max_length=2)
    invoice_until_days_before: Annotated[int, Field(ge=0, le=365)] | None = None
    look: dict[str, Annotated[str, Field(max_length=500)]] | None = Field(
        default=None, max_length=20
    )


class OnlineShopRead(Schema):
    id: uuid.UUID
    ticket_office_id: uuid.UUID
    name: str
    event_ids: list[uuid.UUID]
    payment_methods: list[PaymentMethod]
    invoice_until_days_before: int | None
    look: dict[str, str]
    created_at: datetime


class OnlineShopFront(Schema):
    """A shop as its customers see it: its look and the published events on sale."""

    id: uuid.UUID
    name: str
    look: dict[str, str]
    payment_methods: list[PaymentMethod]
    invoice_until_days_before: int | None
    events: list[EventRead]


# --- Check-in lists ---


class CheckinListCreate(Schema):
    name: Name
    price_category_ids: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="Admitted categories; empty: all."
    )


class CheckinListRead(Schema):
    id: uuid.UUID
    event_id: uuid.UUID
    name: str
    price_category_ids: list[uuid.UUID]
    created_at: datetime


class CheckinDeviceCreate(Schema):
    name: Name


class CheckinDeviceRead(Schema):
    id: uuid.UUID
    checkin_list_id: uuid.UUID
    name: str
    created_at: datetime
    revoked_at: datetime | None = Field(
        default=None, description="Set once revoked: its token is refused from then on."
    )


class CreatedCheckinDevice(CheckinDeviceRead):
    token: str = Field(description="The device's secret (header X-Device-Token); shown once.")


class CheckinScanCreate(Schema):
    performance_id: uuid.UUID
    ticket_number: Annotated[str, Field(min_length=1, max_length=64)]
    direction: Literal["entry", "exit"] = "entry"


class CheckinScanRead(Schema):
    accepted: bool
    result: ScanResult
    direction: str
    ticket_number: str
    ticket_id: uuid.UUID | None
    inside: int = Field(description="Tickets inside for this list and performance, after it.")


class CheckinCount(Schema):
    checkin_list_id: uuid.UUID
    performance_id: uuid.UUID
    inside: int
    entries: int
    exits: int
