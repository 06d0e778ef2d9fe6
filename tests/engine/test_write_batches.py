"""Batched writes (storage/runtime.py): ops that arrive while another is being written share its transaction.

Each test holds the writer inside its first op until the other callers' ops wait behind it, so the batch is formed
for certain, then lets it go. Both databases."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server.clock import Clock
from queue_server.events import Outcome
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Ticket
from queue_server.storage.runtime import BATCH_MAX
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder

HALL = "t1"


def setup_hall(store: Store) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        for n in (1, 2, 3):
            factories.window(s, h, n, [a])


def issue(session: Session, clock: Clock, **kwargs: Any) -> Outcome[Any]:
    return engine.issue_ticket(session, clock, service_code="a", **kwargs)


class Writer:
    """Runs batched ops of hall t1 in threads, the first held open inside its transaction until `release`."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._entered = threading.Event()
        self._open = threading.Event()
        self._threads: list[threading.Thread] = []
        self.results: dict[str, Any] = {}

    def _run(self, name: str, op: Callable[..., Outcome[Any]], after: Any = None) -> None:
        try:
            self.results[name] = self.runtime.execute(op, hall=HALL, batch=True, after=after)
        except BaseException as e:  # noqa: BLE001 - the test asserts on what each caller got
            self.results[name] = e

    def start(self, name: str, op: Callable[..., Outcome[Any]], after: Any = None) -> None:
        thread = threading.Thread(target=self._run, args=(name, op, after), name=name)
        self._threads.append(thread)
        thread.start()

    def hold(self) -> None:
        """Start the first op, which waits inside the writer's transaction."""

        def held(session: Session, clock: Clock, **kwargs: Any) -> Outcome[Any]:
            self._entered.set()
            assert self._open.wait(30)
            return issue(session, clock, **kwargs)

        self.start("first", held)
        assert self._entered.wait(30)

    def enqueue(self, name: str, op: Callable[..., Outcome[Any]], after: Any = None) -> None:
        """Start the op and wait until it waits behind the writer."""
        before = self.runtime.waiting(HALL)
        self.start(name, op, after)
        deadline = time.monotonic() + 30
        while self.runtime.waiting(HALL) == before:
            assert time.monotonic() < deadline, f"{name} never queued"
            time.sleep(0.001)

    def queue(self, ops: dict[str, Callable[..., Outcome[Any]]]) -> None:
        """Start each op and wait until all of them wait behind the writer, in this order."""
        for name, op in ops.items():
            self.enqueue(name, op)

    def release(self) -> dict[str, Any]:
        self._open.set()
        for thread in self._threads:
            thread.join(30)
            assert not thread.is_alive()
        return self.results


@contextmanager
def counted_commits(store: Store) -> Iterator[list[int]]:
    commits: list[int] = []

    def on_commit(_conn: Any) -> None:
        commits.append(1)

    event.listen(store.writer, "commit", on_commit)
    try:
        yield commits
    finally:
        event.remove(store.writer, "commit", on_commit)


def seqs(store: Store) -> list[int]:
    with store.read_session() as s:
        return list(s.scalars(select(HallEvent.seq).order_by(HallEvent.seq)))


def numbers(store: Store) -> list[str]:
    with store.read_session() as s:
        return list(s.scalars(select(Ticket.ticket_no).order_by(Ticket.id)))


def test_ops_arriving_during_a_write_share_its_commit_and_each_caller_gets_its_own_result(
    store: Store, runtime: Runtime, published: Recorder
) -> None:
    setup_hall(store)
    writer = Writer(runtime)
    writer.hold()
    writer.queue({"second": issue, "third": issue, "call": lambda s, c, **k: engine.call_next(s, c, window_number=2,
                                                                                               **k)})
    with counted_commits(store) as commits:
        results = writer.release()

    assert len(commits) == 1
    assert numbers(store) == ["A001", "A002", "A003"]
    assert [results[n].value.ticket.ticket_no for n in ("first", "second", "third")] == ["A001", "A002", "A003"]
    assert results["call"].value.ticket_no == "A001"  # the call saw the tickets issued before it in the batch
    stored = seqs(store)
    assert stored == list(range(1, len(stored) + 1))  # gap-free
    assert [e.seq for e in published.envelopes] == stored  # published once each, in seq order


def test_a_refused_op_in_a_batch_is_undone_alone_and_takes_no_seq(store: Store, runtime: Runtime) -> None:
    setup_hall(store)

    def issue_then_refuse(session: Session, clock: Clock, **kwargs: Any) -> Outcome[Any]:
        issue(session, clock, **kwargs)  # written, then undone with the refusal
        raise errors.WindowNotFound(window=9)

    writer = Writer(runtime)
    writer.hold()
    writer.queue({"refused": issue_then_refuse, "after": issue})
    results = writer.release()

    assert isinstance(results["refused"], errors.WindowNotFound)
    assert [results[n].value.ticket.ticket_no for n in ("first", "after")] == ["A001", "A002"]
    assert numbers(store) == ["A001", "A002"]
    stored = seqs(store)
    assert stored == list(range(1, len(stored) + 1))
    assert [e.seq for e in results["after"].envelopes] == stored[-len(results["after"].envelopes):]


def test_a_refusal_after_an_ops_events_were_numbered_leaves_no_gap(store: Store, runtime: Runtime) -> None:
    """The refused op's events had taken the next seqs before its `after` refused: rolled back, the next op numbers
    its events from where the hall's seq stands in the database again."""
    setup_hall(store)

    def refuse(_session: Session, _value: Any) -> Any:
        raise errors.TicketNotFound(ticket=0)

    writer = Writer(runtime)
    writer.hold()
    writer.enqueue("refused", issue, after=refuse)
    writer.queue({"after": issue})
    results = writer.release()

    assert isinstance(results["refused"], errors.TicketNotFound)
    assert numbers(store) == ["A001", "A002"]
    stored = seqs(store)
    assert stored == list(range(1, len(stored) + 1))


def test_an_unexpected_failure_in_a_batch_makes_every_op_run_again_alone(store: Store, runtime: Runtime) -> None:
    setup_hall(store)
    failures = []

    def fails_once(session: Session, clock: Clock, **kwargs: Any) -> Outcome[Any]:
        if not failures:
            failures.append(threading.current_thread().name)
            raise RuntimeError("a bug")
        return issue(session, clock, **kwargs)

    writer = Writer(runtime)
    writer.hold()
    writer.queue({"second": issue, "flaky": fails_once, "fourth": issue})
    results = writer.release()

    # The batch (first, second, flaky) was rolled back; each op ran again in its own thread, flaky's the second
    # time without failing. The failure happened in the writing thread (first's), not in flaky's own.
    assert failures == ["first"]
    assert sorted(r.value.ticket.ticket_no for r in results.values()) == ["A001", "A002", "A003", "A004"]
    assert len(set(numbers(store))) == 4
    stored = seqs(store)
    assert stored == list(range(1, len(stored) + 1))


def test_a_failure_of_the_writers_own_op_is_its_callers_alone(store: Store, runtime: Runtime) -> None:
    setup_hall(store)
    writer = Writer(runtime)
    entered, go = threading.Event(), threading.Event()

    def refused(session: Session, clock: Clock, **kwargs: Any) -> Outcome[Any]:
        entered.set()
        assert go.wait(30)
        raise errors.WindowNotFound(window=9)

    writer.start("first", refused)
    assert entered.wait(30)
    writer.queue({"second": issue})
    go.set()
    results = writer.release()

    assert isinstance(results["first"], errors.WindowNotFound)
    assert results["second"].value.ticket.ticket_no == "A001"


def test_a_batched_response_is_built_in_its_own_callers_context(
    store: Store, clock: Any, published: Recorder
) -> None:
    """`carry` binds each queued op's `after` to its caller (the app binds Flask's request context)."""
    setup_hall(store)
    local = threading.local()

    def carry(after: Callable[[Session, Any], Any]) -> Callable[[Session, Any], Any]:
        owner = threading.current_thread().name

        def in_owners_context(session: Session, value: Any) -> Any:
            local.owner = owner
            try:
                return after(session, value)
            finally:
                del local.owner

        return in_owners_context

    def answer(session: Session, issued: Any) -> tuple[str, str]:
        return getattr(local, "owner", threading.current_thread().name), issued.ticket.ticket_no

    writer = Writer(Runtime(store, clock, published, carry=carry))
    writer.hold()
    for name in ("second", "third"):
        writer.enqueue(name, issue, after=answer)
    results = writer.release()

    assert results["second"].value == ("second", "A002")
    assert results["third"].value == ("third", "A003")


def test_a_batch_holds_at_most_batch_max_ops_and_the_rest_follow(store: Store, runtime: Runtime) -> None:
    setup_hall(store)
    writer = Writer(runtime)
    writer.hold()
    writer.queue({f"op{i}": issue for i in range(BATCH_MAX + 2)})
    with counted_commits(store) as commits:
        results = writer.release()

    assert len(commits) == 2  # BATCH_MAX ops (the first's and BATCH_MAX - 1 others), then the 3 left
    assert sorted(r.value.ticket.ticket_no for r in results.values()) == [f"A{n:03d}" for n in
                                                                            range(1, BATCH_MAX + 4)]
    stored = seqs(store)
    assert stored == list(range(1, len(stored) + 1))


@pytest.mark.parametrize("batch", [True, False])
def test_an_op_alone_commits_once(store: Store, runtime: Runtime, batch: bool) -> None:
    setup_hall(store)
    with counted_commits(store) as commits:
        done = runtime.execute(issue, hall=HALL, batch=batch)
    assert len(commits) == 1 and done.value.ticket.ticket_no == "A001"
