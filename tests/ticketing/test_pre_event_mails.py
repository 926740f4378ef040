"""Mails scheduled before a performance: sent once by the sweep to the valid ticket and pass
holders, in each buyer's language, cancelled tickets left out; editable until sent."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

import httpx
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core import clock
from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app
from app.notifications.models import MailMessage
from app.notifications.transport import OutgoingMail
from app.ticketing.jobs import send_pre_event_mails
from tests.mail import rendered
from tests.ticketing.helpers import Shop, fresh_headers, open_shop, sell
from tests.ticketing.test_passes import create_pass, sell_pass

START = datetime(2027, 3, 1, 9, 0, tzinfo=clock.now().tzinfo)
PERFORMANCE_STARTS = START + timedelta(days=60)  # open_shop's first performance


def customer(email: str, language: str) -> dict[str, str]:
    return {"name": email.split("@")[0].title(), "email": email, "language": language}


async def schedule(
    client: httpx.AsyncClient, shop: Shop, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    return await client.post(
        f"{shop.office_path}/pre-event-mails",
        json={
            "performance_id": shop.performance_ids[0],
            "hours_before": 48,
            "subject": "Informations pratiques",
            "body": "Les portes ouvrent à 19 h.",
        }
        | body,
        headers=headers or shop.organizer.headers,
    )


async def sent_mails(db: Database) -> list[OutgoingMail]:
    async with db.sessionmaker() as session:
        return list(
            map(
                rendered,
                await session.scalars(
                    select(MailMessage)
                    .where(MailMessage.template == "pre_event_message")
                    .order_by(MailMessage.to_address)
                ),
            )
        )


async def test_a_scheduled_message_reaches_each_valid_holder_once_in_their_language(
    client: httpx.AsyncClient, db: Database
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        shop = await open_shop(client, db, performances=2)
        await sell(client, shop, method="cash", customer=customer("jeanne@example.ch", "fr"))
        traveller.shift(timedelta(minutes=1))  # the address is written as first bought with
        await sell(client, shop, method="cash", customer=customer("JEANNE@example.ch", "fr"))
        cancelled = await sell(client, shop, method="cash", customer=customer("hans@ex.ch", "de"))
        await sell(client, shop, method="cash", performance=1, customer=customer("tom@ex.ch", "en"))
        season = await create_pass(client, shop, event_ids=[shop.event_id])
        sold = await sell_pass(client, shop, season["id"], customer=customer("maria@ex.ch", "it"))
        assert sold.status_code == 201, sold.text
        cancel = await client.post(
            f"{shop.office_path}/orders/{cancelled['id']}/cancel",
            json={"refund_method": "cash", "reason": "Empêché"},
            headers=shop.organizer.headers,
        )
        assert cancel.status_code == 200, cancel.text
        scheduled = await schedule(
            client,
            shop,
            translations={
                "it": {"subject": "Informazioni pratiche", "body": "Le porte aprono alle 19."},
                "de": {"subject": "Praktische Hinweise", "body": "Türöffnung um 19 Uhr."},
            },
        )
        assert scheduled.status_code == 201, scheduled.text
        mail = scheduled.json()
        assert datetime.fromisoformat(mail["send_at"]) == PERFORMANCE_STARTS - timedelta(hours=48)
        assert mail["sent_at"] is None

        traveller.move_to(PERFORMANCE_STARTS - timedelta(hours=49))
        assert await send_pre_event_mails(db.sessionmaker) == 0
        traveller.move_to(PERFORMANCE_STARTS - timedelta(hours=47))
        assert await send_pre_event_mails(db.sessionmaker) == 1
        assert await send_pre_event_mails(db.sessionmaker) == 0

        sent = await sent_mails(db)
        assert [(m.to_address, m.language, m.subject) for m in sent] == [
            ("jeanne@example.ch", "fr", "Informations pratiques"),
            ("maria@ex.ch", "it", "Informazioni pratiche"),
        ]
        assert "Les portes ouvrent à 19 h." in sent[0].text_body
        assert "La Flûte enchantée" in sent[0].text_body
        assert "Le porte aprono alle 19." in sent[1].text_body

        headers = await fresh_headers(client, shop)
        path = f"{shop.office_path}/pre-event-mails/{mail['id']}"
        read = (await client.get(path, headers=headers)).json()
        assert read["recipients"] == 2
        assert read["sent_at"] is not None
        edited = await client.patch(path, json={"subject": "Trop tard"}, headers=headers)
        assert (edited.status_code, edited.json()["code"]) == (409, "pre_event_mail_sent")
        deleted = await client.delete(path, headers=headers)
        assert (deleted.status_code, deleted.json()["code"]) == (409, "pre_event_mail_sent")


async def test_a_message_is_edited_listed_and_deleted_until_it_is_sent(
    client: httpx.AsyncClient, db: Database
) -> None:
    shop = await open_shop(client, db, performances=2)
    base = f"{shop.office_path}/pre-event-mails"
    headers = shop.organizer.headers
    too_late = await schedule(client, shop, hours_before=24 * 61)
    assert (too_late.status_code, too_late.json()["code"]) == (422, "pre_event_mail_too_late")
    other = await open_shop(client, db, organizer=shop.organizer)
    foreign = await schedule(client, shop, performance_id=other.performance_ids[0])
    assert foreign.json()["code"] == "performance_not_found"

    first = (await schedule(client, shop)).json()
    second = (await schedule(client, shop, performance_id=shop.performance_ids[1])).json()
    edited = await client.patch(
        f"{base}/{first['id']}",
        json={"hours_before": 24, "body": "Parking du Lac à 200 m."},
        headers=headers,
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["hours_before"], edited.json()["body"]) == (24, "Parking du Lac à 200 m.")
    assert edited.json()["subject"] == "Informations pratiques"
    late_edit = await client.patch(
        f"{base}/{first['id']}", json={"hours_before": 24 * 61}, headers=headers
    )
    assert late_edit.json()["code"] == "pre_event_mail_too_late"

    listed = await client.get(base, headers=headers)
    assert [m["id"] for m in listed.json()["data"]] == [second["id"], first["id"]]
    only = await client.get(
        base, params={"performance_id": shop.performance_ids[1]}, headers=headers
    )
    assert [m["id"] for m in only.json()["data"]] == [second["id"]]

    deleted = await client.delete(f"{base}/{first['id']}", headers=headers)
    assert deleted.status_code == 204, deleted.text
    gone = await client.get(f"{base}/{first['id']}", headers=headers)
    assert gone.json()["code"] == "pre_event_mail_not_found"


async def test_two_concurrent_sweeps_send_each_message_once(
    settings: Settings, committed_db: Database
) -> None:
    app: FastAPI = create_app(settings, database=committed_db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        with time_machine.travel(START, tick=False) as traveller:
            shop = await open_shop(client, committed_db, capacity=500, performances=1)
            for i in range(50):
                await sell(
                    client,
                    shop,
                    method="cash",
                    quantity=1,
                    customer=customer(f"buyer{i}@example.ch", "fr"),
                )
            for hours in (24, 36, 48, 72):
                response = await schedule(client, shop, hours_before=hours)
                assert response.status_code == 201, response.text
            traveller.move_to(PERFORMANCE_STARTS - timedelta(hours=12))
            handled = await asyncio.gather(
                *(send_pre_event_mails(committed_db.sessionmaker) for _ in range(2))
            )
            assert sum(handled) == 4
            async with committed_db.sessionmaker() as session:
                per_address = (
                    await session.execute(
                        select(MailMessage.to_address, func.count())
                        .where(MailMessage.template == "pre_event_message")
                        .group_by(MailMessage.to_address)
                    )
                ).all()
            assert len(per_address) == 50
            assert {count for _, count in per_address} == {4}
            assert await send_pre_event_mails(committed_db.sessionmaker) == 0
