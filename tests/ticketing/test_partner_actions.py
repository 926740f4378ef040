"""Partner staff act in a client's ticket office; the client's log shows them as the partner."""

import httpx
from sqlalchemy import select

from app.activity.models import ActivityEntry
from app.core.db import Database
from tests.mail import Mailbox
from tests.organizations.test_partners import accept, invited
from tests.ticketing.helpers import open_shop, sell


async def test_partner_staff_sales_are_logged_as_the_partner(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    partnership = await invited(client, db, mailbox)
    accepted = await accept(client, partnership, {"access_type": "full"})
    assert accepted.status_code in (200, 201), accepted.text
    staff = partnership.partner_admin
    staff.organization_id = partnership.client_id  # the ticket office is the client's
    shop = await open_shop(client, db, organizer=staff)
    order = await sell(client, shop, method="cash")
    async with db.sessionmaker() as session:
        entry = await session.scalar(
            select(ActivityEntry).where(
                ActivityEntry.action == "ticketing.order_placed",
                ActivityEntry.organization_id == partnership.client_id,
            )
        )
    assert entry is not None
    assert entry.details["number"] == order["number"]
    assert entry.actor_account_id == staff.account_id
    assert entry.actor_organization_id == partnership.partner_id
