"""The background round (alert_ticker.AlertTicker) against a real store: how often each hall is looked at."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime

from queue_server.clock import FrozenClock
from queue_server.events import TICKET_ISSUED
from queue_server.events import Envelope
from queue_server.operations.alert_ticker import AlertTicker
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.factories import basic_hall


class _Watched(AlertTicker):
    """Notes each round's halls; the rounds themselves run for real."""

    def __init__(self, runtime: Runtime, period_s: float, busy_gap_s: float = 2.0) -> None:
        super().__init__(runtime, period_s, busy_gap_s)
        self.rounds: list[list[str]] = []
        self.started: list[float] = []
        self.quiet_hall_seen = threading.Event()

    def evaluate(self, halls: Sequence[str]) -> None:
        self.started.append(time.monotonic())
        self.rounds.append(list(halls))
        super().evaluate(halls)
        if "t2" in halls:
            self.quiet_hall_seen.set()


def test_a_steady_stream_of_writes_in_one_hall_does_not_starve_the_others_round(
    store: Store, clock: FrozenClock, runtime: Runtime
) -> None:
    basic_hall(store, clock)  # t1 busy, t2 quiet: its wait limits are crossed by time alone
    ticker = _Watched(runtime, period_s=0.3)
    write = Envelope(seq=1, type=TICKET_ISSUED, hall="t1", at=datetime.now(UTC), data={})
    ticker.start()
    try:
        deadline = time.monotonic() + 15
        # t1 writes every 50 ms, far more often than the 0.3 s period: the thread never wakes by its timeout.
        while not ticker.quiet_hall_seen.wait(0.05) and time.monotonic() < deadline:
            ticker.after_publish([write])
    finally:
        ticker.stop()

    assert ticker.quiet_hall_seen.is_set(), f"t2 never looked at; rounds: {ticker.rounds[:5]}"


def test_a_busy_hall_is_looked_at_once_per_gap_not_after_every_burst(
    store: Store, clock: FrozenClock, runtime: Runtime
) -> None:
    """Each round holds the hall's write lock; under a steady stream of writes the clerks' calls must not wait
    behind one every half second. The gap is kept, and the busy hall is still looked at again and again."""
    basic_hall(store, clock)
    ticker = _Watched(runtime, period_s=60, busy_gap_s=0.8)
    write = Envelope(seq=1, type=TICKET_ISSUED, hall="t1", at=datetime.now(UTC), data={})
    ticker.start()
    try:
        deadline = time.monotonic() + 20
        while len(ticker.started) < 3 and time.monotonic() < deadline:
            ticker.after_publish([write])
            time.sleep(0.02)  # the pace of the writes, not a wait for a result: the loop polls len(started)
    finally:
        ticker.stop()

    assert len(ticker.started) >= 3, f"rounds: {ticker.rounds}"
    gaps = [b - a for a, b in zip(ticker.started, ticker.started[1:], strict=False)]
    assert min(gaps) >= 0.8 - 0.01, gaps  # with SETTLE_S alone a round came every ~0.5 s
    assert all(r == ["t1"] for r in ticker.rounds), ticker.rounds
