"""Runtime.execute: the one write path. Lock the hall, run an engine op, write the outbox, commit, publish.

The hall row lock (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) serialises a hall's writes, so
commit order equals seq order and two windows never call the same ticket. An in-process lock in front of it
keeps waiting threads off SQLite's coarse busy-handler sleeps (p99 400 ms -> ~17 ms, docs/architecture.md).
An op on data every hall shares (guides, disclosures) runs with every_hall=True: it locks every hall, in one order
so two such ops cannot deadlock, and its events go into each hall's outbox with that hall's own seq.
Ops a caller marks `batch=True` (the clerks' and kiosks' ticket ops) are written in batches: while one thread
writes, the ops that arrive for the same hall wait in a queue, and that thread runs them after its own in the same
transaction, each in a savepoint, up to BATCH_MAX, then commits once and publishes the batch's events in seq order.
One BEGIN, hall row read and commit (and the pages they write) then serve several ops, and the waiting threads sleep
until their op is done instead of each taking the lock, the GIL and SQLite's file locks in turn: with 8 windows
calling, about an eighth more tickets served per second at a sixth less server CPU each (docs/benchmarks.md, issue
22). An op refused inside a batch is rolled back to its savepoint alone; any other failure rolls the batch back and
every op in it runs again alone, in its own thread, as if it had never waited. A batched op's `after` runs in the
writing thread, so the composition root hands in `carry`, which binds a callable to its caller's context (Flask's
request).
No Flask imports: `publish` and `carry` are callables handed in by the composition root.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import ExitStack
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from queue_server import errors
from queue_server.clock import Clock
from queue_server.events import Envelope
from queue_server.events import Outcome
from queue_server.storage import rawsql
from queue_server.storage.models import Hall
from queue_server.storage.rawsql import RawSQL
from queue_server.storage.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
# Built once: building a select per call costs more than running it (docs/benchmarks.md, issue throughput).
_ALL_HALLS = select(Hall).order_by(Hall.id)
_ALL_HALLS_LOCKED = _ALL_HALLS.with_for_update()
_SET_SEQ = "UPDATE halls SET event_seq = :seq WHERE id = :id"
_INSERT_EVENTS: dict[int, str] = {}  # by row count
_EVENTS_PER_INSERT = 500  # far below either database's limit on bound parameters (3 a row)


def _insert_events(n: int) -> str:
    """One INSERT of n outbox rows of one hall and instant: one statement for an op's events (a call has two), as
    each statement under the hall's lock lets the other request threads run first (docs/benchmarks.md, goal 1)."""
    sql = _INSERT_EVENTS.get(n)
    if sql is None:
        rows = ", ".join(f"(:hall_id, :seq{i}, :type{i}, :at, :payload{i})" for i in range(n))
        sql = _INSERT_EVENTS[n] = "INSERT INTO hall_events (hall_id, seq, type, at, payload) VALUES " + rows
    return sql


Publish = Callable[[Sequence[Envelope]], None]
Op = Callable[..., Outcome[T]]
After = Callable[[Session, Any], Any]
# Binds a callable to the calling thread's context, for another thread to run (a batched op's `after`).
Carry = Callable[[After], After]
# Ops per batch: with more, the first op's caller waits for too many others' ops before its commit.
BATCH_MAX = 8


@dataclass(frozen=True)
class Executed:
    outcome: Outcome[Any]
    envelopes: tuple[Envelope, ...]

    @property
    def value(self) -> Any:
        return self.outcome.value


def _executed(outcome: Outcome[Any], envelopes: tuple[Envelope, ...], answered: bool, extra: Any) -> Executed:
    """With an `after`, its value stands for the op's (the response built in the transaction)."""
    return Executed(Outcome(extra, outcome.events) if answered else outcome, envelopes)


def _load_hall(session: Session, code: str, *, lock: bool) -> Hall | None:
    """The hall row, read by hand: every write op starts here, and the ORM's load of this one row was a tenth of
    an issue's and of a call's CPU (rawsql.py says why)."""
    return rawsql.load(session, Hall, "WHERE m.code = :code" + (" FOR UPDATE" if lock else ""),  # type: ignore[no-any-return]
                       {"code": code})


def _no_publish(_: Sequence[Envelope]) -> None:
    return None


def _same_context(after: After) -> After:
    return after


@dataclass(eq=False)
class _Queued:
    """One caller's op waiting for a batch: the writer fills in its result or error, or asks for a `retry` alone."""

    op: Op[Any]
    hall: str
    after: After | None
    kwargs: dict[str, Any]
    carried: After | None = None  # `after` bound to the caller's context, for the writing thread
    done: threading.Event | None = None  # made only when the op waits: most ops in a quiet hall never do
    lead: bool = False  # the caller writes the next batch itself
    retry: bool = False
    result: Executed | None = None
    error: BaseException | None = None


@dataclass(eq=False)
class _Batcher:
    """The ops waiting behind the thread that writes (one per in-process lock)."""

    mutex: threading.Lock = field(default_factory=threading.Lock)
    queue: list[_Queued] = field(default_factory=list)
    writing: bool = False


class Runtime:
    def __init__(self, store: Store, clock: Clock, publish: Publish | None = None, carry: Carry | None = None,
                 ) -> None:
        self.store = store
        self.clock = clock
        self.publish: Publish = publish or _no_publish
        self.carry: Carry = carry or _same_context
        self._batchers: dict[str, _Batcher] = {}
        # SQLite has one writer for the whole file, so one lock; PostgreSQL locks per hall row, so one per hall.
        self._shared_lock = threading.Lock() if store.dialect == "sqlite" else None
        self._hall_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock_for(self, hall: str) -> threading.Lock:
        if self._shared_lock is not None:
            return self._shared_lock
        with self._guard:
            return self._hall_locks.setdefault(hall, threading.Lock())

    @contextmanager
    def _locked(self, hall: str, every_hall: bool) -> Iterator[None]:
        """The in-process lock of `hall`, or of every hall in code order (one order: no deadlock between two
        every-hall ops; a one-hall op holds one lock and waits for no other)."""
        if self._shared_lock is not None or not every_hall:
            with self._lock_for(hall):
                yield
            return
        with self.store.read_session() as session:
            codes = sorted({*session.scalars(select(Hall.code)), hall})
        with ExitStack() as stack:
            for code in codes:
                stack.enter_context(self._lock_for(code))
            yield

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A write session in a transaction, committed on success (SQLite: on the store's held connection)."""
        held = self.store.held_writer
        if held is not None:
            with held.transaction(self.store.write_session) as session:
                yield session
            return
        with self.store.write_session() as session, session.begin():
            yield session

    def _lock_halls(self, session: Session, hall: str, every_hall: bool) -> tuple[Hall, list[Hall]]:
        """The hall row (locked on PostgreSQL) and, for an every-hall op, every hall row, locked in id order."""
        postgres = self.store.dialect == "postgresql"
        if every_hall:
            rows = list(session.scalars(_ALL_HALLS_LOCKED if postgres else _ALL_HALLS))
            hall_row = next((h for h in rows if h.code == hall), None)
        else:
            hall_row = _load_hall(session, hall, lock=postgres)
            rows = [hall_row] if hall_row is not None else []
        if hall_row is None:
            raise errors.HallNotFound(hall=hall)
        return hall_row, rows

    def execute(
        self, op: Op[Any], *, hall: str, after: After | None = None, every_hall: bool = False, batch: bool = False,
        **kwargs: Any,
    ) -> Executed:
        """Run `op` for hall code `hall` in one transaction. `after(session, value)` may read inside the same
        transaction (to build a response) before commit. With `every_hall`, the op's events are written to and
        published in every hall (shared data: guides, disclosures). With `batch`, the op may share its transaction
        with other callers' batched ops of the hall (module docstring); it sees the state their ops left, as it
        would had they committed just before it. Raises HallqError; nothing is written then."""
        if every_hall or not batch:
            return self._alone(op, hall, after, every_hall, kwargs)
        item = _Queued(op, hall, after, kwargs)
        batcher = self._batcher_for(hall)
        with batcher.mutex:
            if batcher.writing:
                item.carried = self.carry(after) if after is not None else None
                item.done = threading.Event()
                batcher.queue.append(item)
            else:
                batcher.writing = item.lead = True
        if item.done is not None:
            item.done.wait()
        if item.lead:
            self._write_batches(batcher, item)
        if item.retry:
            return self._alone(op, hall, after, False, kwargs)
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result

    def _alone(self, op: Op[Any], hall: str, after: After | None, every_hall: bool,
               kwargs: dict[str, Any]) -> Executed:
        with self._locked(hall, every_hall):
            with self._transaction() as session:
                hall_row, announced_in = self._lock_halls(session, hall, every_hall)
                outcome, envelopes, extra = self._run(session, hall_row, announced_in, op, after, kwargs)
            self._publish(envelopes)
        return _executed(outcome, envelopes, after is not None, extra)

    def _publish(self, envelopes: tuple[Envelope, ...]) -> None:
        # After commit but still under the in-process lock: two writers of this process cannot publish seq n+1
        # before n, so subscribers see the hall's events in seq order.
        if envelopes:
            try:
                self.publish(envelopes)
            except Exception:  # a failed publish loses nothing: clients catch up from hall_events
                log.exception("publish failed after commit (seq %s-%s)", envelopes[0].seq, envelopes[-1].seq)

    def waiting(self, hall: str) -> int:
        """How many batched ops of `hall` wait behind the thread that writes."""
        batcher = self._batcher_for(hall)
        with batcher.mutex:
            return sum(1 for item in batcher.queue if item.hall == hall)

    def _batcher_for(self, hall: str) -> _Batcher:
        key = "" if self._shared_lock is not None else hall
        with self._guard:
            return self._batchers.setdefault(key, _Batcher())

    def _write_batches(self, batcher: _Batcher, first: _Queued) -> None:
        """Write `first`'s batch, wake the callers whose ops it held, then hand the writing to the longest
        waiting caller (another hall's op on SQLite, or one that did not fit), or stop writing."""
        held: list[_Queued] = []
        try:
            held = self._write_batch(batcher, first)
        finally:
            for item in held:
                assert item.done is not None
                item.done.set()
            with batcher.mutex:
                successor = batcher.queue.pop(0) if batcher.queue else None
                if successor is None:
                    batcher.writing = False
                else:
                    successor.lead = True
            if successor is not None:
                assert successor.done is not None
                successor.done.set()

    def _take(self, batcher: _Batcher, hall: str) -> _Queued | None:
        with batcher.mutex:
            for i, item in enumerate(batcher.queue):
                if item.hall == hall:
                    return batcher.queue.pop(i)
        return None

    def _write_batch(self, batcher: _Batcher, first: _Queued) -> list[_Queued]:
        """`first`'s op, then the hall's waiting ops, in one transaction; returns the other callers' items, each
        with its result, its error or a retry. `first`'s own refusal or failure is raised, as without a batch."""
        written: list[tuple[_Queued, Outcome[Any], tuple[Envelope, ...], Any]] = []
        refused: list[_Queued] = []
        item = first
        with self._lock_for(first.hall):
            try:
                with self._transaction() as session:
                    hall_row, announced_in = self._lock_halls(session, first.hall, False)
                    fresh = dict(session.info)  # as each op of the batch starts (below)
                    while True:
                        after = item.after if item is first else item.carried
                        # The first op needs no savepoint: its refusal rolls back the whole transaction.
                        savepoint = None if item is first else session.begin_nested()
                        try:
                            ran = self._run(session, hall_row, announced_in, item.op, after, item.kwargs)
                            written.append((item, *ran))
                            if savepoint is not None:
                                savepoint.commit()
                        except errors.HallqError as refusal:
                            if savepoint is None:
                                raise
                            savepoint.rollback()
                            session.expire(hall_row)  # its event_seq as the database has it again
                            item.error = refusal
                            refused.append(item)
                        if len(written) + len(refused) >= BATCH_MAX:
                            break
                        following = self._take(batcher, first.hall)
                        if following is None:
                            break
                        item = following
                        # The next op starts as it would in a transaction of its own: no object or memo of the
                        # ops before it (they may have changed rows behind an object's back), the hall row kept.
                        session.expunge_all()
                        session.add(hall_row)
                        session.info.clear()
                        session.info.update(fresh)
            except BaseException:
                others = [w[0] for w in written if w[0] is not first] + refused
                if item is not first and item not in others:
                    others.append(item)
                if item is first:
                    raise  # first's own op failed: nothing else ran (as without a batch)
                for other in others:  # nothing was committed: each op runs again, alone, in its caller's thread
                    other.retry, other.error = True, None
                first.retry = True
                return others
            self._publish(tuple(e for w in written for e in w[2]))
        for queued, outcome, envelopes, extra in written:
            queued.result = _executed(outcome, envelopes, queued.after is not None, extra)
        return [w[0] for w in written if w[0] is not first] + refused

    def _run(self, session: Session, hall_row: Hall, announced_in: list[Hall], op: Op[Any], after: After | None,
             kwargs: dict[str, Any]) -> tuple[Outcome[Any], tuple[Envelope, ...], Any]:
        """The op, its events in the outbox of each hall it is announced in, then its `after`."""
        outcome = op(session, self.clock, hall=hall_row, **kwargs)
        envelopes = tuple(e for h in announced_in for e in self._stamp(session, h, outcome))
        extra = after(session, outcome.value) if after is not None else None
        RawSQL.of(session).sync()  # written before the next op forgets its objects
        return outcome, envelopes, extra

    def _stamp(self, session: Session, hall: Hall, outcome: Outcome[Any]) -> tuple[Envelope, ...]:
        if not outcome.events:
            return ()
        at = self.clock.now()
        out = []
        seq = hall.event_seq
        for event in outcome.events:
            seq += 1
            out.append(Envelope(seq=seq, type=event.type, hall=hall.code, at=at, data=dict(event.data)))
        raw = RawSQL.of(session)
        stamp = raw.stamp(at)
        for start in range(0, len(out), _EVENTS_PER_INSERT):
            chunk = out[start:start + _EVENTS_PER_INSERT]
            params: dict[str, Any] = {"hall_id": hall.id, "at": stamp}
            for i, e in enumerate(chunk):
                params[f"seq{i}"], params[f"type{i}"], params[f"payload{i}"] = e.seq, e.type, raw.as_json(e.data)
            raw.execute(_insert_events(len(chunk)), params)
        raw.execute(_SET_SEQ, {"seq": seq, "id": hall.id})
        # Written above already: the ORM must not write it again, and must not think it stale.
        set_committed_value(hall, "event_seq", seq)
        return tuple(out)
