"""The platform staff's account routes, found from the app's own route table: every route that
depends on ``platform_staff`` answers 401 to anonymous callers, 403 to an ordinary account (its
own organization's legal representative), 403 to staff calling with a personal access token,
and serves staff in a signed-in session. A staff route added without a rule here fails."""

from collections.abc import Callable
from typing import Any

import httpx
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.accounts.deps import platform_staff
from app.core.db import Database
from app.main import create_app
from tests.factories import personal_access_token, signed_in_user
from tests.organizations.helpers import make_platform_staff


def depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(sub.call is call or depends_on(sub, call) for sub in dependant.dependencies)


def staff_routes() -> list[APIRoute]:
    return [
        route
        for route in create_app().routes
        if isinstance(route, APIRoute) and depends_on(route.dependant, platform_staff)
    ]


def calls(support_code: str) -> dict[str, dict[str, Any]]:
    """A valid request to each staff operation: its path values and body."""
    return {
        "accounts-find_account_by_support_code": {"path": {"support_code": support_code}},
        "accounts-export_newsletter_subscribers": {"path": {"topic": "events"}},
        "accounts-send_newsletter": {
            "json": {
                "topic": "offers",
                "versions": [{"language": "en", "subject": "Offers", "text": "Winter offers."}],
            }
        },
    }


def test_every_staff_route_has_a_probe() -> None:
    names = sorted(str(route.operation_id) for route in staff_routes())
    assert names
    assert names == sorted(calls("0"))


async def test_only_platform_staff_in_a_session_reach_the_staff_routes(
    client: httpx.AsyncClient, db: Database
) -> None:
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    outsider = await signed_in_user(client, db)
    staff_token = await personal_access_token(
        client, staff, "account:read", "account:write", name="staff tool"
    )
    code = (await client.get("/v1/account", headers=staff.headers)).json()["support_code"]
    probes = calls(code)
    wrong = []
    for route in staff_routes():
        operation = str(route.operation_id)
        probe = probes[operation]
        path = route.path.format_map(probe.get("path", {}))
        method = sorted(route.methods)[0]
        body = {"json": probe["json"]} if "json" in probe else {}
        expected = {
            "anonymous": ({}, {401}),
            "ordinary account": (outsider.headers, {403}),
            "staff token": (staff_token, {403}),
        }
        for who, (headers, statuses) in expected.items():
            response = await client.request(method, path, headers=headers, **body)
            if response.status_code not in statuses:
                wrong.append(f"{operation} as {who}: {response.status_code}")
        served = await client.request(method, path, headers=staff.headers, **body)
        if not 200 <= served.status_code < 300:
            wrong.append(f"{operation} as staff: {served.status_code} {served.text[:200]}")
    assert wrong == []
