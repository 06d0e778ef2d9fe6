"""Does history slow the live queue? Issue, call-next, today's monitor and /metrics, one request at a time over
HTTP against `hallq serve`, on an empty database and on five years of a busy hall (5,000,000 finished tickets
with their legs and outbox events); plus the first `hallq retention` run over that history.

    python -m bench.history_ops [--backend sqlite] [--history 0,5000000] [--requests 200]

Sequential requests: the question is the cost of one request as tables grow, not throughput (bench/issue.py).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import requests
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bench import history
from bench.common import PG_URL
from bench.common import WORK
from bench.common import BenchHall
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.engine.oversight.retention import anonymise
from queue_server.settings import normalise_database_url
from queue_server.storage import migrate
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Window
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import make_store

PORT = 5931  # bench/issue.py uses 5871, bench/latency.py 5911
YEARS = 5
RETENTION_DAYS = 180


def timed(n: int, request: Callable[[], requests.Response]) -> tuple[float, float]:
    took = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = request()
        took.append((time.perf_counter() - t0) * 1000)
        assert response.status_code < 300, f"{response.status_code} {response.text[:200]}"
    q = statistics.quantiles(took, n=100)
    return q[49], q[98]


def measure(base: str, hall: BenchHall, n: int) -> list[tuple[str, float, float]]:
    kiosk = requests.Session()
    kiosk.headers["Authorization"] = f"Bearer {hall.kiosk}"
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {hall.staff[1]}"
    anyone = requests.Session()
    rows = [("issue", *timed(n, lambda: kiosk.post(f"{base}/api/v1/halls/bench/tickets",
                                                    json={"service": hall.services[0]})))]

    def call_and_finish() -> requests.Response:
        called = staff.post(f"{base}/api/v1/halls/bench/windows/1/call-next")
        staff.post(f"{base}/api/v1/tickets/{called.json()['ticket']['id']}/finish", json={})
        return called

    rows.append(("call-next + finish", *timed(n // 2, call_and_finish)))
    rows.append(("monitor: services + waits", *timed(n, lambda: anyone.get(f"{base}/api/v1/halls/bench/services"))))
    rows.append(("monitor: windows", *timed(n, lambda: kiosk.get(f"{base}/api/v1/halls/bench/windows"))))
    rows.append(("/metrics", *timed(n // 4, lambda: anyone.get(f"{base}/metrics"))))
    for s in (kiosk, staff, anyone):
        s.close()
    return rows


def retention_seconds(url: str) -> float:
    store = make_store(url)
    try:
        t0 = time.perf_counter()
        Runtime(store, SystemClock()).execute(anonymise, hall="bench", personal_days=RETENTION_DAYS, audit_days=365)
        return time.perf_counter() - t0
    finally:
        store.dispose()


def reuse(backend: str, size: int, name: str | None = None) -> tuple[str, BenchHall] | None:
    """A history database left by an earlier run (generating 5 million tickets takes ~25 min here), migrated to
    this release, with fresh tokens for its bench hall; None when there is none or its generation did not
    finish (the hall's event_seq is set last)."""
    name = name or f"history_ops_{backend}_{size}"
    if backend == "sqlite":
        path = WORK / f"{name}.db"
        if not path.exists():
            return None
        url = f"sqlite:///{path}"
    else:
        url = make_url(normalise_database_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    store = make_store(url)
    try:
        try:
            migrate.upgrade(store.writer)
        except OperationalError:  # no such PostgreSQL database
            return None
        now = SystemClock().now()
        with store.transaction() as s:
            hall = s.scalar(select(Hall).where(Hall.code == "bench"))
            if hall is None or hall.event_seq < size:
                return None
            windows = {w.number: w for w in s.scalars(select(Window).where(Window.hall_id == hall.id))}
            staff = {n: mint_token(s, now, role=Role.STAFF, hall=hall, window=w, staff=w.staff)
                     for n, w in windows.items()}
            kiosk = mint_token(s, now, role=Role.KIOSK, hall=hall)
            services = list(s.scalars(select(Service.code).where(Service.hall_id == hall.id).order_by(Service.id)))
    finally:
        store.dispose()
    return url, BenchHall(url, kiosk, staff, services)


def run(backend: str, sizes: list[int], n: int, *, keep: bool = False) -> str:
    rows = []
    for size in sizes:
        kept = reuse(backend, size) if keep and size else None
        if kept is not None:
            url, hall = kept
        else:
            url = fresh_database(backend, f"history_ops_{backend}_{size}")
            hall = build_hall(url)
        if size and kept is None:
            t0 = time.perf_counter()
            history.generate(url, size, days=YEARS * 365)
            print(f"  history of {size:,} tickets in {time.perf_counter() - t0:.0f} s", flush=True)
        server = start_server(url, PORT)
        try:
            for name, p50, p99 in measure(server.url, hall, n):
                rows.append([backend, f"{size:,}", name, f"{p50:.1f}", f"{p99:.1f}"])
                print("  " + " | ".join(rows[-1]), flush=True)
        finally:
            server.stop()
        rows.append([backend, f"{size:,}", "first `hallq retention` (s)", f"{retention_seconds(url):.1f}", "—"])
        print("  " + " | ".join(rows[-1]), flush=True)
        if backend == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            print(f"  database file {path.stat().st_size / 2**30:.2f} GiB", flush=True)
    headers = ["database", "history", "operation", "p50 ms", "p99 ms"]
    return f"Machine: {machine()}\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--history", default="0,5000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="reuse the history database of an earlier run")
    args = parser.parse_args()
    print(run(args.backend, [int(x) for x in args.history.split(",")], args.requests, keep=args.keep))


if __name__ == "__main__":
    main()
