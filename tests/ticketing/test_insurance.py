"""Cancellation insurance: an insured order carries the insurer's policy reference and contact
in its mail, its API view and its tickets; cancelling it records that the insurer refunds, not
the organizer."""

import httpx
from sqlalchemy import select

from app.core.db import Database
from app.notifications.models import MailMessage
from app.notifications.transport import OutgoingMail
from app.ticketing.insurance import INSURER
from tests.mail import rendered
from tests.qr import text_of
from tests.ticketing.helpers import Shop, buy, open_shop


async def insured_shop(client: httpx.AsyncClient, db: Database) -> Shop:
    return await open_shop(client, db, settings={"insurance_fee_minor": 450})


async def mail_of(db: Database, template: str, number: str) -> OutgoingMail:
    async with db.sessionmaker() as session:
        mails = [
            mail
            for mail in map(
                rendered,
                await session.scalars(select(MailMessage).where(MailMessage.template == template)),
            )
            if number in mail.text_body
        ]
    assert len(mails) == 1, template
    return mails[0]


async def test_insured_order_carries_the_policy_and_the_insurer_in_its_mail_and_tickets(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await insured_shop(client, db)
    order = await buy(client, shop, quantity=2, cancellation_insurance=True)
    assert (order["tickets_total_minor"], order["insurance_fee_minor"], order["total_minor"]) == (
        10000,
        900,
        10900,
    )
    insurance = order["insurance"]
    policy = insurance["policy_reference"]
    assert policy.startswith(f"CI-{order['number']}-")
    assert (insurance["insurer_name"], insurance["insurer_phone"], insurance["insurer_email"]) == (
        INSURER.name,
        INSURER.phone,
        INSURER.email,
    )

    mail = await mail_of(db, "order_confirmation_insured", order["number"])
    assert mail.language == "fr"
    for part in (mail.text_body, mail.html_body or ""):
        assert policy in part
        assert INSURER.phone in part
        assert INSURER.email in part
    assert "assurance annulation" in mail.text_body
    assert "109.00" in mail.text_body

    pdf = await client.get(f"/v1/shop/orders/{order['access_key']}/tickets.pdf")
    assert pdf.status_code == 200
    text = text_of(pdf.content)
    assert text.count(policy) == 2  # one per ticket
    assert INSURER.phone in text

    seen = await client.get(f"/v1/shop/orders/{order['access_key']}")
    assert seen.json()["insurance"]["policy_reference"] == policy


async def test_an_order_without_insurance_shows_none(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await insured_shop(client, db)
    order = await buy(client, shop, quantity=1)
    assert order["insurance"] is None
    assert order["insurance_fee_minor"] == 0
    await mail_of(db, "order_confirmation", order["number"])
    pdf = await client.get(f"/v1/shop/orders/{order['access_key']}/tickets.pdf")
    assert INSURER.name not in text_of(pdf.content)


async def test_cancelling_an_insured_order_records_that_the_insurer_refunds(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await insured_shop(client, db)
    order = await buy(client, shop, quantity=2, cancellation_insurance=True)
    policy = order["insurance"]["policy_reference"]
    cancel = f"{shop.office_path}/orders/{order['id']}/cancel"
    headers = shop.organizer.headers

    organizer_refund = await client.post(
        cancel,
        json={"refund_method": "card", "refund_amount_minor": 10000, "reason": "Ill"},
        headers=headers,
    )
    assert organizer_refund.status_code == 409
    assert organizer_refund.json()["code"] == "refund_through_insurer"
    assert organizer_refund.json()["policy_reference"] == policy

    one = await client.post(
        cancel,
        json={"ticket_ids": [order["tickets"][0]["id"]], "refund_method": "none", "reason": "Ill"},
        headers=headers,
    )
    assert one.status_code == 200, one.text
    body = one.json()
    assert (body["refund_by"], body["insurance_policy_reference"]) == ("insurer", policy)
    assert (body["refund_method"], body["refund_amount_minor"]) == ("none", 0)

    mail = await mail_of(db, "order_cancelled_insured", order["number"])
    assert policy in mail.text_body
    assert INSURER.email in mail.text_body
    assert "remboursement passe par" in " ".join(mail.text_body.split())

    rest = await client.post(
        cancel, json={"refund_method": "none", "reason": "Ill"}, headers=headers
    )
    assert rest.status_code == 200, rest.text
    listed = await client.get(
        f"{shop.office_path}/orders/{order['id']}/cancellations", headers=headers
    )
    assert [c["refund_by"] for c in listed.json()["data"]] == ["insurer", "insurer"]


async def test_cancelling_an_uninsured_order_leaves_the_refund_to_the_organizer(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await insured_shop(client, db)
    order = await buy(client, shop, quantity=1)
    response = await client.post(
        f"{shop.office_path}/orders/{order['id']}/cancel",
        json={"refund_method": "card", "refund_amount_minor": 5000, "reason": "Ill"},
        headers=shop.organizer.headers,
    )
    assert response.status_code == 200, response.text
    assert (response.json()["refund_by"], response.json()["insurance_policy_reference"]) == (
        "organizer",
        None,
    )
    await mail_of(db, "order_cancelled", order["number"])
