"""A dependency solved once for a request is not solved again below another one."""

from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from app.core import dependency_cache

CALLS: list[str] = []


async def leaf(n: int) -> int:
    CALLS.append("leaf")
    return n


async def shared(value: Annotated[int, Depends(leaf)]) -> int:
    CALLS.append("shared")
    return value * 2


async def first(value: Annotated[int, Depends(shared)]) -> int:
    return value + 1


async def second(value: Annotated[int, Depends(shared)]) -> int:
    return value + 2


def _app() -> FastAPI:
    dependency_cache.install()
    app = FastAPI()

    @app.get("/diamond")
    async def diamond(
        a: Annotated[int, Depends(first)], b: Annotated[int, Depends(second)]
    ) -> dict[str, int]:
        return {"a": a, "b": b}

    return app


async def test_a_shared_dependency_is_walked_once_and_its_value_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walked: list[str] = []
    original = dependency_cache._solve

    async def counting(**arguments: Any) -> Any:
        walked.append(arguments["dependant"].call.__name__)
        return await original(**arguments)

    monkeypatch.setattr(dependency_cache, "_solve", counting)
    CALLS.clear()
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/diamond", params={"n": 5})
        assert response.json() == {"a": 11, "b": 12}
        assert CALLS == ["leaf", "shared"]
        # FastAPI alone walks shared and leaf again under second: first, shared, leaf, second,
        # shared, leaf.
        assert walked == ["first", "shared", "leaf", "second"]

        invalid = await client.get("/diamond", params={"n": "five"})
        assert invalid.status_code == 422
        assert {tuple(error["loc"]) for error in invalid.json()["detail"]} == {("query", "n")}
