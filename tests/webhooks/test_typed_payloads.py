"""The document types every event: a ``webhooks`` entry per type, a typed polling feed, and the
payloads really served validate against the schema the document gives their type."""

import httpx

from app.core.db import Database
from app.events.catalog import EVENT_TYPES
from app.main import create_app
from app.webhook_payloads import PAYLOADS, envelope_name
from tests.ticketing.helpers import buy, open_shop


def test_every_event_type_has_a_typed_webhook_in_the_document() -> None:
    document = create_app().openapi()
    assert set(PAYLOADS) == set(EVENT_TYPES)
    assert set(document["webhooks"]) == set(EVENT_TYPES)
    schemas = document["components"]["schemas"]
    for event_type, model in PAYLOADS.items():
        body = document["webhooks"][event_type]["post"]["requestBody"]["content"]
        ref = body["application/json"]["schema"]["$ref"]
        envelope = schemas[ref.rsplit("/", 1)[1]]
        assert envelope["properties"]["type"]["enum"] == [event_type]
        assert envelope["properties"]["data"]["$ref"].endswith("/" + model.__name__)
    feed = document["paths"]["/v1/organizations/{organization_id}/events"]["get"]
    page = feed["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    items = schemas[page.rsplit("/", 1)[1]]["properties"]["data"]["items"]
    assert items == {"$ref": "#/components/schemas/TypedWebhookEvent"}


async def test_served_event_payloads_match_their_documented_schema(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await buy(client, shop, method="invoice")
    cancel = f"{shop.office_path}/orders/{order['id']}/cancel"
    cancelled = await client.post(
        cancel, json={"refund_method": "none", "reason": "test"}, headers=shop.organizer.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    await buy(client, shop, method="card")

    feed = await client.get(
        f"/v1/organizations/{shop.organizer.organization_id}/events?limit=100",
        headers=shop.organizer.headers,
    )
    events = feed.json()["data"]
    schemas = create_app().openapi()["components"]["schemas"]
    seen = set()
    for event in events:
        envelope = schemas[envelope_name(event["type"])]
        assert set(envelope["required"]) <= set(event)
        # The document's payload schema is this model's: the payload must be a valid one.
        model = PAYLOADS[event["type"]]
        assert envelope["properties"]["data"]["$ref"].endswith("/" + model.__name__)
        assert model.model_validate(event["data"]).model_dump(mode="json") == event["data"]
        seen.add(event["type"])
    assert {"order.created", "order.cancelled", "order.paid"} <= seen


async def test_an_unknown_type_filter_on_the_feed_is_refused_as_when_subscribing(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    response = await client.get(
        f"/v1/organizations/{shop.organizer.organization_id}/events?type=order.teleported",
        headers=shop.organizer.headers,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_event_type_pattern"
