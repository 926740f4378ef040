"""Support code: platform staff find the account whose code a caller reads out to them, and the
lookup shows in that account's activity log with the staff member as actor."""

import httpx

from app.core.db import Database
from tests.factories import signed_in_user
from tests.organizations.helpers import make_platform_staff


async def test_staff_find_an_account_by_its_support_code_and_the_lookup_is_logged(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await signed_in_user(client, db)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    code = (await client.get("/v1/account", headers=owner.headers)).json()["support_code"]

    found = await client.get(f"/v1/platform/accounts/by-support-code/{code}", headers=staff.headers)

    assert found.status_code == 200, found.text
    body = found.json()
    assert (body["id"], body["email"], body["support_code"]) == (
        str(owner.account_id),
        owner.email,
        code,
    )
    log = await client.get(
        "/v1/account/activity",
        params={"action": "account.found_by_support_code"},
        headers=owner.headers,
    )
    [entry] = log.json()["data"]
    assert entry["actor_account_id"] == str(staff.account_id)
    assert entry["details"] == {"support_code": code, "via": "support"}


async def test_an_unknown_support_code_is_not_found_and_others_cannot_look(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await signed_in_user(client, db)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    code = (await client.get("/v1/account", headers=owner.headers)).json()["support_code"]
    unknown = "9" * 12 if code != "9" * 12 else "8" * 12

    missing = await client.get(
        f"/v1/platform/accounts/by-support-code/{unknown}", headers=staff.headers
    )
    assert (missing.status_code, missing.json()["code"]) == (404, "account_not_found")
    refused = await client.get(
        f"/v1/platform/accounts/by-support-code/{code}", headers=owner.headers
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "platform_staff_only")
    log = await client.get(
        "/v1/account/activity",
        params={"action": "account.found_by_support_code"},
        headers=owner.headers,
    )
    assert log.json()["data"] == []
