"""The catalog is public to read and edited by platform staff; tokens need billing scopes."""

import httpx

from app.billing.transfers import parse
from app.core.db import Database
from tests.billing.conftest import customer, make_staff, path


async def test_anyone_reads_the_catalog_with_prices_and_tiers(
    client: httpx.AsyncClient, catalog: None
) -> None:
    response = await client.get("/v1/catalog/plans", params={"product_type": "web_hosting"})
    assert response.status_code == 200, response.text
    [plan] = response.json()["data"]
    prices = {(p["currency"], p["period"]): p["amount_minor"] for p in plan["prices"]}
    assert prices[("CHF", "monthly")] == 992
    assert prices[("EUR", "monthly")] == 575
    assert {"min_quantity": 35, "discount_bp": 2500} in plan["volume_tiers"]
    rates = (await client.get("/v1/catalog/vat-rates", params={"limit": 100})).json()["data"]
    by_country = {rate["country"]: rate["rate_bp"] for rate in rates}
    assert (by_country["CH"], by_country["FR"], by_country["DE"], by_country["IT"]) == (
        810,
        2000,
        1900,
        2200,
    )


async def test_only_staff_edit_the_catalog(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)
    body = {"prices": [{"currency": "CHF", "period": "monthly", "amount_minor": 1200}]}
    refused = await client.patch(
        "/v1/admin/catalog/plans/streaming.basic", json=body, headers=user.headers
    )
    assert refused.status_code == 403
    await make_staff(db, user)
    changed = await client.patch(
        "/v1/admin/catalog/plans/streaming.basic", json=body, headers=user.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["prices"] == [
        {"currency": "CHF", "period": "monthly", "amount_minor": 1200}
    ]
    rate = await client.put(
        "/v1/admin/catalog/vat-rates/ch", json={"rate_bp": 770}, headers=user.headers
    )
    assert rate.json() | {"updated_at": None} == {
        "country": "CH",
        "rate_bp": 770,
        "updated_at": None,
    }


async def test_tokens_need_the_billing_scopes(
    client: httpx.AsyncClient, db: Database, catalog: None
) -> None:
    user = await customer(client, db)

    async def token(*scopes: str) -> dict[str, str]:
        response = await client.post(
            "/v1/account/tokens",
            json={"name": "ci", "scopes": list(scopes)},
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['token']}"}

    reader = await token("billing:read")
    assert (await client.get(path(user, "/invoices"), headers=reader)).status_code == 200
    item = {"plan_code": "domain.ch", "product_name": "x.ch"}
    denied = await client.post(path(user, "/cart/items"), json=item, headers=reader)
    assert denied.status_code == 403
    assert denied.json()["code"] == "insufficient_scope"
    writer = await token("billing:write")
    assert (
        await client.post(path(user, "/cart/items"), json=item, headers=writer)
    ).status_code == 201
    other = await token("account:read")
    assert (await client.get(path(user, "/invoices"), headers=other)).status_code == 403


def test_camt053_statements_are_read_too() -> None:
    document = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<Stmt><Ntry><Amt Ccy="EUR">120.75</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>S-1</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Strd><CdtrRefInf><Ref>RF18 5390 0754 7034</Ref></CdtrRefInf></Strd>
</RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>"""
    [credit] = parse(document)
    assert (credit.amount_minor, credit.currency) == (12075, "EUR")
    assert credit.reference == "RF18539007547034"
    assert credit.entry_reference == "S-1/0"
