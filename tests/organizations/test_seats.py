"""Suite seats: as many as the plan's users, each assigned to a member, who cannot leave the
organization while holding one."""

import httpx
import pytest

from app.core.db import Database
from app.organizations.types import ProductType, Role
from tests.billing.conftest import catalog, customer
from tests.billing.test_renewals import bought
from tests.factories import User, signed_in_user
from tests.organizations.helpers import add_member, add_product, url

pytestmark = pytest.mark.usefixtures(catalog.__name__)

SUITE = {"plan_code": "suite.standard", "period": "yearly", "product_name": "team"}


async def members(client: httpx.AsyncClient, db: Database, owner: User, count: int) -> list[User]:
    added = []
    for _ in range(count):
        user = await signed_in_user(client, db)
        await add_member(db, owner.organization_id, user, Role.collaborator)
        added.append(user)
    return added


async def test_a_suite_has_as_many_seats_as_its_plan_has_users(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await customer(client, db)
    suite = (await bought(client, db, owner, SUITE))["product_id"]
    seats = url(owner.organization_id, f"/products/{suite}/seats")
    people = await members(client, db, owner, 5)
    for user in [owner, *people[:4]]:
        assigned = await client.post(
            seats, json={"account_id": str(user.account_id)}, headers=owner.headers
        )
        assert assigned.status_code == 201, assigned.text
    twice = await client.post(
        seats, json={"account_id": str(owner.account_id)}, headers=owner.headers
    )
    assert twice.json()["code"] == "seat_already_assigned"
    sixth = await client.post(
        seats, json={"account_id": str(people[4].account_id)}, headers=owner.headers
    )
    assert sixth.status_code == 409
    assert sixth.json()["code"] == "no_seat_left"
    listed = await client.get(seats, headers=owner.headers)
    assert len(listed.json()["data"]) == 5
    by_collaborator = await client.post(
        seats, json={"account_id": str(people[4].account_id)}, headers=people[0].headers
    )
    assert by_collaborator.status_code == 403

    drive = await add_product(db, owner.organization_id, ProductType.drive, "Drive")
    no_seats = await client.post(
        url(owner.organization_id, f"/products/{drive.id}/seats"),
        json={"account_id": str(people[4].account_id)},
        headers=owner.headers,
    )
    assert no_seats.json()["code"] == "product_has_no_seats"


async def test_a_member_holding_a_seat_cannot_leave_until_it_is_freed(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await customer(client, db)
    suite = (await bought(client, db, owner, SUITE))["product_id"]
    [member] = await members(client, db, owner, 1)
    seats = url(owner.organization_id, f"/products/{suite}/seats")
    assigned = await client.post(
        seats, json={"account_id": str(member.account_id)}, headers=owner.headers
    )
    assert assigned.status_code == 201, assigned.text
    leaving = await client.post(url(owner.organization_id, "/leave"), headers=member.headers)
    assert leaving.status_code == 409
    assert leaving.json()["code"] == "suite_seat_held"

    freed = await client.delete(f"{seats}/{member.account_id}", headers=owner.headers)
    assert freed.status_code == 204, freed.text
    assert (await client.get(seats, headers=owner.headers)).json()["data"] == []
    left = await client.post(url(owner.organization_id, "/leave"), headers=member.headers)
    assert left.status_code == 204, left.text


async def test_a_suite_plan_never_drops_below_its_assigned_seats(
    client: httpx.AsyncClient, db: Database
) -> None:
    owner = await customer(client, db)
    suite = (await bought(client, db, owner, SUITE | {"plan_code": "suite.business"}))["product_id"]
    seats = url(owner.organization_id, f"/products/{suite}/seats")
    people = await members(client, db, owner, 5)
    for user in [owner, *people]:
        assigned = await client.post(
            seats, json={"account_id": str(user.account_id)}, headers=owner.headers
        )
        assert assigned.status_code == 201, assigned.text
    down = await client.post(
        url(owner.organization_id, f"/subscriptions/{suite}/plan"),
        json={"plan_code": "suite.standard"},
        headers=owner.headers,
    )
    assert down.status_code == 422
    assert down.json()["code"] == "plan_downgrade_not_allowed"
    assert len((await client.get(seats, headers=owner.headers)).json()["data"]) == 6
