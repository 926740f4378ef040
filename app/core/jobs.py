"""The worker's tasks: periodic jobs and long-running services, each its own asyncio task.

Each job is idempotent and safe to run from several workers. No job waits on another: a slow
sweep delays only its own next run.
"""

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = structlog.get_logger("app.jobs")

JobFunction = Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]]
ServiceFunction = Callable[[async_sessionmaker[AsyncSession], asyncio.Event], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: JobFunction
    """Does one batch of due work and returns how many items it handled."""


@dataclass(frozen=True)
class Service:
    """Runs until the event it is given is set (e.g. the outbox runner)."""

    name: str
    run: ServiceFunction


async def run_job(
    job: Job, sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event
) -> None:
    """Runs ``job`` every ``every_seconds`` until ``stop``; a failure is logged and retried at
    the next run."""
    while not stop.is_set():
        started = time.monotonic()
        handled = 0
        try:
            handled = await job.run(sessionmaker)
        except Exception:
            log.exception("job_failed", job=job.name)
        if handled:
            log.info(
                "job_ran",
                job=job.name,
                handled=handled,
                duration_ms=round((time.monotonic() - started) * 1000, 1),
            )
        wait = max(0.0, job.every_seconds - (time.monotonic() - started))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


async def _run_service(
    service: Service, sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event
) -> None:
    while not stop.is_set():
        try:
            await service.run(sessionmaker, stop)
        except Exception:
            log.exception("service_failed", service=service.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5)


async def run_loop(
    jobs: Sequence[Job | Service],
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    poll_seconds: float,
    stop: asyncio.Event,
) -> None:
    """Runs every job and service as its own task until ``stop``. A job's interval is never
    shorter than ``poll_seconds``."""
    tasks = [
        asyncio.create_task(
            run_job(
                Job(job.name, max(job.every_seconds, poll_seconds), job.run), sessionmaker, stop
            )
            if isinstance(job, Job)
            else _run_service(job, sessionmaker, stop),
            name=job.name,
        )
        for job in jobs
    ]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
