"""Support: the VIP code of premium support, and time-boxed access for platform support staff."""

from datetime import UTC, datetime, timedelta

import httpx
import time_machine

from app.core import clock
from app.core.db import Database
from tests.factories import User, log_in, signed_in_user
from tests.organizations.helpers import (
    add_product,
    make_platform_staff,
    organization_with_roles,
    set_organization,
    url,
)


async def fresh_headers(client: httpx.AsyncClient, user: User) -> dict[str, str]:
    response = await log_in(client, user.email)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['tokens']['access_token']}"}


async def test_premium_support_gives_a_vip_code_that_staff_look_up(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    before = await client.get(url(roster.organization_id, "/support"), headers=roster.admin.headers)
    assert before.json()["vip_code"] is None
    await client.patch(
        f"/v1/platform/organizations/{roster.organization_id}",
        json={"premium_support": True},
        headers=staff.headers,
    )
    info = await client.get(url(roster.organization_id, "/support"), headers=roster.admin.headers)
    code = info.json()["vip_code"]
    assert code
    assert code.isdigit()
    found = await client.get(
        "/v1/platform/organizations", params={"vip_code": code}, headers=staff.headers
    )
    assert found.json() == {
        "data": [
            {
                "id": str(roster.organization_id),
                "name": found.json()["data"][0]["name"],
                "is_partner": False,
                "is_affiliate": False,
                "premium_support": True,
                "vip_code": code,
                "created_at": found.json()["data"][0]["created_at"],
            }
        ],
        "next_cursor": None,
        "has_more": False,
    }
    unknown = await client.get(
        "/v1/platform/organizations", params={"vip_code": "0000000000"}, headers=staff.headers
    )
    assert unknown.json()["data"] == []
    assert (
        await client.get(
            "/v1/platform/organizations", params={"vip_code": code}, headers=roster.admin.headers
        )
    ).status_code == 403
    assert (
        await client.get(
            url(roster.organization_id, "/support"), headers=roster.collaborator.headers
        )
    ).status_code == 403


async def test_platform_staff_page_through_every_organization_newest_first(
    client: httpx.AsyncClient, db: Database
) -> None:
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    users = [await signed_in_user(client, db) for _ in range(3)]
    # Later than anything else in the database, so that these three open the list.
    future = datetime(2100, 1, 1, tzinfo=UTC)
    for offset, user in enumerate(users):
        await set_organization(
            db, user.organization_id, created_at=future + timedelta(seconds=offset)
        )

    first = await client.get(
        "/v1/platform/organizations", params={"limit": 2}, headers=staff.headers
    )
    assert first.status_code == 200, first.text
    assert [o["id"] for o in first.json()["data"]] == [
        str(users[2].organization_id),
        str(users[1].organization_id),
    ]
    assert first.json()["has_more"] is True
    second = await client.get(
        "/v1/platform/organizations",
        params={"limit": 2, "cursor": first.json()["next_cursor"]},
        headers=staff.headers,
    )
    assert second.json()["data"][0]["id"] == str(users[0].organization_id)
    bad = await client.get(
        "/v1/platform/organizations", params={"cursor": "nope"}, headers=staff.headers
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_cursor"


async def test_support_staff_reach_the_products_until_the_access_expires(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    product = await add_product(db, roster.organization_id)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    products = url(roster.organization_id, "/products")
    assert (await client.get(products, headers=staff.headers)).status_code == 404
    granted = await client.post(
        url(roster.organization_id, "/support-access"),
        json={"hours": 2, "reason": "Ticket 4711"},
        headers=roster.admin.headers,
    )
    assert granted.status_code == 201, granted.text
    assert granted.json()["active"] is True
    listed = await client.get(products, headers=staff.headers)
    assert [p["id"] for p in listed.json()["data"]] == [str(product.id)]
    # Support staff reach products, not the organization's members.
    assert (
        await client.get(url(roster.organization_id, "/members"), headers=staff.headers)
    ).status_code == 403
    # Accounts that are not platform staff never get in this way.
    assert (await client.get(products, headers=roster.outsider.headers)).status_code == 404

    with time_machine.travel(clock.now() + timedelta(hours=2, minutes=1), tick=False):
        headers = await fresh_headers(client, staff)
        assert (await client.get(products, headers=headers)).status_code == 404


async def test_revoking_support_access_ends_it_at_once(
    client: httpx.AsyncClient, db: Database
) -> None:
    roster = await organization_with_roles(client, db)
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    granted = await client.post(
        url(roster.organization_id, "/support-access"),
        json={"hours": 24},
        headers=roster.legal.headers,
    )
    products = url(roster.organization_id, "/products")
    assert (await client.get(products, headers=staff.headers)).status_code == 200
    revoked = await client.post(
        url(roster.organization_id, f"/support-access/{granted.json()['id']}/revoke"),
        headers=roster.admin.headers,
    )
    assert revoked.json()["active"] is False
    assert (await client.get(products, headers=staff.headers)).status_code == 404
    log = await client.get(
        url(roster.organization_id, "/activity"),
        params={"action": "support_access."},
        headers=roster.legal.headers,
    )
    assert [e["action"] for e in log.json()["data"]] == [
        "support_access.revoked",
        "support_access.granted",
    ]
