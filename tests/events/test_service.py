"""Emitting events and reading them back as values, for the packages that deliver them."""

import uuid

import pytest
from sqlalchemy import literal

from app.core.db import Database
from app.core.pagination import PageParams
from app.events import service as events
from app.events.catalog import EVENT_TYPES
from app.events.types import Event, Readable

EVERYTHING = Readable(types=EVENT_TYPES)


async def test_an_unknown_type_is_refused(db: Database) -> None:
    async with db.sessionmaker.begin() as session:
        with pytest.raises(ValueError, match="unknown event type"):
            await events.emit(session, "nothing.happened", {})


async def test_an_emitted_event_reads_back_as_a_value(db: Database) -> None:
    organization_id, other_id = uuid.uuid4(), uuid.uuid4()
    async with db.sessionmaker.begin() as session:
        emitted = await events.emit(
            session, "member.added", {"at": uuid.UUID(int=1)}, organization_id=organization_id
        )
    async with db.sessionmaker() as session:
        found = await events.find_event(session, emitted.id, organization_id=organization_id)
        assert isinstance(found, Event)
        assert (found.type, found.organization_id, found.data) == (
            "member.added",
            organization_id,
            {"at": str(uuid.UUID(int=1))},
        )
        assert await events.find_event(session, emitted.id, organization_id=other_id) is None
        assert await events.find_event(session, emitted.id, type="webhook.test") is None
        assert await events.events_by_id(session, [emitted.id, uuid.uuid4()]) == {emitted.id: found}
        assert await events.events_by_id(session, []) == {}


async def test_an_organization_feed_is_newest_first_and_filters_types(db: Database) -> None:
    organization_id = uuid.uuid4()
    async with db.sessionmaker.begin() as session:
        first = await events.emit(session, "member.added", {}, organization_id=organization_id)
        second = await events.emit(session, "webhook.test", {}, organization_id=organization_id)
        await events.emit(session, "member.added", {}, organization_id=uuid.uuid4())
    async with db.sessionmaker() as session:
        page, cursor = await events.events_page(
            session,
            events.organization_events(organization_id, readable=EVERYTHING),
            PageParams(limit=10),
        )
        assert [event.id for event in page] == [second.id, first.id]
        assert cursor is None
        only, _ = await events.events_page(
            session,
            events.organization_events(
                organization_id, readable=EVERYTHING, types=["member.added"]
            ),
            PageParams(limit=10),
        )
        assert [event.id for event in only] == [first.id]


async def test_claiming_skips_what_the_caller_already_handled(db: Database) -> None:
    organization_id = uuid.uuid4()
    async with db.sessionmaker.begin() as session:
        handled = await events.emit(session, "member.added", {}, organization_id=organization_id)
        new = await events.emit(session, "member.added", {}, organization_id=organization_id)
        await events.emit(session, "member.added", {})
    async with db.sessionmaker.begin() as session:
        claimed = await events.claim_organization_events(
            session,
            unhandled=lambda column: column != handled.id,
            since=handled.created_at,
            limit=100,
        )
        ids = [event.id for event in claimed if event.organization_id == organization_id]
        assert ids == [new.id]
        assert all(event.organization_id is not None for event in claimed)
        none = await events.claim_organization_events(
            session, unhandled=lambda column: literal(False), since=None, limit=100
        )
        assert none == []
