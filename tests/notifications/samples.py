"""Sample context values for any catalog template, and sample mails in an outbox."""

from typing import Any

from sqlalchemy import select

from app.core.db import Database
from app.notifications.catalog import TEMPLATES
from app.notifications.models import MailMessage
from app.notifications.service import queue_mail


def sample_value(key: str) -> str:
    """A value easy to find in a rendered mail: a URL for ``*_url`` keys, a word otherwise."""
    if key.endswith("_url"):
        return f"https://console.example.test/{key.removesuffix('_url')}/abc123"
    return f"sample-{key}"


def sample_context(template: str, **overrides: Any) -> dict[str, Any]:
    """Every catalog variable of ``template`` with a sample value, then ``overrides``."""
    return {key: sample_value(key) for key in TEMPLATES[template]} | overrides


async def queue_samples(db: Database, *addresses: str, template: str = "password_reset") -> None:
    """Queues (and commits) one English ``template`` mail to each address."""
    async with db.sessionmaker.begin() as session:
        for address in addresses:
            await queue_mail(
                session,
                to=address,
                template=template,
                language="en",
                context=sample_context(template, recipient_name="Ada"),
            )


async def outbox_by_address(db: Database) -> dict[str, MailMessage]:
    """The outbox as it is now, by recipient."""
    async with db.sessionmaker() as session:
        mails = (await session.scalars(select(MailMessage))).all()
    return {mail.to_address: mail for mail in mails}
