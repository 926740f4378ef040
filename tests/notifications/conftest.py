"""Fixtures for the notification tests."""

import pytest
from sqlalchemy import delete

from app.core.db import Database
from app.notifications.models import MailMessage


@pytest.fixture
async def empty_outbox(db: Database) -> None:
    """No mail but the test's own: the outbox is emptied inside the test's transaction."""
    async with db.sessionmaker.begin() as session:
        await session.execute(delete(MailMessage))
