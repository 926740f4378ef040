"""Keyset pagination: newest first, stable across pages, and a bad cursor is a clear 400."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import DateTime, MetaData, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.core.db import Database, Session
from app.core.pagination import Page, Pagination, decode_cursor, encode_cursor, page_of, paginate
from app.core.settings import Settings
from app.main import create_app


class _Base(DeclarativeBase):
    metadata = MetaData()


class Note(_Base):
    __tablename__ = "pagination_notes"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    title: Mapped[str]


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    title: str


BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def notes(connection: AsyncConnection) -> list[uuid.UUID]:
    """25 notes, two of each timestamp so ties are broken by id; newest first."""
    await connection.run_sync(_Base.metadata.create_all)
    rows = [
        {"id": uuid.uuid4(), "created_at": BASE_TIME + timedelta(minutes=i // 2), "title": f"n{i}"}
        for i in range(25)
    ]
    await connection.execute(Note.__table__.insert(), rows)
    ordered = sorted(rows, key=lambda row: (row["created_at"], row["id"]), reverse=True)
    return [row["id"] for row in ordered]


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    app = create_app(settings, database=db)

    @app.get("/v1/notes", operation_id="test-notes", response_model=Page[NoteRead])
    async def list_notes(session: Session, page: Pagination) -> dict:  # type: ignore[type-arg]
        rows, cursor = await paginate(
            session, select(Note), page, created_at=Note.created_at, id=Note.id
        )
        return page_of(rows, cursor)

    return app


async def test_pages_walk_every_row_once_newest_first(
    client: httpx.AsyncClient, notes: list[uuid.UUID]
) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        body = (await client.get("/v1/notes", params=params)).json()
        seen += [item["id"] for item in body["data"]]
        pages += 1
        assert body["has_more"] == (body["next_cursor"] is not None)
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert seen == [str(note) for note in notes]


async def test_exact_last_page_has_no_more(
    client: httpx.AsyncClient, notes: list[uuid.UUID]
) -> None:
    body = (await client.get("/v1/notes", params={"limit": 25})).json()
    assert len(body["data"]) == 25
    assert body == body | {"has_more": False, "next_cursor": None}


async def test_default_limit_is_twenty(client: httpx.AsyncClient, notes: list[uuid.UUID]) -> None:
    body = (await client.get("/v1/notes")).json()
    assert len(body["data"]) == 20
    assert body["has_more"] is True


@pytest.mark.parametrize("limit", [0, 101, -1])
async def test_limit_out_of_range_is_rejected(client: httpx.AsyncClient, limit: int) -> None:
    response = await client.get("/v1/notes", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize(
    "cursor", ["garbage!!", "W10", encode_cursor(BASE_TIME, uuid.UUID(int=7))[:-3]]
)
async def test_bad_cursor_is_a_400(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get("/v1/notes", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_cursor_round_trips() -> None:
    row_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(BASE_TIME, row_id)) == (BASE_TIME, row_id)
