"""Request and response models of resellers' quotas and of imported sales."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.core.schemas import Schema


class ResellerQuotaSet(Schema):
    account_id: uuid.UUID = Field(
        description="The reseller: an external member of the organization holding the `sell` "
        "right on the ticket office."
    )
    performance_id: uuid.UUID = Field(description="A performance of one of the office's events.")
    quota: Annotated[int, Field(ge=0, le=1_000_000)] = Field(
        description="The seats it may sell for that performance: at most the performance's "
        "capacity, at least what it already sold. 0 stops its sales."
    )


class ResellerQuotaRead(Schema):
    id: uuid.UUID
    account_id: uuid.UUID = Field(description="The reseller's account.")
    performance_id: uuid.UUID
    quota: int = Field(description="The seats it may sell for the performance.")
    sold: int = Field(description="Its valid tickets for the performance (cancelled excluded).")
    remaining: int = Field(
        description="What it may still sell: its quota less what it sold, and never more than "
        "the performance's free seats."
    )
    created_at: datetime
    updated_at: datetime


class ImportedLine(Schema):
    line: int = Field(description="The line's number in the file (the header is line 1).")
    external_reference: str = Field(
        description="The reference of the sale where it was made.", examples=["RES-2027-00042"]
    )
    order_id: uuid.UUID = Field(description="The order it became.")
    order_number: str = Field(description="That order's number.", examples=["K7QM3XRP9T"])
    tickets: int = Field(description="How many tickets it holds.")


class RefusedLine(Schema):
    line: int = Field(description="The line's number in the file (the header is line 1).")
    reason: str = Field(
        description="Why: missing_field, invalid_quantity, performance_unknown, "
        "price_category_unknown, seat_unknown, seat_taken, seat_required, "
        "seat_not_in_category, not_enough_seats, invalid_email, reference_already_imported, "
        "reference_repeated.",
        examples=["reference_already_imported"],
    )
    detail: str = Field(
        description="The same in words, for a person.",
        examples=["RES-2027-00042 was imported already."],
    )


class ImportReport(Schema):
    import_id: uuid.UUID = Field(description="This import, as named in the activity log.")
    accepted: list[ImportedLine] = Field(description="Every line, imported.")
    tickets: int = Field(description="The tickets imported in all.")
