"""Runtime.execute: the one write path. Lock the hall, run an engine op, write the outbox, commit, publish.

The hall row lock (SELECT ... FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite) serialises a hall's writes, so
commit order equals seq order and two windows never call the same ticket. An in-process lock in front of it
keeps waiting threads off SQLite's coarse busy-handler sleeps (p99 400 ms -> ~17 ms, docs/architecture.md).
An op on data every hall shares (guides, disclosures) runs with every_hall=True: it locks every hall, in one order
so two such ops cannot deadlock, and its events go into each hall's outbox with that hall's own seq.
No Flask imports: `publish` is a callable handed in by the composition root.
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


@dataclass(frozen=True)
class Executed:
    outcome: Outcome[Any]
    envelopes: tuple[Envelope, ...]

    @property
    def value(self) -> Any:
        return self.outcome.value


def _load_hall(session: Session, code: str, *, lock: bool) -> Hall | None:
    """The hall row, read by hand: every write op starts here, and the ORM's load of this one row was a tenth of
    an issue's and of a call's CPU (rawsql.py says why)."""
    return rawsql.load(session, Hall, "WHERE m.code = :code" + (" FOR UPDATE" if lock else ""),  # type: ignore[no-any-return]
                       {"code": code})


def _no_publish(_: Sequence[Envelope]) -> None:
    return None


class Runtime:
    def __init__(self, store: Store, clock: Clock, publish: Publish | None = None) -> None:
        self.store = store
        self.clock = clock
        self.publish: Publish = publish or _no_publish
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
        self, op: Op[Any], *, hall: str, after: Callable[[Session, Any], Any] | None = None, every_hall: bool = False,
        **kwargs: Any,
    ) -> Executed:
        """Run `op` for hall code `hall` in one transaction. `after(session, value)` may read inside the same
        transaction (to build a response) before commit. With `every_hall`, the op's events are written to and
        published in every hall (shared data: guides, disclosures). Raises HallqError; nothing is written then."""
        with self._locked(hall, every_hall):
            with self._transaction() as session:
                hall_row, announced_in = self._lock_halls(session, hall, every_hall)
                outcome = op(session, self.clock, hall=hall_row, **kwargs)
                envelopes = tuple(e for h in announced_in for e in self._stamp(session, h, outcome))
                extra = after(session, outcome.value) if after is not None else None
            # Publish after commit but still under the in-process lock: two writers of this process cannot
            # publish seq n+1 before n, so subscribers see the hall's events in seq order.
            if envelopes:
                try:
                    self.publish(envelopes)
                except Exception:  # a failed publish loses nothing: clients catch up from hall_events
                    log.exception("publish failed after commit (seq %s-%s)", envelopes[0].seq, envelopes[-1].seq)
        if after is not None:
            return Executed(Outcome(extra, outcome.events), envelopes)
        return Executed(outcome, envelopes)

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
