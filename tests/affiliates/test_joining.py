"""Joining the programme: a unique, unguessable tag, a payout method (prepaid, PayPal with an
address, bank with a valid IBAN), an account currency; never while a partner."""

import re

import httpx

from app.core.db import Database
from tests.affiliates.conftest import join
from tests.billing.conftest import path
from tests.factories import signed_in_user
from tests.organizations.helpers import make_platform_staff, set_organization


async def test_joining_gives_a_unique_unguessable_tag(
    affiliate_client: httpx.AsyncClient, db: Database
) -> None:
    first = await join(affiliate_client, db)
    second = await join(affiliate_client, db, currency="EUR")
    assert re.fullmatch(r"[a-z0-9]{16}", first.tag)
    assert first.tag != second.tag
    me = await affiliate_client.get(path(first.user, "/affiliate"), headers=first.user.headers)
    assert me.status_code == 200
    assert (
        me.json() | {"tag": first.tag, "currency": "CHF", "payout_method": "prepaid"} == me.json()
    )
    again = await affiliate_client.post(
        path(first.user, "/affiliate"),
        json={"currency": "CHF", "payout_method": "prepaid"},
        headers=first.user.headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "already_affiliate"


async def test_paypal_needs_an_address_and_a_bank_a_valid_iban(
    client: httpx.AsyncClient, db: Database
) -> None:
    user = await signed_in_user(client, db)
    url = path(user, "/affiliate")
    paypal = await client.post(
        url, json={"currency": "EUR", "payout_method": "paypal"}, headers=user.headers
    )
    assert paypal.status_code == 422
    assert paypal.json()["code"] == "payout_destination_missing"
    bad = await client.post(
        url,
        json={
            "currency": "CHF",
            "payout_method": "bank_transfer",
            "iban": "CH93 0076 2011 6238 5295 8",
        },
        headers=user.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_iban"
    good = await client.post(
        url,
        json={
            "currency": "CHF",
            "payout_method": "bank_transfer",
            "iban": "ch93 0076 2011 6238 5295 7",
        },
        headers=user.headers,
    )
    assert good.status_code == 201, good.text
    assert good.json()["iban"] == "CH9300762011623852957"
    changed = await client.put(
        url + "/payout-preferences",
        json={"payout_method": "paypal", "paypal_email": "ada@example.org"},
        headers=user.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["paypal_email"] == "ada@example.org"
    assert changed.json()["iban"] is None


async def test_a_partner_cannot_join_and_an_affiliate_cannot_become_a_partner(
    client: httpx.AsyncClient, db: Database
) -> None:
    partner = await signed_in_user(client, db)
    await set_organization(db, partner.organization_id, is_partner=True)
    refused = await client.post(
        path(partner, "/affiliate"),
        json={"currency": "CHF", "payout_method": "prepaid"},
        headers=partner.headers,
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "affiliate_partner_conflict"

    affiliate = await join(client, db)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    flagged = await client.get(
        f"/v1/platform/organizations/{affiliate.user.organization_id}", headers=staff.headers
    )
    assert flagged.json()["is_affiliate"] is True
    conflict = await client.patch(
        f"/v1/platform/organizations/{affiliate.user.organization_id}",
        json={"is_partner": True},
        headers=staff.headers,
    )
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "affiliate_partner_conflict"
