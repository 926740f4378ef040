"""A schema built without validation from database values is the validated one, and writes the
same JSON."""

import uuid
import warnings
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from app.core.schemas import Schema
from app.ticketing import trusted
from app.ticketing.schemas import TicketOrderRead, TicketRead

AT = datetime(2027, 1, 4, 9, 0, 12, 345678, tzinfo=UTC)


def ticket_values(**changes: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "number": "K7QM3XRP9TWH2NDF",
        "performance_id": uuid.uuid4(),
        "price_category_id": uuid.uuid4(),
        "price_minor": 5000,
        "commission_minor": 150,
        "currency": "CHF",  # as the rows give enums: plain strings
        "status": "cancelled",
        "checked_in_at": None,
        "discount_minor": 0,
        "seat_label": "Parterre, rang C, place 12",
    } | changes


def order_values(tickets: list[Any]) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "number": "7KQ2M9XH4P",
        "ticket_office_id": uuid.uuid4(),
        "event_id": uuid.uuid4(),
        "channel": "online",
        "status": "pending_payment",
        "payment_method": "invoice",
        "customer_name": "Jeanne Dupont",
        "customer_email": "jeanne@example.ch",
        "customer_language": "fr",
        "currency": "EUR",
        "tickets_total_minor": 10000,
        "insurance_fee_minor": 0,
        "total_minor": 10000,
        "discount_minor": 0,
        "promotion_code": None,
        "gift_card_minor": 0,
        "answers": [],
        "shop_id": None,
        "created_at": AT,
        "paid_at": None,
        "cancelled_at": None,
        "payment_due_at": AT,
        "next_reminder_at": None,
        "auto_cancel_at": AT,
        "reminders_sent": 2,
        "invoice": None,
        "tickets": tickets,
        "insurance": None,
    }


def test_an_order_built_from_rows_is_the_validated_order() -> None:
    ticket = ticket_values()
    order = order_values([])
    validated = TicketOrderRead.model_validate(order | {"tickets": [dict(ticket)]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no serialization warning: every enum is an enum
        built = trusted.constructed(
            TicketOrderRead,
            order | {"tickets": [trusted.constructed(TicketRead, dict(ticket))]},
        )
        json = built.model_dump_json()
    assert built == validated
    assert built.model_fields_set == validated.model_fields_set
    assert json == validated.model_dump_json()
    assert built.model_dump(mode="json") == validated.model_dump(mode="json")


class Aliased(Schema):
    kind: str = Field(alias="type")
    note: str = "none"


def test_a_schema_with_aliases_or_defaults_is_built_the_documented_way() -> None:
    built = trusted.constructed(Aliased, {"type": "x"})
    assert built == Aliased.model_validate({"type": "x"})
    assert built.model_fields_set == {"kind"}
