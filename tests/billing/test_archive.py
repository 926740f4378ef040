"""A deleted organization's invoices stay downloadable by its former legal representatives for the
legal retention period (10 years), and by no one else."""

from datetime import timedelta

import httpx
import time_machine

from app.core import clock
from app.core.db import Database
from tests.billing.conftest import customer, order, path
from tests.factories import PASSWORD, log_in
from tests.qr import text_of

DOMAIN = {"plan_code": "domain.ch", "period": "yearly", "product_name": "example.ch"}


async def test_former_legal_representatives_keep_a_deleted_organizations_invoices_10_years(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        legal = await customer(client, db)
        other = await customer(client, db)
        placed = await order(client, legal, DOMAIN)
        invoice = placed["invoice"]
        cancelled = await client.post(
            path(legal, f"/orders/{placed['id']}/cancel"), headers=legal.headers
        )
        assert cancelled.status_code == 200, cancelled.text
        deleted = await client.post(
            f"/v1/organizations/{legal.organization_id}/deletion",
            json={"password": PASSWORD},
            headers=legal.headers,
        )
        assert deleted.status_code == 204, deleted.text

        listed = await client.get("/v1/account/archived-invoices", headers=legal.headers)
        assert listed.status_code == 200, listed.text
        assert [row["number"] for row in listed.json()["data"]] == [invoice["number"]]
        pdf = await client.get(
            f"/v1/account/archived-invoices/{invoice['id']}/pdf", headers=legal.headers
        )
        assert pdf.status_code == 200, pdf.text
        assert f"Invoice {invoice['number']}" in text_of(pdf.content)
        stranger = await client.get(
            f"/v1/account/archived-invoices/{invoice['id']}/pdf", headers=other.headers
        )
        assert stranger.status_code == 404

        traveller.move_to(start + timedelta(days=365 * 10 - 5))
        headers = await fresh(client, legal.email)
        still = await client.get("/v1/account/archived-invoices", headers=headers)
        assert len(still.json()["data"]) == 1
        traveller.move_to(start + timedelta(days=365 * 10 + 5))
        headers = await fresh(client, legal.email)
        gone = await client.get(
            f"/v1/account/archived-invoices/{invoice['id']}/pdf", headers=headers
        )
        assert gone.status_code == 404


async def fresh(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    tokens = (await log_in(client, email)).json()["tokens"]
    return {"Authorization": f"Bearer {tokens['access_token']}"}
