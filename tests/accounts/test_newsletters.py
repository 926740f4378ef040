"""Newsletter topics: subscribing records the consent's time and wording; every newsletter
carries its recipient's own one-click unsubscribe (RFC 8058) that works without a login; platform
staff export a topic's subscribers with their consents."""

import csv
import io
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import httpx
import time_machine

from app.accounts.newsletters import consent_wording
from app.core import clock
from app.core.db import Database
from tests.factories import User, signed_in_user
from tests.mail import Mailbox
from tests.organizations.helpers import make_platform_staff

EXPORT = "/v1/platform/newsletter-topics/{topic}/subscribers.csv"


async def _staff(client: httpx.AsyncClient, db: Database) -> User:
    staff = await signed_in_user(client, db)
    await make_platform_staff(db, staff)
    return staff


async def _subscribe(
    client: httpx.AsyncClient, user: User, *topics: str, language: str | None = None
) -> None:
    body: dict[str, object] = {"newsletter_topics": list(topics)}
    if language:
        body["language"] = language
    response = await client.patch("/v1/account", json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    assert response.json()["newsletter_topics"] == list(topics)


async def _export(client: httpx.AsyncClient, staff: User, topic: str) -> dict[str, dict[str, str]]:
    response = await client.get(EXPORT.format(topic=topic), headers=staff.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return {row["account_id"]: row for row in csv.DictReader(io.StringIO(response.text))}


def _newsletters(mailbox: Mailbox, user: User) -> list[EmailMessage]:
    return [m for m in mailbox.messages_to(user.email) if "List-Unsubscribe" in m]


async def test_subscribing_records_when_and_to_what_wording_and_staff_export_it(
    client: httpx.AsyncClient, db: Database
) -> None:
    staff = await _staff(client, db)
    user = await signed_in_user(client, db)
    subscribed_at = clock.now()
    with time_machine.travel(subscribed_at, tick=False):
        await _subscribe(client, user, "events", "tips", language="fr")
    with time_machine.travel(subscribed_at + timedelta(minutes=5), tick=False):
        await _subscribe(client, user, "events")  # tips withdrawn, events kept as consented

        rows = await _export(client, staff, "events")
        row = rows[str(user.account_id)]
        assert row["email"] == user.email
        assert datetime.fromisoformat(row["consented_at"]) == subscribed_at
        assert row["consent_language"] == "fr"
        assert row["consent_wording"] == consent_wording("events", "fr")
        assert "« Évènements »" in row["consent_wording"]
        assert str(user.account_id) not in await _export(client, staff, "tips")

    later = subscribed_at + timedelta(minutes=8)
    with time_machine.travel(later, tick=False):
        await _subscribe(client, user, "events", "tips")
        again = (await _export(client, staff, "tips"))[str(user.account_id)]
    assert datetime.fromisoformat(again["consented_at"]) == later
    log = await client.get(
        "/v1/account/activity",
        params={"action": "account.newsletter_topics_changed"},
        headers=user.headers,
    )
    assert [entry["details"] for entry in reversed(log.json()["data"])] == [
        {"subscribed": ["events", "tips"], "unsubscribed": []},
        {"subscribed": [], "unsubscribed": ["tips"]},
        {"subscribed": ["tips"], "unsubscribed": []},
    ]


async def test_a_newsletter_carries_a_one_click_unsubscribe_that_needs_no_login(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    staff = await _staff(client, db)
    ada = await signed_in_user(client, db)
    chloe = await signed_in_user(client, db)
    bystander = await signed_in_user(client, db)
    await _subscribe(client, ada, "tips")
    await _subscribe(client, chloe, "tips", "events", language="fr")
    await _subscribe(client, bystander, "events")

    sent = await client.post(
        "/v1/platform/newsletters",
        json={
            "topic": "tips",
            "versions": [
                {"language": "en", "subject": "Winter tips", "text": "Hello.\n\nSeat plans."},
                {"language": "fr", "subject": "Conseils d'hiver", "text": "Bonjour."},
            ],
        },
        headers=staff.headers,
    )
    assert sent.status_code == 202, sent.text
    assert sent.json()["recipients"] >= 2
    await mailbox.deliver(db.sessionmaker)

    [to_ada], [to_chloe] = _newsletters(mailbox, ada), _newsletters(mailbox, chloe)
    assert _newsletters(mailbox, bystander) == []
    assert (to_ada["Subject"], to_chloe["Subject"]) == ("Winter tips", "Conseils d'hiver")
    urls = []
    for message in (to_ada, to_chloe):
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # As sent, on one line: not folded into encoded words mail programs would not read.
        header = dict(message.raw_items())["List-Unsubscribe"]
        assert (header[0], header[-1]) == ("<", ">"), header
        assert "=?" not in header
        urls.append(header[1:-1])
    assert urls[0] != urls[1]  # each recipient their own token
    ada_url = urlsplit(urls[0])
    assert ada_url.path == "/v1/newsletters/unsubscribe"
    target = f"{ada_url.path}?{ada_url.query}"

    # What a mail program does: a POST with the RFC 8058 body, no credentials.
    clicked = await client.post(target, data={"List-Unsubscribe": "One-Click"})
    assert clicked.status_code == 204, clicked.text
    me = (await client.get("/v1/account", headers=ada.headers)).json()
    assert me["newsletter_topics"] == []
    assert str(ada.account_id) not in await _export(client, staff, "tips")
    assert str(chloe.account_id) in await _export(client, staff, "tips")
    again = await client.post(target, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 204

    tampered = target[:-1] + ("0" if target[-1] != "0" else "1")
    forged = await client.post(tampered, data={"List-Unsubscribe": "One-Click"})
    assert (forged.status_code, forged.json()["code"]) == (400, "invalid_or_expired_token")
    no_body = await client.post(f"{urlsplit(urls[1]).path}?{urlsplit(urls[1]).query}")
    assert no_body.status_code == 422
    assert (
        "tips"
        in (await client.get("/v1/account", headers=chloe.headers)).json()["newsletter_topics"]
    )


async def test_other_mails_carry_no_unsubscribe_header(
    client: httpx.AsyncClient, db: Database, mailbox: Mailbox
) -> None:
    user = await signed_in_user(client, db)
    await _subscribe(client, user, "tips")
    await client.post("/v1/password-resets", json={"email": user.email})
    await mailbox.deliver(db.sessionmaker)
    assert "reset-password" in mailbox.link_to(user.email, "reset-password")
    for message in mailbox.messages_to(user.email):
        assert "List-Unsubscribe" not in message
        assert "List-Unsubscribe-Post" not in message


async def test_a_one_click_unsubscribe_with_an_idempotency_key_is_answered_not_a_server_error(
    client: httpx.AsyncClient,
) -> None:
    """The route parses its form body before the key is claimed: the key's fingerprint is then
    made of the form's fields (found by the fuzzer: a 500 before)."""
    answer = await client.post(
        f"/v1/newsletters/unsubscribe?token={'f' * 64}",
        data={"List-Unsubscribe": "One-Click"},
        headers={"Idempotency-Key": "click-1"},
    )
    assert (answer.status_code, answer.json()["code"]) == (400, "invalid_or_expired_token")
