"""Domains transferred in from another registrar: paid once; a failed transfer is relaunched
without paying again; the domain appears when the transfer completes."""

import httpx
from sqlalchemy import select

from app.billing.models import DomainTransfer, Invoice, Payment
from app.core.db import Database
from tests.billing.conftest import balance, credit_prepaid, customer, make_staff, order, path
from tests.billing.test_renewals import DOMAIN, count
from tests.factories import signed_in_user

TRANSFER = DOMAIN | {"product_name": "theatre-du-lac.ch", "transfer_auth_code": "x7#Kp2!qR9vL"}


async def test_a_failed_domain_transfer_is_relaunched_without_paying_again(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    staff = await signed_in_user(client, db)
    await make_staff(db, staff)
    user = await customer(client, db)
    invoice = (await order(client, user, TRANSFER))["invoice"]
    [line] = invoice["lines"]
    assert (line["kind"], line["net_minor"]) == ("domain_transfer", 1100)
    await credit_prepaid(db, user, invoice["total_minor"])
    paid = await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    assert paid.status_code == 201, paid.text
    [transfer] = (await client.get(path(user, "/domain-transfers"), headers=user.headers)).json()[
        "data"
    ]
    assert (transfer["domain_name"], transfer["status"], transfer["attempts"]) == (
        "theatre-du-lac.ch",
        "pending",
        1,
    )
    # The code is kept encrypted, and no domain product exists before the transfer completes.
    async with db.sessionmaker() as session:
        stored = await session.scalar(select(DomainTransfer.auth_code))
        assert stored is not None
        assert "x7#Kp2" not in stored
    subscriptions = await client.get(path(user, "/subscriptions"), headers=user.headers)
    assert subscriptions.json()["data"] == []

    not_failed = await client.post(
        path(user, f"/domain-transfers/{transfer['id']}/relaunch"), json={}, headers=user.headers
    )
    assert (not_failed.status_code, not_failed.json()["code"]) == (
        409,
        "domain_transfer_not_failed",
    )
    failed = await client.post(
        f"/v1/admin/domain-transfers/{transfer['id']}/outcome",
        json={"succeeded": False, "reason": "Wrong authorization code"},
        headers=staff.headers,
    )
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "failed"

    relaunched = await client.post(
        path(user, f"/domain-transfers/{transfer['id']}/relaunch"),
        json={"auth_code": "N3w-c0de"},
        headers=user.headers,
    )
    assert relaunched.status_code == 200, relaunched.text
    assert (relaunched.json()["status"], relaunched.json()["attempts"]) == ("pending", 2)
    assert relaunched.json()["failure_reason"] is None
    twice = await client.post(
        path(user, f"/domain-transfers/{transfer['id']}/relaunch"), json={}, headers=user.headers
    )
    assert twice.json()["code"] == "domain_transfer_not_failed"
    # Nothing was invoiced or charged again.
    assert await count(db, Invoice, organization_id=user.organization_id) == 1
    assert await count(db, Payment, organization_id=user.organization_id) == 1
    assert await balance(db, user.organization_id) == 0

    completed = await client.post(
        f"/v1/admin/domain-transfers/{transfer['id']}/outcome",
        json={"succeeded": True},
        headers=staff.headers,
    )
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    [domain] = (await client.get(path(user, "/subscriptions"), headers=user.headers)).json()["data"]
    assert domain["product_id"] == completed.json()["product_id"]
    assert domain["status"] == "active"
    assert domain["period"] == "yearly"


async def test_only_one_domain_is_transferred_per_cart_item(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    for item in (
        TRANSFER | {"quantity": 2},
        TRANSFER | {"plan_code": "web_hosting.starter", "period": "monthly"},
    ):
        refused = await client.post(path(user, "/cart/items"), json=item, headers=user.headers)
        assert (refused.status_code, refused.json()["code"]) == (422, "plan_not_orderable")


async def test_another_organizations_transfer_is_not_found(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    invoice = (await order(client, user, TRANSFER))["invoice"]
    await credit_prepaid(db, user, invoice["total_minor"])
    await client.post(
        path(user, f"/invoices/{invoice['id']}/payments"),
        json={"method": "prepaid"},
        headers=user.headers,
    )
    [transfer] = (await client.get(path(user, "/domain-transfers"), headers=user.headers)).json()[
        "data"
    ]
    other = await customer(client, db)
    foreign = await client.post(
        path(other, f"/domain-transfers/{transfer['id']}/relaunch"),
        json={},
        headers=other.headers,
    )
    assert (foreign.status_code, foreign.json()["code"]) == (404, "domain_transfer_not_found")
