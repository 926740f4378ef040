"""Bad input is a 422 naming the field, never a 500: nulls where a field cannot be null, JSON
values of the wrong type, invalid IBANs; and the database's not-null violation is a 4xx too."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from app.core.db import Database, Session
from app.core.settings import Settings
from app.main import create_app
from tests.billing.conftest import catalog, credit_prepaid, customer, path
from tests.factories import signed_in_user
from tests.ticketing.helpers import open_shop

__all__ = ["catalog"]


def _field_error(response: httpx.Response, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    (error,) = [error for error in body["errors"] if error["loc"][-1] == field]
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "field", ["first_name", "last_name", "language", "time_zone", "newsletter_topics"]
)
async def test_a_null_profile_field_is_a_422(
    client: httpx.AsyncClient, db: Database, field: str
) -> None:
    user = await signed_in_user(client, db)
    response = await client.patch("/v1/account", json={field: None}, headers=user.headers)
    assert _field_error(response, field)["type"] == "null_not_allowed"


async def test_null_still_clears_the_fields_that_may_be_null(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    response = await client.patch("/v1/account", json={"phone": None}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["phone"] is None


async def test_a_null_event_name_is_a_422(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    response = await client.patch(
        f"{shop.office_path}/events/{shop.event_id}",
        json={"name": None},
        headers=shop.organizer.headers,
    )
    assert _field_error(response, "name")["type"] == "null_not_allowed"
    described = await client.patch(
        f"{shop.office_path}/events/{shop.event_id}",
        json={"description": None},
        headers=shop.organizer.headers,
    )
    assert described.status_code == 200, described.text


def test_the_schema_says_which_fields_may_be_null(app: FastAPI) -> None:
    schemas = app.openapi()["components"]["schemas"]

    def nullable(schema: str, field: str) -> bool:
        spec = schemas[schema]["properties"][field]
        return any(kind.get("type") == "null" for kind in spec.get("anyOf", ()))

    assert not nullable("ProfileUpdate", "language")
    assert "default" not in schemas["ProfileUpdate"]["properties"]["language"]
    assert nullable("ProfileUpdate", "phone")
    assert not nullable("EventUpdate", "name")
    assert nullable("EventUpdate", "description")
    assert not nullable("OrganizationUpdate", "name")
    assert not nullable("WebhookSubscriptionUpdate", "active")


@pytest.mark.parametrize("amount", ['"10.00"', "true", "1e3", "1000.0"])
async def test_an_amount_of_the_wrong_json_type_is_a_422(
    client: httpx.AsyncClient, db: Database, catalog: None, amount: str
) -> None:
    user = await customer(client, db)
    response = await client.post(
        path(user, "/prepaid/CHF/top-ups"),
        content=f'{{"amount_minor": {amount}}}',
        headers=user.headers | {"Content-Type": "application/json"},
    )
    assert _field_error(response, "amount_minor")["type"] == "int_type"


@pytest.mark.parametrize("value", [0, 1, "true"])
async def test_a_boolean_of_the_wrong_json_type_is_a_422(
    client: httpx.AsyncClient, db: Database, value: object
) -> None:
    user = await signed_in_user(client, db)
    response = await client.put(
        f"/v1/organizations/{user.organization_id}/two-factor-requirement",
        json={"required": value},
        headers=user.headers,
    )
    assert _field_error(response, "required")["type"] == "bool_type"


async def test_a_count_of_the_wrong_json_type_is_a_422_even_nested(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    for settings in (
        {"invoice_reminder_count": "2"},
        {"commission_basis_points": {"card": True}},
    ):
        response = await client.patch(
            shop.office_path, json=settings, headers=shop.organizer.headers
        )
        field = next(iter(settings))
        assert _field_error(response, field)["type"] == "int_type"


async def test_a_withdrawal_to_an_invalid_iban_is_refused(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    await credit_prepaid(db, user, 5000)
    for iban in ("CH0000000000000000000", "DE00370400440532013000", "CH93007620116238529"):
        response = await client.post(
            path(user, "/prepaid/CHF/withdrawals"),
            json={"iban": iban, "account_holder": "Ada Lovelace"},
            headers=user.headers,
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] in ("invalid_iban", "validation_error")
    refused = await client.post(
        path(user, "/prepaid/CHF/withdrawals"),
        json={"iban": "CH0000000000000000000", "account_holder": "Ada Lovelace"},
        headers=user.headers,
    )
    assert refused.json()["code"] == "invalid_iban"
    accepted = await client.post(
        path(user, "/prepaid/CHF/withdrawals"),
        json={"iban": "ch93 0076 2011 6238 5295 7", "account_holder": "Ada Lovelace"},
        headers=user.headers,
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["iban"] == "CH9300762011623852957"


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    app = create_app(settings, database=db)

    @app.post("/v1/not-null", operation_id="test-not-null")
    async def not_null(session: Session) -> None:
        await session.execute(text("CREATE TEMP TABLE must_hold (value int NOT NULL)"))
        await session.execute(text("INSERT INTO must_hold VALUES (NULL)"))

    return app


async def test_a_not_null_violation_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/not-null")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "value_required"
