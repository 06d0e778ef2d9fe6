"""Cost of the manager monitor on a busy county-hall day: 3,800 tickets (docs/domain: a county hall's working day)
over 10 services and 24 windows, run through the engine with a FrozenClock; then the time of one alert
evaluation (what the ticker runs after each write burst) and of one monitor snapshot (what each open monitor
re-reads after an event). `python -m bench.monitor_bench [tickets]` prints a table.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.queries import monitor
from queue_server.queries import snapshots
from queue_server.storage import migrate
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import make_store
from tests import factories

SERVICES = 10
WINDOWS = 24
RUNS = 20
DAY_START = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 08:30 in Chuxiong


def build(url: str) -> None:
    store = make_store(url)
    migrate.upgrade(store.writer)
    with store.transaction() as s:
        hall = factories.hall(s, "bench")
        services = [factories.service(s, hall, f"s{i}", chr(65 + i), warning_threshold=20, daily_cap=800)
                    for i in range(SERVICES)]
        for n in range(1, WINDOWS + 1):
            clerk = factories.staff(s, hall, f"c{n}")
            factories.window(s, hall, n, [services[(n - 1) % SERVICES], services[n % SERVICES]], staff_id=clerk.id)
    store.dispose()


def simulate_day(runtime: Runtime, clock: FrozenClock, tickets: int) -> None:
    """Tickets arrive evenly over eight hours; every window finishes and calls the next one each 2.5 minutes."""
    step_s = 8 * 3600 / tickets
    current: dict[int, int] = {}
    for i in range(tickets):
        runtime.execute(engine.issue_ticket, hall="bench", service_code=f"s{i % SERVICES}")
        clock.advance(seconds=step_s)
        window = i % WINDOWS + 1
        if i % max(1, round(150 / step_s / WINDOWS)) == 0:
            if window in current:
                runtime.execute(engine.finish, hall="bench", ticket_id=current.pop(window), outcome="done")
            called = runtime.execute(engine.call_next, hall="bench", window_number=window).value
            if called is not None:
                current[window] = called.id


def timed(fn: object, runs: int = RUNS) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def run(tickets: int = 3_800) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'monitor.db'}"
        build(url)
        store = make_store(url)
        clock = FrozenClock(DAY_START)
        runtime = Runtime(store, clock)
        started = time.perf_counter()
        simulate_day(runtime, clock, tickets)
        day_s = time.perf_counter() - started

        def evaluate() -> None:
            runtime.execute(engine.evaluate_alerts, hall="bench")

        def snapshot() -> None:
            with store.read_session() as s:
                monitor.monitor(s, snapshots.hall_by_code(s, "bench"), clock.now())

        evaluate_ms = timed(evaluate)
        snapshot_ms = timed(snapshot)
        with store.read_session() as s:
            alerts = monitor.alerts(s, snapshots.hall_by_code(s, "bench"))
        store.dispose()
    rows = [
        ("evaluate_alerts (one hall)", *evaluate_ms),
        ("monitor snapshot (GET /halls/{hall}/monitor body)", *snapshot_ms),
    ]
    lines = [f"SQLite, {tickets} tickets in one day ({day_s:.0f} s to simulate), {SERVICES} services, "
             f"{WINDOWS} windows, {len(alerts)} alerts open or resolved", "",
             "| operation | median ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {name} | {p50:.1f} | {p95:.1f} |" for name, p50, p95 in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 3_800))
