"""Runtime.execute(every_hall=True), the write path of data every hall shares (guides, disclosures): the op's
events land in every hall's outbox with that hall's own gap-free seq, interleaved with ordinary one-hall writes,
and two such writes started from different halls at once neither deadlock nor skip a seq."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import FrozenClock
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.conftest import Recorder
from tests.factories import hall as make_hall


def shout(session: Session, clock: Clock, *, hall: Hall, text: str) -> events.Outcome[str]:
    return events.Outcome(text, (events.Event(events.NOTICES_UPDATED, {"notices": [text]}),))


def _halls(store: Store, *codes: str) -> None:
    with store.transaction() as s:
        for code in codes:
            make_hall(s, code)


def _outbox(store: Store) -> dict[str, list[tuple[int, str]]]:
    with store.read_session() as s:
        rows = s.execute(select(Hall.code, HallEvent.seq, HallEvent.payload).join(Hall, Hall.id == HallEvent.hall_id)
                         .order_by(Hall.code, HallEvent.seq))
        out: dict[str, list[tuple[int, str]]] = {}
        for code, seq, payload in rows:
            out.setdefault(code, []).append((seq, payload["notices"][0]))
        return out


def test_an_every_hall_write_is_stamped_in_each_hall_with_its_own_seq(
    store: Store, clock: FrozenClock, runtime: Runtime, published: Recorder
) -> None:
    _halls(store, "h1", "h2", "h3")
    runtime.execute(shout, hall="h2", text="only h2")

    done = runtime.execute(shout, hall="h1", text="everyone", every_hall=True)

    assert done.value == "everyone"
    assert [(e.hall, e.seq) for e in done.envelopes] == [("h1", 1), ("h2", 2), ("h3", 1)]
    assert _outbox(store) == {"h1": [(1, "everyone")], "h2": [(1, "only h2"), (2, "everyone")],
                              "h3": [(1, "everyone")]}
    assert [(e.hall, e.seq) for e in published.envelopes] == [("h2", 1), ("h1", 1), ("h2", 2), ("h3", 1)]


def test_an_every_hall_write_from_an_unknown_hall_is_refused_and_writes_nothing(
    store: Store, runtime: Runtime
) -> None:
    _halls(store, "h1")

    with pytest.raises(errors.HallNotFound):
        runtime.execute(shout, hall="nowhere", text="x", every_hall=True)

    assert _outbox(store) == {}


def test_every_hall_writes_from_two_halls_and_one_hall_writes_at_once_keep_every_seq_gap_free(
    store: Store, runtime: Runtime, published: Recorder
) -> None:
    _halls(store, "h1", "h2")
    rounds = 8
    failures: list[BaseException] = []

    def writer(hall: str, every_hall: bool) -> None:
        try:
            for n in range(rounds):
                runtime.execute(shout, hall=hall, text=f"{hall}-{every_hall}-{n}", every_hall=every_hall)
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's own thread
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=args)
               for args in (("h1", True), ("h2", True), ("h1", False), ("h2", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not any(t.is_alive() for t in threads), "deadlocked"
    assert failures == []
    outbox = _outbox(store)
    for code in ("h1", "h2"):
        seqs = [seq for seq, _ in outbox[code]]
        assert seqs == list(range(1, 3 * rounds + 1))  # both every-hall writers' events and its own
        texts: Any = [text for _, text in outbox[code]]
        assert sorted(texts) == sorted([f"h1-True-{n}" for n in range(rounds)] + [f"h2-True-{n}" for n in range(rounds)]
                                       + [f"{code}-False-{n}" for n in range(rounds)])
        assert [e.seq for e in published.envelopes if e.hall == code] == seqs  # published in seq order
