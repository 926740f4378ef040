"""A mail's context goes through JSON and comes back as rendering needs it."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import IntEnum, StrEnum

import pytest

from app.notifications import context
from app.notifications.rendering import render
from tests.notifications.samples import sample_context


class Colour(StrEnum):
    red = "red"


class Level(IntEnum):
    high = 3


def _through_json(values: dict[str, object]) -> dict[str, object]:
    return context.load(json.loads(json.dumps(context.dump(values))))


def test_every_kind_of_value_comes_back_with_its_type() -> None:
    values: dict[str, object] = {
        "text": "Zoë <b>",
        "count": 10**20,
        "flag": True,
        "nothing": None,
        "at": datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        "naive": datetime(2026, 3, 1, 9, 30),  # noqa: DTZ001 - a naive one stays naive
        "day": date(2026, 3, 1),
        "amount": Decimal("1234.50"),
        "ratio": 1e300,
        "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "items": ["a", 2, date(2026, 1, 2)],
        "pair": ("a", Decimal("1.5")),
    }
    back = _through_json(values)
    assert back == {**values, "pair": ["a", Decimal("1.5")]}
    assert {name: type(value) for name, value in back.items() if name != "pair"} == {
        name: type(value) for name, value in values.items() if name != "pair"
    }
    assert str(back["amount"]) == "1234.50"


def test_enums_are_stored_as_the_value_a_template_prints() -> None:
    back = _through_json({"colour": Colour.red, "level": Level.high})
    assert back == {"colour": "red", "level": 3}
    assert (type(back["colour"]), type(back["level"])) == (str, int)


@pytest.mark.parametrize("value", [object(), {"a": 1}, b"bytes", {1, 2}])
def test_other_values_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match=r"'x' of type .* cannot be stored"):
        context.dump({"x": value})


@pytest.mark.parametrize("language", ["fr", "en", "de", "it", "es"])
def test_a_stored_context_renders_the_same_mail(language: str) -> None:
    values = sample_context(
        "partner_invoice_reminder",
        days_late=1234,
        due_date=date(2026, 12, 31),
        interest=Decimal("12.5"),
        indemnity=1.25,
        invoice_number=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        total=datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    )
    url = "https://manager.example.test"
    assert render("partner_invoice_reminder", language, _through_json(values), public_url=url) == (
        render("partner_invoice_reminder", language, values, public_url=url)
    )
