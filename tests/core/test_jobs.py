"""The worker's tasks run independently: a slow job never holds another back."""

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.jobs import Job, Service, run_loop


async def test_a_slow_job_does_not_hold_the_others_back() -> None:
    stop = asyncio.Event()
    runs: list[str] = []
    released = asyncio.Event()

    async def stuck(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        runs.append("stuck")
        await released.wait()
        return 0

    async def quick(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        runs.append("quick")
        if runs.count("quick") == 3:
            stop.set()
            released.set()
        return 1

    async def service(sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event) -> None:
        runs.append("service")
        await stop.wait()

    sessionmaker = async_sessionmaker[AsyncSession]()
    await asyncio.wait_for(
        run_loop(
            [Job("stuck", 0, stuck), Job("quick", 0, quick), Service("service", service)],
            sessionmaker,
            poll_seconds=0.01,
            stop=stop,
        ),
        timeout=5,
    )

    assert runs.count("stuck") == 1
    assert runs.count("quick") == 3
    assert runs.count("service") == 1


async def test_a_failing_job_is_retried_at_its_next_run() -> None:
    stop = asyncio.Event()
    calls = 0

    async def flaky(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database away")
        stop.set()
        return 1

    await asyncio.wait_for(
        run_loop(
            [Job("flaky", 0, flaky)],
            async_sessionmaker[AsyncSession](),
            poll_seconds=0.01,
            stop=stop,
        ),
        timeout=5,
    )
    assert calls == 2
