"""The one outbox runner: mail, SMS and webhook deliveries alike.

A domain registers a ``Kind``: its outbox table (columns ``id``, ``status``, ``attempts``,
``next_attempt_at``, ``lease_token``, ``last_error``), its retry schedule, how to turn claimed rows
into payloads, which target each payload goes to, and how to send to a target.

An attempt goes in three steps, never holding a transaction during the send:

1. **claim**, in a short transaction: due rows are locked with ``FOR UPDATE SKIP LOCKED``, given a
   lease (a fresh ``lease_token``, and ``next_attempt_at`` moved to the lease's end) and committed.
   A due row that still holds a lease had its attempt interrupted (the worker died mid-flight): it
   is counted as a failed attempt with the error ``interrupted`` and claimed again at once, unless
   that was its last attempt.
2. **send**, outside any transaction: concurrently, at most ``per_target`` lanes per target (an
   SMTP server, an SMS gateway, a webhook subscription) and at most ``global_cap`` attempts in
   flight in a runner, so one slow target only ever slows itself.
3. **record**, in another short transaction, only when the row still holds the same lease: the
   outcome, and the next attempt per the kind's ``RetryPolicy`` (or the final failure).

``Runner`` runs one claiming loop per kind as its own asyncio task. It polls, and listens on the
``outbox`` channel (a dedicated asyncpg connection): a trigger on each outbox table issues
``pg_notify('outbox', <table>)`` in the enqueuing transaction, so a new row is sent at once.
"""

import asyncio
import contextlib
import math
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core import clock
from app.core.settings import Settings

log = structlog.get_logger("app.outbox")

CHANNEL = "outbox"
INTERRUPTED = "interrupted"
P = TypeVar("P")


@dataclass(frozen=True)
class RetryPolicy:
    """The wait after the 1st, 2nd… failed attempt; the attempt after the last delay is the
    final one. ``jitter`` adds up to that fraction of the delay at random."""

    delays: tuple[timedelta, ...]
    jitter: float = 0.0

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def delay(self, attempts: int, *, retry_after: timedelta | None = None) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (``retry_after`` when given)."""
        if retry_after is not None:
            return retry_after
        base = self.delays[min(max(attempts, 1), len(self.delays)) - 1]
        if not self.jitter:
            return base
        return base * (1 + random.uniform(0, self.jitter))  # noqa: S311 - jitter, not a secret


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: success when ``error`` is None."""

    error: str | None = None
    retry_after: timedelta | None = None
    """Overrides the schedule's delay (e.g. the receiver's ``Retry-After``)."""
    final: bool = False
    """No retry whatever the schedule (e.g. 410 Gone)."""
    detail: Any = None
    """Whatever the kind's ``on_recorded`` needs (e.g. the HTTP status)."""

    @property
    def succeeded(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Claim(Generic[P]):
    kind: str
    id: uuid.UUID
    lease_token: uuid.UUID
    target: str
    attempt: int
    """This attempt's number (1 for the first)."""
    payload: P


Sender = Callable[[Claim[P]], Awaitable[Outcome]]
Recorded = Callable[[AsyncSession, Any, Claim[P], Outcome, datetime], Awaitable[None]]


@dataclass(frozen=True)
class Kind(Generic[P]):
    name: str
    model: Any
    """The ORM class of the outbox table."""
    policy: RetryPolicy
    prepare: Callable[[AsyncSession, Sequence[Any], Settings], Awaitable[list[P]]]
    """Payloads for the claimed rows (same order), built inside the claiming transaction."""
    target: Callable[[P, Settings], str]
    lane: Callable[[str, Settings], AbstractAsyncContextManager[Sender[P]]]
    """Opens a lane to a target (a connection, a client): a function sending one claim."""
    done: str
    done_at: str | None = None
    """The column stamped with the time of the successful attempt (mail and SMS: ``sent_at``)."""
    pending: str = "pending"
    failed: str = "failed"
    lease: timedelta = timedelta(seconds=60)
    per_target: int = 4
    """Lanes open at once to one target."""
    lane_size: int = 1
    """Claims one lane takes before another lane is opened (SMTP: a batch per connection)."""
    batch_size: int = 50
    target_column: Any = None
    """A column whose value (as ``str``) is the target: saturated targets are not claimed for.
    None when the kind has one target (its server)."""
    claimable: Callable[[], Sequence[ColumnElement[bool]]] = lambda: ()
    on_claimed: Callable[[Any, datetime], None] | None = None
    on_interrupted: Callable[[AsyncSession, Any, datetime], Awaitable[None]] | None = None
    on_recorded: Recorded[P] | None = None
    feed: Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]] | None = None
    """Runs before each claim (webhooks: fanning events out into deliveries)."""
    wakes_on: tuple[str, ...] = ()
    """Tables besides its own whose notifications wake the kind."""
    error_max_length: int = 2000

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    @property
    def target_capacity(self) -> int:
        return self.per_target * self.lane_size


_KINDS: dict[str, Kind[Any]] = {}


def register(kind: Kind[P]) -> Kind[P]:
    """Makes ``kind`` known to the runner (domains call it at import)."""
    _KINDS[kind.name] = kind
    return kind


def kinds() -> tuple[Kind[Any], ...]:
    return tuple(_KINDS.values())


async def claim_due(
    kind: Kind[P],
    session: AsyncSession,
    settings: Settings,
    *,
    limit: int,
    busy: frozenset[str] = frozenset(),
) -> list[Claim[P]]:
    """Leases up to ``limit`` due rows of ``kind`` (none for the ``busy`` targets) in
    ``session``'s transaction; the caller commits."""
    if limit <= 0:
        return []
    model = kind.model
    now = clock.now()
    due = [model.status == kind.pending, model.next_attempt_at <= now, *kind.claimable()]
    query = select(model)
    if kind.target_column is not None:
        column = kind.target_column
        if busy:
            due.append(column.not_in([column.type.python_type(value) for value in busy]))
        window = (
            select(model.id, column.label("target"), model.next_attempt_at)
            .where(*due)
            .order_by(model.next_attempt_at)
            .limit(limit * 10)
            .subquery()
        )
        ranked = select(
            window.c.id,
            func.row_number()
            .over(partition_by=window.c.target, order_by=window.c.next_attempt_at)
            .label("rank"),
        ).subquery()
        due.append(model.id.in_(select(ranked.c.id).where(ranked.c.rank <= kind.target_capacity)))
    rows = (
        await session.scalars(
            query.where(*due)
            .order_by(model.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    claimed = []
    for row in rows:
        if row.lease_token is not None:
            # Leased, and the lease ended without an outcome: the attempt was interrupted.
            row.attempts += 1
            row.last_error = INTERRUPTED
            log.warning("outbox_attempt_interrupted", kind=kind.name, id=str(row.id))
            if kind.on_interrupted is not None:
                await kind.on_interrupted(session, row, now)
            if row.attempts >= kind.policy.max_attempts:
                row.status = kind.failed
                row.lease_token = None
                continue
        row.lease_token = uuid.uuid4()
        row.next_attempt_at = now + kind.lease
        if kind.on_claimed is not None:
            kind.on_claimed(row, now)
        claimed.append(row)
    if not claimed:
        return []
    payloads = await kind.prepare(session, claimed, settings)
    return [
        Claim(
            kind=kind.name,
            id=row.id,
            lease_token=row.lease_token,
            target=kind.target(payload, settings),
            attempt=row.attempts + 1,
            payload=payload,
        )
        for row, payload in zip(claimed, payloads, strict=True)
    ]


async def record(kind: Kind[P], session: AsyncSession, claim: Claim[P], outcome: Outcome) -> bool:
    """Writes ``outcome`` for ``claim`` when its row still holds the claim's lease; False when
    the lease was lost (the row was taken over or deleted meanwhile)."""
    model = kind.model
    row = await session.scalar(select(model).where(model.id == claim.id).with_for_update())
    if row is None or row.lease_token != claim.lease_token:
        log.warning("outbox_lease_lost", kind=kind.name, id=str(claim.id))
        return False
    now = clock.now()
    row.attempts += 1
    row.lease_token = None
    if outcome.succeeded:
        row.status = kind.done
        row.last_error = None
        if kind.done_at is not None:
            setattr(row, kind.done_at, now)
    else:
        row.last_error = (outcome.error or "failed")[: kind.error_max_length]
        if outcome.final or row.attempts >= kind.policy.max_attempts:
            row.status = kind.failed
        else:
            row.next_attempt_at = now + kind.policy.delay(
                row.attempts, retry_after=outcome.retry_after
            )
    if kind.on_recorded is not None:
        await kind.on_recorded(session, row, claim, outcome, now)
    return True


@dataclass
class _Target:
    queue: deque[Claim[Any]] = field(default_factory=deque)
    in_flight: int = 0
    lanes: int = 0


class Dispatcher:
    """Sends claims on lanes per target, records each outcome in its own transaction."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        global_cap: int = 100,
        serialize_db: bool = False,
        on_done: Callable[[Kind[Any]], None] | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.global_cap = global_cap
        self.in_flight = 0
        self._targets: dict[tuple[str, str], _Target] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        # One connection shared by every session (tests' rolled-back transaction) takes one
        # statement at a time.
        self._db_lock = asyncio.Lock() if serialize_db else None
        self._on_done = on_done

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        async with contextlib.AsyncExitStack() as stack:
            if self._db_lock is not None:
                await stack.enter_async_context(self._db_lock)
            session = await stack.enter_async_context(self.sessionmaker.begin())
            yield session

    def _in_flight_of(self, kind: Kind[Any]) -> int:
        return sum(t.in_flight for (name, _), t in self._targets.items() if name == kind.name)

    async def claim(self, kind: Kind[Any], *, limit: int | None = None) -> tuple[int, bool]:
        """Claims what ``kind`` may take now and starts sending it; returns how many rows were
        claimed, and whether more may be waiting (the claim was cut by a cap)."""
        wanted = kind.batch_size if limit is None else limit
        room = self.global_cap - self.in_flight
        busy: frozenset[str] = frozenset()
        if kind.target_column is None:
            room = min(room, kind.target_capacity - self._in_flight_of(kind))
        else:
            busy = frozenset(
                target
                for (name, target), state in self._targets.items()
                if name == kind.name and state.in_flight >= kind.target_capacity
            )
        take = min(wanted, room)
        if take <= 0:
            return 0, True
        async with self._transaction() as session:
            claims = await claim_due(kind, session, self.settings, limit=take, busy=busy)
        for claim in claims:
            self._dispatch(kind, claim)
        return len(claims), len(claims) >= take or bool(busy)

    def _dispatch(self, kind: Kind[Any], claim: Claim[Any]) -> None:
        state = self._targets.setdefault((kind.name, claim.target), _Target())
        state.queue.append(claim)
        state.in_flight += 1
        self.in_flight += 1
        self._open_lanes(kind, claim.target, state)

    def _open_lanes(self, kind: Kind[Any], target: str, state: _Target) -> None:
        # Claims being sent count too: a lane held by a slow one must not hold back the next.
        wanted = min(kind.per_target, math.ceil(state.in_flight / kind.lane_size))
        while state.queue and state.lanes < wanted:
            state.lanes += 1
            task = asyncio.create_task(self._lane(kind, target, state))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _lane(self, kind: Kind[Any], target: str, state: _Target) -> None:
        taking = True
        try:
            async with kind.lane(target, self.settings) as send:
                while state.queue:
                    claim = state.queue.popleft()
                    try:
                        outcome = await self._attempt(kind, send, claim)
                        await self._record(kind, claim, outcome)
                    finally:
                        self._finished(kind, state)
                # Closing the lane may take a while: claims dispatched meanwhile go to a new one.
                taking = False
                state.lanes -= 1
                self._open_lanes(kind, target, state)
        except Exception as error:
            # Opening or closing the lane failed: what it would have sent is a failed attempt.
            log.exception("outbox_lane_failed", kind=kind.name, target=target)
            if taking:
                while state.queue:
                    claim = state.queue.popleft()
                    try:
                        failure = Outcome(error=f"{type(error).__name__}: {error}")
                        await self._record(kind, claim, failure)
                    finally:
                        self._finished(kind, state)
        finally:
            if taking:
                state.lanes -= 1
            key = (kind.name, target)
            if not state.lanes and not state.in_flight and self._targets.get(key) is state:
                del self._targets[key]

    def _finished(self, kind: Kind[Any], state: _Target) -> None:
        state.in_flight -= 1
        self.in_flight -= 1
        if self._on_done is not None:
            self._on_done(kind)

    async def _attempt(self, kind: Kind[Any], send: Sender[Any], claim: Claim[Any]) -> Outcome:
        try:
            return await send(claim)
        except Exception as error:  # any failure is retried: nothing is ever lost
            return Outcome(error=f"{type(error).__name__}: {error}")

    async def _record(self, kind: Kind[Any], claim: Claim[Any], outcome: Outcome) -> None:
        try:
            async with self._transaction() as session:
                await record(kind, session, claim, outcome)
        except Exception:
            # Left leased: retried as interrupted once the lease ends.
            log.exception("outbox_record_failed", kind=kind.name, id=str(claim.id))

    async def drain(self) -> None:
        """Waits until every claim sent so far is recorded."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def run_once(
    kind: Kind[Any],
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    batch_size: int | None = None,
) -> int:
    """One claim of ``kind``, sent and recorded; returns how many rows it attempted."""
    dispatcher = Dispatcher(
        sessionmaker,
        settings,
        global_cap=max(batch_size or kind.batch_size, 1),
        serialize_db=not isinstance(sessionmaker.kw.get("bind"), AsyncEngine),
    )
    claimed, _ = await dispatcher.claim(kind, limit=batch_size)
    await dispatcher.drain()
    return claimed


def listen_dsn(sessionmaker: async_sessionmaker[AsyncSession]) -> str | None:
    """The plain PostgreSQL URL of the sessionmaker's engine, for a LISTEN connection."""
    bind = sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        return None
    return bind.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _wait(event: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """Until ``event`` or ``stop`` is set, or ``seconds`` have passed."""
    waiters = [asyncio.create_task(event.wait()), asyncio.create_task(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


class Runner:
    """Claims and sends every kind until ``stop``: one task per kind, woken by notifications,
    polling every ``poll_seconds`` as the fallback."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        kinds: Sequence[Kind[Any]] | None = None,
        poll_seconds: float | None = None,
        global_cap: int = 100,
        dsn: str | None = None,
        listen_retry_seconds: float = 5.0,
    ) -> None:
        self.kinds = tuple(kinds if kinds is not None else _KINDS.values())
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.poll_seconds = settings.worker_poll_seconds if poll_seconds is None else poll_seconds
        self.dsn = dsn or listen_dsn(sessionmaker)
        self.listen_retry_seconds = listen_retry_seconds
        self.listening = asyncio.Event()
        self._wakes = {kind.name: asyncio.Event() for kind in self.kinds}
        self._saturated: dict[str, bool] = {}
        self.dispatcher = Dispatcher(
            sessionmaker, settings, global_cap=global_cap, on_done=self._done
        )

    def _done(self, kind: Kind[Any]) -> None:
        if self._saturated.get(kind.name):
            self._wakes[kind.name].set()

    def wake(self, table: str) -> None:
        for kind in self.kinds:
            if table == kind.table or table in kind.wakes_on:
                self._wakes[kind.name].set()

    async def run(self, stop: asyncio.Event, *, grace_seconds: float = 20.0) -> None:
        tasks = [asyncio.create_task(self._loop(kind, stop)) for kind in self.kinds]
        if self.dsn:
            tasks.append(asyncio.create_task(self._listen(stop)))
        try:
            await stop.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # Let the attempts in flight finish and be recorded; the rest is interrupted.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dispatcher.drain(), grace_seconds)

    async def _loop(self, kind: Kind[Any], stop: asyncio.Event) -> None:
        wake = self._wakes[kind.name]
        while not stop.is_set():
            wake.clear()
            more = False
            try:
                if kind.feed is not None:
                    await kind.feed(self.sessionmaker)
                claimed, cut = await self.dispatcher.claim(kind)
                self._saturated[kind.name] = cut
                more = claimed > 0 and cut
            except Exception:
                log.exception("outbox_claim_failed", kind=kind.name)
            if more:
                await asyncio.sleep(0)
                continue
            await _wait(wake, stop, self.poll_seconds)

    async def _listen(self, stop: asyncio.Event) -> None:
        assert self.dsn is not None
        while not stop.is_set():
            connection: asyncpg.Connection[Any] | None = None
            try:
                connection = await asyncpg.connect(self.dsn)
                await connection.add_listener(CHANNEL, self._notified)
                self.listening.set()
                for event in self._wakes.values():  # what was notified while not listening
                    event.set()
                while not stop.is_set() and not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=30)
                    if not stop.is_set():
                        await connection.execute("SELECT 1")
            except Exception as error:
                log.warning("outbox_listen_failed", error=str(error))
            finally:
                self.listening.clear()
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
            if not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.listen_retry_seconds)

    def _notified(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        self.wake(str(payload))
