"""Issue and call-next throughput over HTTP against `hallq serve`, embedded (SQLite) and PostgreSQL, with an
empty database and with 1,000,000 tickets of history. A `GET /healthz` row per server shows what the web stack
alone (gunicorn, Flask, the request log; no database) reaches on the same machine: the ceiling of every route.

    python -m bench.issue [--backends sqlite,postgres] [--history 0,1000000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

from bench import history
from bench.common import BenchHall
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from bench.common import wrk

SCRIPT = Path(__file__).with_name("issue.lua")
# The web stack alone (no database): what the issue rows are measured against.
STACK_SCRIPT = Path(__file__).with_name("healthz.lua")
PORT = 5871
QUEUE = 2_000  # tickets waiting before the call-next run: a very busy hall's morning queue


def call_next_run(base: str, hall: BenchHall, queue: int = QUEUE) -> tuple[float, float, float]:
    """Fill a queue of `queue` tickets, then 8 windows call-next + finish until it is empty.
    Returns (call-next per second, p50 ms, p99 ms) of the call-next requests (`drain`)."""
    fill_queue(base, hall, queue)
    return drain(base, hall, queue)


def fill_queue(base: str, hall: BenchHall, queue: int = QUEUE) -> None:
    with requests.Session() as kiosk:
        kiosk.headers["Authorization"] = f"Bearer {hall.kiosk}"
        for i in range(queue):
            kiosk.post(f"{base}/api/v1/halls/bench/tickets", json={"service": hall.services[i % len(hall.services)]})


def drain(base: str, hall: BenchHall, queue: int = QUEUE) -> tuple[float, float, float]:
    """8 windows call-next + finish until nobody waits; (`queue` / seconds, call-next p50 ms, p99 ms).

    Each window is a thread with one keep-alive http.client connection: the clerks' browsers are other machines,
    so the client should take as little of this one's two cores as wrk does for the `GET /healthz` row it is
    compared with. `requests` cost 1.1 ms of CPU per call + finish here, http.client 0.3 ms; with `requests`
    the same server measured about 15 % fewer tickets served per second (docs/benchmarks.md)."""
    address = urlsplit(base)

    def window(n: int) -> list[float]:
        took = []
        conn = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port)
        headers = {"Authorization": f"Bearer {hall.staff[n]}", "Content-Type": "application/json"}
        try:
            while True:
                t0 = time.perf_counter()
                conn.request("POST", f"/api/v1/halls/bench/windows/{n}/call-next", body=b"", headers=headers)
                called = conn.getresponse()
                data = called.read()
                took.append((time.perf_counter() - t0) * 1000)
                if called.status == 204:
                    return took
                assert called.status == 200, (called.status, data)
                conn.request("POST", f"/api/v1/tickets/{json.loads(data)['ticket']['id']}/finish", body=b"{}",
                             headers=headers)
                done = conn.getresponse()
                assert done.status == 200, (done.status, done.read())
                done.read()
        finally:
            conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(len(hall.staff)) as pool:
        latencies = [t for part in pool.map(window, hall.staff) for t in part]
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100)
    return queue / elapsed, q[49], q[98]


def expire_waiting(url: str) -> None:
    """Between runs: the issue runs leave tens of thousands waiting, which no hall ever has."""
    from sqlalchemy import select
    from sqlalchemy import update

    from queue_server.storage.models import Hall
    from queue_server.storage.models import Ticket
    from queue_server.storage.store import make_store

    store = make_store(url)
    with store.transaction() as s:
        # The halls' rows first, in id order, as every write of the server takes its hall's: the server is still up,
        # and a change of waiting tickets also changes the kept queue counts (migration 0026), which the server's
        # own ops lock after their hall's row. Without it, PostgreSQL found a deadlock here.
        s.execute(select(Hall.id).order_by(Hall.id).with_for_update()).all()
        s.execute(update(Ticket).where(Ticket.status == "waiting").values(status="expired"))
    store.dispose()


def keep_report_days(url: str) -> None:
    """Keep the closed days' report figures of the generated history, as the server's ticker (every 5 minutes)
    has kept them in a hall that lived through that year. Otherwise the server's first round after start-up
    computes five weeks of a million-ticket history while the first row is measured (a 237 ms p99 stall)."""
    from queue_server.clock import SystemClock
    from queue_server.reports import keeper
    from queue_server.storage.store import make_store

    store = make_store(url)
    t0 = time.perf_counter()
    kept = keeper.keep_recent(store, SystemClock(), "bench")
    store.dispose()
    print(f"  {kept} closed days' report figures kept in {time.perf_counter() - t0:.1f} s")


def run(backends: list[str], histories: list[int], seconds: int) -> str:
    rows = []
    for backend in backends:
        for size in histories:
            url = fresh_database(backend, f"bench_{backend}_{size}")
            hall = build_hall(url)
            if size:
                t0 = time.perf_counter()
                history.generate(url, size)
                print(f"  history of {size:,} tickets in {time.perf_counter() - t0:.0f} s")
                keep_report_days(url)
            server = start_server(url, PORT)
            try:
                env = {"HALLQ_BENCH_TOKEN": hall.kiosk}
                wrk(server.url, SCRIPT, connections=4, seconds=2, env=env)  # warm-up
                for connections in (1, 16):
                    for fresh in (False, True):
                        expire_waiting(url)
                        r = wrk(server.url, SCRIPT, connections=connections, seconds=seconds,
                                env={**env, "HALLQ_BENCH_CLOSE": "1" if fresh else "0"})
                        rows.append([backend, f"{size:,}", "issue", connections, "fresh" if fresh else "keep-alive",
                                     f"{r.requests_per_s:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
                                     r.non_2xx + r.errors])
                        print("  " + " | ".join(map(str, rows[-1])))
                for connections in (1, 16):  # the ceiling any route of this server can reach
                    r = wrk(server.url, STACK_SCRIPT, connections=connections, seconds=seconds, env={})
                    rows.append([backend, f"{size:,}", "GET /healthz", connections, "keep-alive",
                                 f"{r.requests_per_s:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
                                 r.non_2xx + r.errors])
                    print("  " + " | ".join(map(str, rows[-1])))
                expire_waiting(url)
                rate, p50, p99 = call_next_run(server.url, hall)
                rows.append([backend, f"{size:,}", "call-next", 8, "keep-alive", f"{rate:,.0f}", f"{p50:.1f}",
                             f"{p99:.1f}", 0])
                print("  " + " | ".join(map(str, rows[-1])))
            finally:
                server.stop()
    headers = ["database", "history", "operation", "clients", "connections", "req/s", "p50 ms", "p99 ms", "errors"]
    return f"Machine: {machine()}\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--history", default="0,1000000")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    print(run(args.backends.split(","), [int(x) for x in args.history.split(",")], args.seconds))


if __name__ == "__main__":
    main()
