"""Property tests (hypothesis) of the queue invariants on SQLite: gap-free unique numbers, nobody called twice,
FIFO within a class, no starvation under the priority ratio, transfers keep number and queue time, and the
business day turning at local midnight (or the hall's rollover time).

Each example builds a fresh hall (a unique hall code) inside one module-wide database, with its own FrozenClock,
so examples never see each other's tickets and the suite stays fast.
"""

from __future__ import annotations

import itertools
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from sqlalchemy import text

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import START
from tests.engine.desk import Desk

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_halls = itertools.count(1)


@pytest.fixture(scope="module")
def prop_store(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path = tmp_path_factory.mktemp("properties") / "hallq.db"
    shutil.copy(sqlite_template, path)
    store = make_store(f"sqlite:///{path}")
    yield store
    store.dispose()


def fresh_hall(store: Store, at: datetime = START, **hall_fields: Any) -> tuple[Desk, FrozenClock]:
    """Hall pN: services a and b, priority laonian; window 1 serves a and b, window 2 serves b."""
    code = f"p{next(_halls)}"
    with store.transaction() as s:
        h = factories.hall(s, code, **hall_fields)
        a = factories.service(s, h, "a", "A")
        b = factories.service(s, h, "b", "B")
        factories.priority(s, h, "laonian", 3)
        factories.window(s, h, 1, [a, b])
        factories.window(s, h, 2, [b])
    clock = FrozenClock(at)
    return Desk(Runtime(store, clock), code), clock


SERVES = {1: {"a", "b"}, 2: {"b"}}
OTHER = {"a": "b", "b": "a"}


@dataclass
class Model:
    """What the queue should hold: waiting tickets by id, and the ticket at each window."""

    waiting: dict[int, tuple[str, int, datetime]] = field(default_factory=dict)  # id -> service, weight, queued
    at_window: dict[int, int | None] = field(default_factory=lambda: {1: None, 2: None})
    issued: dict[int, tuple[str, datetime]] = field(default_factory=dict)  # id -> ticket_no, queued_at
    called: list[int] = field(default_factory=list)
    service_of: dict[int, str] = field(default_factory=dict)
    day_of: dict[int, date] = field(default_factory=dict)
    issued_on: set[tuple[str, date]] = field(default_factory=set)

    def expire_before(self, today: date) -> None:
        """The engine expires earlier days' waiting tickets on a service's first issue of the day and on call."""
        for ticket_id in [i for i in self.waiting if self.day_of[i] < today]:
            del self.waiting[ticket_id]

    def issue(self, desk: Desk, service: str, priority: bool = False) -> None:
        ticket = desk.issue(service, priority_code="laonian" if priority else None)
        self.day_of[ticket.id] = ticket.service_on
        if (service, ticket.service_on) not in self.issued_on:
            self.issued_on.add((service, ticket.service_on))
            self.expire_before(ticket.service_on)
        self.waiting[ticket.id] = (service, ticket.priority_weight, ticket.queued_at)
        self.issued[ticket.id] = (ticket.ticket_no, ticket.queued_at)
        self.service_of[ticket.id] = service

    def call(self, desk: Desk, window: int) -> None:
        if self.at_window[window] is not None:
            return
        ticket = desk.call(window)
        self.expire_before(desk.today())
        callable_here = [i for i, (svc, _, _) in self.waiting.items() if svc in SERVES[window]]
        if ticket is None:
            assert callable_here == [], "a window found nobody while its services had waiting tickets"
            return
        assert ticket.id in callable_here, "called a ticket that was not waiting for this window"
        service, weight, queued = self.waiting.pop(ticket.id)
        same_class = [(q, i) for i, (svc, w, q) in self.waiting.items() if (svc, w) == (service, weight)]
        assert all((queued, ticket.id) < other for other in same_class), "FIFO broken within a class"
        self.at_window[window] = ticket.id
        self.called.append(ticket.id)

    def finish(self, desk: Desk, window: int) -> None:
        ticket_id = self.at_window[window]
        if ticket_id is not None:
            desk.do(engine.finish, ticket_id=ticket_id)
            self.at_window[window] = None

    def transfer(self, desk: Desk, window: int) -> None:
        ticket_id = self.at_window[window]
        if ticket_id is None:
            return
        service = OTHER[self.service_of[ticket_id]]
        moved = desk.do(engine.transfer, ticket_id=ticket_id, service_code=service)
        self.waiting[ticket_id] = (service, moved.priority_weight, moved.queued_at)
        self.service_of[ticket_id] = service
        self.at_window[window] = None

    def cancel(self, desk: Desk, pick: int) -> None:
        if self.waiting:
            ticket_id = sorted(self.waiting)[pick % len(self.waiting)]
            desk.do(engine.cancel, ticket_id=ticket_id)
            del self.waiting[ticket_id]


ISSUE = st.tuples(st.just("issue"), st.sampled_from(["a", "b"]), st.booleans())
CALL = st.tuples(st.just("call"), st.sampled_from([1, 2]))
OPS = st.lists(
    st.one_of(
        ISSUE, ISSUE, CALL, CALL,  # listed twice: twice as likely, so queues build up and drain
        st.tuples(st.just("finish"), st.sampled_from([1, 2])),
        st.tuples(st.just("transfer"), st.sampled_from([1, 2])),
        st.tuples(st.just("cancel"), st.integers(0, 40)),
        st.tuples(st.just("wait"), st.integers(1, 900)),
        st.tuples(st.just("night"), st.integers(8, 16)),
    ),
    min_size=10,
    max_size=40,
)


def run(desk: Desk, clock: FrozenClock, ops: list[tuple[Any, ...]]) -> Model:
    model = Model()
    for op, *args in ops:
        if op == "issue":
            model.issue(desk, args[0], args[1])
        elif op == "wait":
            clock.advance(seconds=args[0])
        elif op == "night":
            clock.advance(hours=args[0])
        else:
            getattr(model, op)(desk, args[0])
    return model


@SETTINGS
@given(ops=OPS)
def test_numbers_stay_unique_and_gap_free_and_nobody_is_called_twice(
    prop_store: Store, ops: list[tuple[Any, ...]]
) -> None:
    desk, clock = fresh_hall(prop_store)

    model = run(desk, clock, ops)

    tickets = desk.tickets()
    by_day: dict[tuple[int, date], list[int]] = defaultdict(list)
    for t in tickets:
        by_day[(t.original_service_id, t.service_on)].append(t.seq)
    for seqs in by_day.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1))
    numbers = [(t.service_on, t.ticket_no) for t in tickets]
    assert len(numbers) == len(set(numbers))
    for t in tickets:
        assert (t.ticket_no, t.queued_at) == model.issued[t.id], "a transfer changed the number or queue time"
    assert {t.id for t in tickets if t.status == "waiting"} == set(model.waiting)
    # The counts the database keeps (migration 0026's triggers) are the queue's, whatever the ops did.
    with prop_store.read_session() as s:
        hall = {"c": desk.code}
        kept = {int(sid): int(n) for sid, n in s.execute(text(
            "SELECT q.service_id, q.waiting FROM queue_counts q JOIN halls h ON h.id = q.hall_id WHERE h.code = :c"),
            hall)}
        services = [int(sid) for sid in s.scalars(text(
            "SELECT s.id FROM services s JOIN halls h ON h.id = s.hall_id WHERE h.code = :c"), hall)]
    assert kept == {sid: sum(1 for t in tickets if t.status == "waiting" and t.service_id == sid) for sid in services}


@SETTINGS
@given(ops=OPS)
def test_fifo_holds_within_a_service_and_priority_class(prop_store: Store, ops: list[tuple[Any, ...]]) -> None:
    desk, clock = fresh_hall(prop_store, escalation_min=10)

    model = run(desk, clock, [op for op in ops if op[0] not in {"transfer", "night"}])

    assert len(model.called) == len(set(model.called))


@settings(max_examples=30, deadline=None)
@given(
    ratio=st.integers(1, 4),
    steps=st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 1200)), min_size=6, max_size=12),
)
def test_priority_ratio_never_starves_either_class(
    prop_store: Store, ratio: int, steps: list[tuple[bool, bool, int]]
) -> None:
    desk, clock = fresh_hall(prop_store, priority_ratio=ratio, escalation_min=15)
    waiting = {True: 0, False: 0}
    classes = []

    for extra_priority, extra_normal, seconds in steps:
        for is_priority, extra in ((True, extra_priority), (False, extra_normal)):
            for _ in range(int(extra) + (1 if waiting[is_priority] == 0 else 0)):
                desk.issue("a", priority_code="laonian" if is_priority else None)
                waiting[is_priority] += 1
        clock.advance(seconds=seconds)
        called = desk.call(1)
        assert called is not None
        is_priority = called.priority_weight > 0
        waiting[is_priority] -= 1
        classes.append("P" if is_priority else "N")
        desk.finish(called)

    expected = [("P" if (i + 1) % (ratio + 1) == 0 else "N") for i in range(len(classes))]
    assert classes == expected


@settings(max_examples=30, deadline=None)
@given(
    rollover=st.sampled_from([time(0, 0), time(3, 0)]),
    before=st.integers(1, 4),
    after=st.integers(1, 4),
    margin=st.integers(1, 3600),
)
def test_numbering_restarts_at_the_local_rollover_and_history_is_kept(
    prop_store: Store, rollover: time, before: int, after: int, margin: int
) -> None:
    # Asia/Shanghai is UTC+8: local midnight is 16:00 UTC, a 03:00 rollover is 19:00 UTC.
    boundary = datetime(2026, 3, 2, 16 + rollover.hour, 0, tzinfo=UTC)
    desk, clock = fresh_hall(prop_store, at=boundary - timedelta(hours=2), day_rollover=rollover)
    desk.issue("a")
    clock.set(boundary - timedelta(seconds=margin))
    late = [desk.issue("a") for _ in range(before)]
    clock.set(boundary + timedelta(seconds=margin - 1))

    early = [desk.issue("a") for _ in range(after)]

    assert [t.ticket_no for t in late] == [f"A{n:03d}" for n in range(2, before + 2)]
    assert [t.ticket_no for t in early] == [f"A{n:03d}" for n in range(1, after + 1)]
    assert {t.service_on for t in late} == {date(2026, 3, 2)}
    assert {t.service_on for t in early} == {date(2026, 3, 3)}
    assert len(desk.tickets()) == 1 + before + after
