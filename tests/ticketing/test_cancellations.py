"""An order's cancellations can be read back, newest first in pages (tickets, refund and its
currency, reason, who); a ticket already checked in is cancelled only with an explicit flag."""

import httpx

from app.core.db import Database
from tests.ticketing.helpers import open_shop, sell


async def test_cancelling_a_checked_in_ticket_needs_the_flag_and_cancellations_read_back(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db)
    order = await sell(client, shop, method="cash", quantity=2)
    first, second = order["tickets"]
    scanned = await client.post(
        f"{shop.office_path}/scans",
        json={"performance_id": shop.performance_ids[0], "ticket_number": first["number"]},
        headers=shop.organizer.headers,
    )
    assert scanned.json()["accepted"] is True
    cancel = f"{shop.office_path}/orders/{order['id']}/cancel"
    body = {"ticket_ids": [first["id"]], "refund_method": "cash", "refund_amount_minor": 5000,
            "reason": "Left at the interval"}  # fmt: skip
    refused = await client.post(cancel, json=body, headers=shop.organizer.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "ticket_checked_in"
    done = await client.post(
        cancel, json=body | {"include_checked_in": True}, headers=shop.organizer.headers
    )
    assert done.status_code == 200, done.text
    await client.post(
        cancel,
        json={"ticket_ids": [second["id"]], "refund_method": "voucher", "reason": "Ill"},
        headers=shop.organizer.headers,
    )
    path = f"{shop.office_path}/orders/{order['id']}/cancellations"
    listed = await client.get(path, headers=shop.organizer.headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert (page["next_cursor"], page["has_more"]) == (None, False)
    assert [
        (c["ticket_ids"], c["refund_method"], c["refund_amount_minor"], c["currency"], c["reason"])
        for c in page["data"]
    ] == [
        ([second["id"]], "voucher", 0, "CHF", "Ill"),
        ([first["id"]], "cash", 5000, "CHF", "Left at the interval"),
    ]
    assert {c["by_account_id"] for c in page["data"]} == {str(shop.organizer.account_id)}

    newest = (await client.get(f"{path}?limit=1", headers=shop.organizer.headers)).json()
    assert [c["ticket_ids"] for c in newest["data"]] == [[second["id"]]]
    assert newest["has_more"] is True
    oldest = await client.get(
        f"{path}?limit=1&cursor={newest['next_cursor']}", headers=shop.organizer.headers
    )
    assert [c["ticket_ids"] for c in oldest.json()["data"]] == [[first["id"]]]
    assert (oldest.json()["next_cursor"], oldest.json()["has_more"]) == (None, False)
