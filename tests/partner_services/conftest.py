"""Partner-services tests move the clock by days: access tokens last long enough here."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from fastapi import FastAPI

from app.core.db import Database
from app.core.settings import Settings
from app.main import create_app


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    long_lived = settings.model_copy(update={"access_token_minutes": 60 * 24 * 120})
    return create_app(long_lived, database=db)


START = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stopped on Sunday 20 December 2026, 09:00 UTC; tests move it."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller
