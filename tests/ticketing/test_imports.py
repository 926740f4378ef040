"""Tickets sold elsewhere, imported from a CSV file: checked line by line, all or nothing, each
seat taken once, each external reference imported once."""

import httpx

from app.core.db import Database
from tests.ticketing.helpers import Shop, open_shop, sell
from tests.ticketing.test_seat_plans import row, set_plan

HEADER = (
    "performance_id,price_category,quantity,section,row,seat,"
    "customer_name,customer_email,external_reference\n"
)


def line(
    shop: Shop,
    reference: str,
    *,
    quantity: str = "1",
    performance: int = 0,
    category: str | None = None,
    seat: tuple[str, str, str] = ("", "", ""),
    email: str = "paul@example.ch",
) -> str:
    chosen = category if category is not None else shop.category_ids[0]
    return (
        f"{shop.performance_ids[performance]},{chosen},{quantity},{','.join(seat)},"
        f"Paul Rochat,{email},{reference}\n"
    )


async def upload(client: httpx.AsyncClient, shop: Shop, text: str) -> httpx.Response:
    return await client.post(
        f"{shop.office_path}/imports",
        files={"file": ("ventes.csv", text.encode(), "text/csv")},
        headers=shop.organizer.headers,
    )


async def sold(client: httpx.AsyncClient, shop: Shop) -> list[int]:
    event = await client.get(
        f"{shop.office_path}/events/{shop.event_id}", headers=shop.organizer.headers
    )
    return [performance["sold"] for performance in event.json()["performances"]]


async def test_an_import_turns_each_line_into_a_paid_reseller_order(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=50)
    text = HEADER + line(shop, "RES-1", quantity="3") + line(shop, "RES-2", category="zone 2")
    imported = await upload(client, shop, text)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert [(a["line"], a["external_reference"], a["tickets"]) for a in report["accepted"]] == [
        (2, "RES-1", 3),
        (3, "RES-2", 1),
    ]
    assert report["tickets"] == 4
    assert await sold(client, shop) == [4, 0]
    order = await client.get(
        f"{shop.office_path}/orders/{report['accepted'][1]['order_id']}",
        headers=shop.organizer.headers,
    )
    body = order.json()
    assert (body["status"], body["channel"], body["payment_method"]) == (
        "paid",
        "reseller",
        "external",
    )
    assert body["total_minor"] == 3000  # Zone 2's price, found by its name
    assert len(body["tickets"]) == 1


async def test_a_file_with_a_refused_line_imports_nothing_and_reports_each_line(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, capacity=5)
    first = await upload(client, shop, HEADER + line(shop, "RES-1"))
    assert first.status_code == 201, first.text
    text = (
        HEADER
        + line(shop, "RES-2", quantity="2")  # 2: fine
        + line(shop, "RES-1")  # 3: imported before
        + line(shop, "RES-2")  # 4: repeated in the file
        + line(shop, "RES-3", category="Balcon")  # 5: no such category
        + line(shop, "RES-4", email="pas-une-adresse")  # 6
        + line(shop, "RES-5", quantity="0")  # 7
        + line(shop, "RES-6", quantity="3")  # 8: 1 + 2 sold, 3 more than the 5 seats
        + line(shop, "RES-7", seat=("Parterre", "A", "1"))  # 9: no seat plan
        + "not-a-uuid,Zone 1,1,,,,Paul,paul@example.ch,RES-8\n"  # 10
        + f"{shop.performance_ids[0]},Zone 1,1,,,,,paul@example.ch,RES-9\n"  # 11: no name
    )
    refused = await upload(client, shop, text)
    assert (refused.status_code, refused.json()["code"]) == (422, "import_refused")
    problem = refused.json()
    assert problem["accepted"] == [2]
    assert [(r["line"], r["reason"]) for r in problem["refused"]] == [
        (3, "reference_already_imported"),
        (4, "reference_repeated"),
        (5, "price_category_unknown"),
        (6, "invalid_email"),
        (7, "invalid_quantity"),
        (8, "not_enough_seats"),
        (9, "seat_unknown"),
        (10, "performance_unknown"),
        (11, "missing_field"),
    ]
    assert await sold(client, shop) == [1, 0]  # nothing of the second file

    again = await upload(client, shop, HEADER + line(shop, "RES-1"))
    assert again.json()["refused"][0]["reason"] == "reference_already_imported"


async def test_seats_of_a_plan_are_imported_once(client: httpx.AsyncClient, db: Database) -> None:
    shop = await open_shop(client, db)
    planned = await set_plan(client, shop, [row(shop, "A", 4), row(shop, "B", 2, category=1)])
    assert planned.status_code == 200, planned.text
    await sell(client, shop, quantity=1, method="card")  # takes the best seat: A 2 or A 3
    plan = await client.get(
        f"{shop.office_path}/events/{shop.event_id}/performances/{shop.performance_ids[0]}"
        "/seat-plan",
        headers=shop.organizer.headers,
    )
    taken = next(seat for seat in plan.json()["seats"] if not seat["available"])
    text = (
        HEADER
        + line(shop, "RES-1", seat=("Parterre", "A", "1"))
        + line(shop, "RES-2", seat=("parterre", "a", "1"))  # the same seat, any case
        + line(shop, "RES-3", seat=("Parterre", "A", taken["number"]))
        + line(shop, "RES-4", seat=("Parterre", "B", "1"))  # a seat of Zone 2
        + line(shop, "RES-5", seat=("Parterre", "Z", "1"))
        + line(shop, "RES-6")  # no seat given
    )
    refused = await upload(client, shop, text)
    assert [(r["line"], r["reason"]) for r in refused.json()["refused"]] == [
        (3, "seat_taken"),
        (4, "seat_taken"),
        (5, "seat_not_in_category"),
        (6, "seat_unknown"),
        (7, "seat_required"),
    ]
    imported = await upload(client, shop, HEADER + line(shop, "RES-1", seat=("Parterre", "A", "1")))
    assert imported.status_code == 201, imported.text
    twice = await upload(client, shop, HEADER + line(shop, "RES-9", seat=("Parterre", "A", "1")))
    assert twice.json()["refused"][0]["reason"] == "seat_taken"
    order = await client.get(
        f"{shop.office_path}/orders/{imported.json()['accepted'][0]['order_id']}",
        headers=shop.organizer.headers,
    )
    assert order.json()["tickets"][0]["seat_label"] == "Parterre - Row A - Seat 1"
    assert await sold(client, shop) == [2, 0]


async def test_a_file_that_is_not_the_documented_csv_is_refused(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    for text in ("", "performance_id;quantity\n1;2\n", HEADER, "\xff\xfe"):
        response = await upload(client, shop, text)
        assert (response.status_code, response.json()["code"]) == (422, "import_file_invalid")
    semicolons = HEADER.replace(",", ";") + line(shop, "RES-1").replace(",", ";")
    assert (await upload(client, shop, semicolons)).status_code == 201
