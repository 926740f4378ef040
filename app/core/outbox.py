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
   flight in a runner, so one slow target only ever slows itself. A target that answers quickly
   may have more claims waiting in its lanes (``queue_ahead`` of work at its recent pace), so one
   claiming transaction feeds many sends; a claim that waited is sent only while its lease still
   outlasts ``send_timeout``, else it is given back unsent (no attempt counted).
3. **record**, in another short transaction, only for rows still holding the same lease: the
   outcome, and the next attempt per the kind's ``RetryPolicy`` (or the final failure). Outcomes
   that arrive while one batch is being written are written together in the next (one
   transaction, one locking SELECT and one UPDATE per batch).

``Runner`` runs one claiming loop per kind as its own asyncio task, and one feeding loop for a
kind with a ``feed``. It polls, and listens on the ``outbox`` channel (a dedicated asyncpg
connection): a trigger on each outbox table issues ``pg_notify('outbox', <table>)`` in the
enqueuing transaction, so a new row is sent at once; a notification from one of ``wakes_on``
wakes the kind's feed, which wakes its claiming loop when it queued something. A claim cut short
(by the batch size, or by a target's cap, which leaves its other due rows unclaimed) makes the
loop claim again as soon as a send finishes.
"""

import asyncio
import contextlib
import math
import random
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import asyncpg
import structlog
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.core import clock
from app.core.settings import Settings

log = structlog.get_logger("app.outbox")

CHANNEL = "outbox"
INTERRUPTED = "interrupted"
SCAN_FACTOR = 2
"""Due rows looked at per row wanted (some targets may have no room for theirs)."""
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
    sent: bool = True
    """False when the claim was given back unsent: the row is due again, no attempt counted."""

    @property
    def succeeded(self) -> bool:
        return self.error is None


UNSENT = Outcome(sent=False)


@dataclass(frozen=True)
class Claim(Generic[P]):
    kind: str
    id: uuid.UUID
    lease_token: uuid.UUID
    target: str
    attempt: int
    """This attempt's number (1 for the first)."""
    payload: P
    lease_ends: datetime | None = None
    """When the row is due again should this claim never be recorded."""


Sender = Callable[[Claim[P]], Awaitable[Outcome]]
Recorded = Callable[[AsyncSession, Any, Claim[P], Outcome, datetime], Awaitable[None]]
RecordedMany = Callable[
    [AsyncSession, Sequence[tuple[Any, Claim[P], Outcome]], datetime], Awaitable[None]
]


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
    on_recorded_many: RecordedMany[P] | None = None
    """Instead of ``on_recorded``: once per recorded batch, with each row, claim and outcome."""
    feed: Callable[[async_sessionmaker[AsyncSession]], Awaitable[int]] | None = None
    """Turns other tables' rows into this kind's (webhooks: fanning events out into
    deliveries); the runner calls it when one of ``wakes_on`` notifies, and at each poll."""
    wakes_on: tuple[str, ...] = ()
    """Tables besides its own whose notifications wake the kind's ``feed``."""
    error_max_length: int = 2000
    send_timeout: timedelta | None = None
    """The longest one send may take; with it, a claim is sent only while its lease outlasts it,
    and a quick target may have claims queued ahead (``queue_ahead``)."""
    queue_ahead: timedelta = timedelta(0)
    """How much work, at a target's recent pace, may wait in its lanes beyond one claim per lane
    (0: never more than ``per_target * lane_size`` claims per target)."""
    linger: timedelta = timedelta(0)
    """How long an idle lane stays open for the next claim (webhooks: the connection is kept)."""

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    @property
    def target_capacity(self) -> int:
        return self.per_target * self.lane_size

    def capacity(self, pace: float | None) -> int:
        """Claims one target may hold at once, when one send to it has lately taken ``pace``
        seconds (None: not known yet)."""
        if pace is None or self.send_timeout is None or not self.queue_ahead:
            return self.target_capacity
        per_lane = int(self.queue_ahead.total_seconds() / max(pace, 1e-3))
        return max(self.target_capacity, min(self.batch_size, self.per_target * per_lane))


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
    room: Mapping[str, int] | None = None,
) -> list[Claim[P]]:
    """Leases up to ``limit`` due rows of ``kind`` (none for the ``busy`` targets, at most
    ``room[target]`` for a target listed there, at most ``target_capacity`` for any other) in
    ``session``'s transaction; the caller commits."""
    if limit <= 0:
        return []
    model = kind.model
    now = clock.now()
    due = [model.status == kind.pending, model.next_attempt_at <= now, *kind.claimable()]
    scan = limit
    if kind.target_column is not None:
        column = kind.target_column
        if busy:
            due.append(column.not_in([column.type.python_type(value) for value in busy]))
        scan = limit * SCAN_FACTOR
    # The rows are locked as they are scanned (a concurrent claim skips them, rather than
    # ranking the same rows and finding them taken); those not claimed are free at commit.
    rows = (
        await session.scalars(
            select(model)
            .where(*due)
            .order_by(model.next_attempt_at)
            .limit(scan)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if kind.target_column is not None:
        rows = _within_capacity(kind, rows, limit, room or {})
    claimed = []
    lease_ends = now + kind.lease
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
        row.next_attempt_at = lease_ends
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
            lease_ends=lease_ends,
        )
        for row, payload in zip(claimed, payloads, strict=True)
    ]


def _within_capacity(
    kind: Kind[Any], rows: Sequence[Any], limit: int, room: Mapping[str, int]
) -> list[Any]:
    """Up to ``limit`` of ``rows`` (oldest first), at most what each target has room for."""
    taken: Counter[str] = Counter()
    chosen = []
    for row in rows:
        target = str(getattr(row, kind.target_column.key))
        if taken[target] < room.get(target, kind.target_capacity):
            taken[target] += 1
            chosen.append(row)
            if len(chosen) == limit:
                break
    return chosen


async def record(kind: Kind[P], session: AsyncSession, claim: Claim[P], outcome: Outcome) -> bool:
    """Writes ``outcome`` for ``claim`` when its row still holds the claim's lease; False when
    the lease was lost (the row was taken over or deleted meanwhile)."""
    [recorded] = await record_many(kind, session, [(claim, outcome)])
    return recorded


async def record_many(
    kind: Kind[P], session: AsyncSession, outcomes: Sequence[tuple[Claim[P], Outcome]]
) -> list[bool]:
    """Writes each claim's own outcome, for the rows still holding the claim's lease (one
    locking SELECT, the updates flushed together); per claim, whether it was written."""
    model = kind.model
    ids = sorted({claim.id for claim, _ in outcomes})  # one lock order: no deadlock
    rows = {
        row.id: row
        for row in await session.scalars(
            select(model).where(model.id.in_(ids)).order_by(model.id).with_for_update()
        )
    }
    now = clock.now()
    written: list[bool] = []
    attempted: list[tuple[Any, Claim[P], Outcome]] = []
    for claim, outcome in outcomes:
        row = rows.get(claim.id)
        if row is None or row.lease_token != claim.lease_token:
            log.warning("outbox_lease_lost", kind=kind.name, id=str(claim.id))
            written.append(False)
            continue
        written.append(True)
        row.lease_token = None
        if not outcome.sent:
            row.next_attempt_at = now
            continue
        row.attempts += 1
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
        attempted.append((row, claim, outcome))
    if attempted and kind.on_recorded_many is not None:
        await kind.on_recorded_many(session, attempted, now)
    elif kind.on_recorded is not None:
        for row, claim, outcome in attempted:
            await kind.on_recorded(session, row, claim, outcome, now)
    return written


@dataclass
class _Target:
    queue: deque[Claim[Any]] = field(default_factory=deque)
    in_flight: int = 0
    """Claims queued or being sent."""
    lanes: int = 0
    pace: float | None = None
    """Seconds one send took lately (a moving average)."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when a claim is queued: wakes a lingering lane."""


class Dispatcher:
    """Sends claims on lanes per target; records outcomes in batches, one transaction each."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        global_cap: int = 100,
        serialize_db: bool = False,
        on_done: Callable[[Kind[Any]], None] | None = None,
        record_batch: int = 500,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.global_cap = global_cap
        self.record_batch = record_batch
        self.in_flight = 0
        """Claims not recorded yet."""
        self._targets: dict[tuple[str, str], _Target] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._outcomes: dict[str, list[tuple[Claim[Any], Outcome]]] = {}
        self._recorders: dict[str, asyncio.Task[None]] = {}
        self._closing = False
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
        take = min(wanted, self.global_cap - self.in_flight)
        busy: frozenset[str] = frozenset()
        room: dict[str, int] = {}
        if kind.target_column is None:
            take = min(take, kind.target_capacity - self._in_flight_of(kind))
        else:
            for (name, target), state in self._targets.items():
                if name == kind.name:
                    room[target] = kind.capacity(state.pace) - state.in_flight
            busy = frozenset(target for target, n in room.items() if n <= 0)
        if take <= 0:
            return 0, True
        async with self._transaction() as session:
            claims = await claim_due(kind, session, self.settings, limit=take, busy=busy, room=room)
        for claim in claims:
            self._dispatch(kind, claim)
        # A target filled by this claim may have had more due rows, left unclaimed: "more may be
        # waiting", so that a send finished wakes the next claim (not the next poll).
        full = kind.target_column is not None and any(
            state.in_flight >= kind.capacity(state.pace)
            for (name, _), state in self._targets.items()
            if name == kind.name
        )
        return len(claims), len(claims) >= take or bool(busy) or full

    def _dispatch(self, kind: Kind[Any], claim: Claim[Any]) -> None:
        state = self._targets.setdefault((kind.name, claim.target), _Target())
        state.queue.append(claim)
        state.in_flight += 1
        self.in_flight += 1
        state.arrived.set()
        self._open_lanes(kind, claim.target, state)

    def _open_lanes(self, kind: Kind[Any], target: str, state: _Target) -> None:
        # Claims being sent count too: a lane held by a slow one must not hold back the next.
        wanted = min(kind.per_target, math.ceil(state.in_flight / kind.lane_size))
        while state.queue and state.lanes < wanted:
            state.lanes += 1
            self._spawn(self._lane(kind, target, state))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _lane(self, kind: Kind[Any], target: str, state: _Target) -> None:
        taking = True
        try:
            async with kind.lane(target, self.settings) as send:
                while state.queue or await self._linger(kind, state):
                    claim = state.queue.popleft()
                    try:
                        outcome = await self._attempt(kind, send, claim, state)
                    except BaseException:
                        # Cancelled mid-send: left leased, so counted as interrupted later.
                        self._abandon(state)
                        raise
                    self._sent(kind, state, claim, outcome)
                # Closing the lane may take a while: claims dispatched meanwhile go to a new one.
                taking = False
                state.lanes -= 1
                self._open_lanes(kind, target, state)
        except Exception as error:
            # Opening or closing the lane failed: what it would have sent is a failed attempt.
            log.exception("outbox_lane_failed", kind=kind.name, target=target)
            if taking:
                failure = Outcome(error=f"{type(error).__name__}: {error}")
                while state.queue:
                    self._sent(kind, state, state.queue.popleft(), failure)
        finally:
            if taking:
                state.lanes -= 1
            key = (kind.name, target)
            if not state.lanes and not state.in_flight and self._targets.get(key) is state:
                del self._targets[key]

    async def _linger(self, kind: Kind[Any], state: _Target) -> bool:
        """Waits up to ``kind.linger`` for a claim to send; whether one is queued."""
        deadline = time.monotonic() + kind.linger.total_seconds()
        while not state.queue and not self._closing:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            state.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.arrived.wait(), left)
        return bool(state.queue)

    async def _attempt(
        self, kind: Kind[Any], send: Sender[Any], claim: Claim[Any], state: _Target
    ) -> Outcome:
        if (
            kind.send_timeout is not None
            and claim.lease_ends is not None
            and claim.lease_ends - clock.now() < kind.send_timeout
        ):
            # It waited too long in the lane: sent now, it could outlive its lease and be sent
            # twice. It goes back unsent.
            log.info("outbox_claim_given_back", kind=kind.name, id=str(claim.id))
            return UNSENT
        started = time.monotonic()
        try:
            return await send(claim)
        except Exception as error:  # any failure is retried: nothing is ever lost
            return Outcome(error=f"{type(error).__name__}: {error}")
        finally:
            took = time.monotonic() - started
            state.pace = took if state.pace is None else 0.7 * state.pace + 0.3 * took

    def _abandon(self, state: _Target) -> None:
        state.in_flight -= 1
        self.in_flight -= 1

    def _sent(self, kind: Kind[Any], state: _Target, claim: Claim[Any], outcome: Outcome) -> None:
        """The target has one request less in flight; the outcome waits for the recorder."""
        state.in_flight -= 1
        self._outcomes.setdefault(kind.name, []).append((claim, outcome))
        if kind.name not in self._recorders:
            self._recorders[kind.name] = self._spawn(self._recorder(kind))
        if self._on_done is not None:
            self._on_done(kind)

    async def _recorder(self, kind: Kind[Any]) -> None:
        """Writes the outcomes waiting for ``kind``, a batch per transaction, until none is."""
        try:
            while pending := self._outcomes.get(kind.name):
                batch = pending[: self.record_batch]
                del pending[: self.record_batch]
                try:
                    async with self._transaction() as session:
                        await record_many(kind, session, batch)
                except Exception:
                    # Left leased: retried as interrupted once the lease ends.
                    log.exception("outbox_record_failed", kind=kind.name, count=len(batch))
                finally:
                    self.in_flight -= len(batch)
                    if self._on_done is not None:
                        self._on_done(kind)
        finally:
            del self._recorders[kind.name]

    async def drain(self) -> None:
        """Waits until every claim sent so far is recorded (idle lanes close at once)."""
        self._closing = True
        for state in self._targets.values():
            state.arrived.set()
        try:
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        finally:
            self._closing = False


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
    """Claims and sends every kind until ``stop``: one task per kind (and one per kind's feed),
    woken by notifications, polling every ``poll_seconds`` as the fallback."""

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
        self._feeds = {kind.name: asyncio.Event() for kind in self.kinds if kind.feed is not None}
        self._saturated: dict[str, bool] = {}
        self.dispatcher = Dispatcher(
            sessionmaker, settings, global_cap=global_cap, on_done=self._done
        )

    def _done(self, kind: Kind[Any]) -> None:
        if self._saturated.get(kind.name):
            self._wakes[kind.name].set()

    def wake(self, table: str) -> None:
        for kind in self.kinds:
            if table == kind.table:
                self._wakes[kind.name].set()
            elif table in kind.wakes_on:
                self._feeds.get(kind.name, self._wakes[kind.name]).set()

    async def run(self, stop: asyncio.Event, *, grace_seconds: float = 20.0) -> None:
        tasks = [asyncio.create_task(self._loop(kind, stop)) for kind in self.kinds]
        tasks += [asyncio.create_task(self._feed(kind, stop)) for kind in self.kinds if kind.feed]
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
                claimed, cut = await self.dispatcher.claim(kind)
                self._saturated[kind.name] = cut
                more = claimed > 0 and cut
            except Exception:
                log.exception("outbox_claim_failed", kind=kind.name)
            if more:
                await asyncio.sleep(0)
                continue
            await _wait(wake, stop, self.poll_seconds)

    async def _feed(self, kind: Kind[Any], stop: asyncio.Event) -> None:
        """Runs ``kind.feed`` when notified (and at each poll), again at once while it finds
        work; what it queued wakes the kind's claiming loop."""
        assert kind.feed is not None
        wake = self._feeds[kind.name]
        while not stop.is_set():
            wake.clear()
            fed = 0
            try:
                fed = await kind.feed(self.sessionmaker)
            except Exception:
                log.exception("outbox_feed_failed", kind=kind.name)
            if fed:
                self._wakes[kind.name].set()
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
                for event in (*self._wakes.values(), *self._feeds.values()):
                    event.set()  # what was notified while not listening
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
