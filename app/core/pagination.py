"""Keyset (cursor) pagination, newest first: cost does not grow with page depth.

Lists are ordered by ``(created_at DESC, id DESC)``; the cursor is the last row's pair, opaque to
clients. A query must have an index on those two columns (with its scope columns first).
"""

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Row, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import AppError, raises

T = TypeVar("T")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(BaseModel, Generic[T]):
    data: list[T] = Field(description="This page's items, in the list's order.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last."
    )
    has_more: bool = Field(description="Whether another page follows (`next_cursor` gets it).")


class PageParams(BaseModel):
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None


class InvalidCursor(AppError):
    status = 400
    code = "invalid_cursor"


@raises(InvalidCursor)
async def page_params(  # a coroutine: FastAPI runs a plain function in a thread
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="From a previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor)


Pagination = Annotated[PageParams, Depends(page_params)]


def encode_cursor(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = json.dumps([created_at.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, row_id = json.loads(raw)
        position = datetime.fromisoformat(created_at), uuid.UUID(row_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("The cursor is not one this API returned.") from None
    if position[0].tzinfo is None:
        raise InvalidCursor("The cursor is not one this API returned.")
    return position


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    params: PageParams,
    *,
    created_at: InstrumentedAttribute[datetime] | None = None,
    id: InstrumentedAttribute[uuid.UUID] | None = None,
) -> tuple[Sequence[Any], str | None]:
    """One page of ``query`` and the cursor of the next, if any, newest first.

    ``query`` selects an entity, or an entity first and other columns after (rows are then
    tuples), or only columns (rows then; they must include ``created_at`` and ``id``: a hot read
    that skips the ORM's objects); the order and the cursor are the first entity's ``created_at``
    and ``id`` unless given.
    """
    descriptions = query.column_descriptions
    first = descriptions[0]
    entity_class = first["entity"]
    whole_entity = first["expr"] is entity_class
    created_at = created_at if created_at is not None else entity_class.created_at
    id = id if id is not None else entity_class.id
    if params.cursor:
        after_created, after_id = decode_cursor(params.cursor)
        query = query.where(tuple_(created_at, id) < tuple_(after_created, after_id))
    result = await session.execute(
        query.order_by(created_at.desc(), id.desc()).limit(params.limit + 1)
    )
    rows: Sequence[Any] = (
        result.scalars().all() if whole_entity and len(descriptions) == 1 else result.all()
    )
    if len(rows) <= params.limit:
        return rows, None
    last = rows[params.limit - 1]
    entity = last[0] if whole_entity and isinstance(last, Row) else last
    return rows[: params.limit], encode_cursor(
        getattr(entity, created_at.key), getattr(entity, id.key)
    )


def page_of(rows: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    """The response body for a page; validated against ``Page[Schema]`` by the route."""
    return {
        "data": rows,
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }
