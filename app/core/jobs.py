"""Periodic jobs run by the worker. Each job is idempotent and safe to run from several workers."""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger("app.jobs")

JobFunction = Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]]


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: JobFunction
    """Does one batch of due work and returns how many items it handled."""


async def run_due(
    jobs: Sequence[Job],
    sessionmaker: async_sessionmaker[AsyncSession],
    last_run: dict[str, float],
) -> None:
    """Runs every job whose interval has passed; a failing job is logged and retried next time."""
    for job in jobs:
        started = time.monotonic()
        if started - last_run.get(job.name, float("-inf")) < job.every_seconds:
            continue
        last_run[job.name] = started
        try:
            handled = await job.run(sessionmaker)
        except Exception:
            log.exception("job_failed", job=job.name)
            continue
        if handled:
            log.info(
                "job_ran",
                job=job.name,
                handled=handled,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )


async def run_loop(
    jobs: Sequence[Job],
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    poll_seconds: float,
    stop: asyncio.Event,
) -> None:
    last_run: dict[str, float] = {}
    while not stop.is_set():
        await run_due(jobs, sessionmaker, last_run)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
