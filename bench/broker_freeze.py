"""Writes while the broker is frozen: issue and call latency of two `hallq serve` processes on PostgreSQL, with
Redis answering, then frozen by SIGSTOP for a while, then thawed; and what a display on the other process received.

Goal (issue 19): with Redis frozen for 30 s, issue and call latency p99 stays within 2x of normal, and every
display receives every event once, in order, after the freeze.

    python -m bench.broker_freeze [--seconds 30] [--clients 8]
"""

from __future__ import annotations

import argparse
import threading
import time
from dataclasses import dataclass
from dataclasses import field

import requests

from bench.common import WORK
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from bench.feed_client import FeedClient
from bench.private_redis import redis_binary
from bench.private_redis import start_redis
from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.store import make_store

PORTS = (5571, 5572)


@dataclass
class Phase:
    name: str
    issue_s: list[float] = field(default_factory=list)
    call_s: list[float] = field(default_factory=list)
    errors: int = 0


def _pct(values: list[float], q: float) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


def _issuer(url: str, kiosk: str, services: list[str], phase: list[Phase], stop: threading.Event) -> None:
    session = requests.Session()
    i = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            r = session.post(f"{url}/api/v1/halls/bench/tickets", json={"service": services[i % len(services)]},
                             headers={"Authorization": f"Bearer {kiosk}"}, timeout=60)
            ok = r.status_code == 201
        except requests.RequestException:
            ok = False
        if ok:
            phase[0].issue_s.append(time.monotonic() - started)
        else:
            phase[0].errors += 1
        i += 1


def _clerk(url: str, token: str, window: int, phase: list[Phase], stop: threading.Event) -> None:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    while not stop.is_set():
        started = time.monotonic()
        try:
            r = session.post(f"{url}/api/v1/halls/bench/windows/{window}/call-next", headers=headers, timeout=60)
            took = time.monotonic() - started
            if r.status_code == 200:
                phase[0].call_s.append(took)
                session.post(f"{url}/api/v1/tickets/{r.json()['ticket']['id']}/finish", headers=headers, timeout=60)
            elif r.status_code != 204:
                phase[0].errors += 1
        except requests.RequestException:
            phase[0].errors += 1


def run(seconds: int, clients: int) -> str:
    binary = redis_binary()
    if binary is None:
        raise SystemExit("redis-server is missing: apt-get install redis-server")
    url = fresh_database("postgres", "hallq_bench_freeze")
    hall = build_hall(url)
    store = make_store(url)
    with store.transaction() as s:
        display_token = mint_token(s, SystemClock().now(), role=Role.DISPLAY, hall=snapshots.hall_by_code(s, "bench"))
    redis = start_redis(binary, WORK / "redis-freeze")
    servers = [start_server(url, port, extra_env={"HALLQ_REDIS_URL": redis.url}) for port in PORTS]
    # A client that behaves like feed.js. python-socketio hands each message to its handler on a thread of its own,
    # so the order in which a raw handler sees events says nothing about the order the server sent them in; the
    # feed client's counts do: `duplicates` (sent twice), `resubscribes` (a gap that did not close within 1 s, i.e.
    # an event missing or sent late), `snapshots` after the first (a resync that skipped events).
    display = FeedClient(servers[1].url, display_token, hall="bench")
    display.wait_subscribed(1, timeout=30)
    phase = [Phase("warm-up")]
    stop = threading.Event()
    workers = [threading.Thread(target=_issuer, args=(servers[i % 2].url, hall.kiosk, hall.services, phase, stop))
               for i in range(clients)]
    workers += [threading.Thread(target=_clerk, args=(servers[n % 2].url, hall.staff[n], n, phase, stop))
                for n in sorted(hall.staff)]
    phases: list[Phase] = []
    try:
        for w in workers:
            w.start()
        time.sleep(3)  # warm-up, not measured
        for name, act in (("Redis answering", None), ("Redis frozen (SIGSTOP)", redis.freeze),
                          ("after the thaw", redis.thaw)):
            if act is not None:
                act()
            phase[0] = Phase(name)
            phases.append(phase[0])
            time.sleep(seconds)  # the phase's length: the load runs meanwhile
        stop.set()
        for w in workers:
            w.join()
        with store.read_session() as s:
            last = snapshots.hall_by_code(s, "bench").event_seq
        display.wait_for(last, timeout=30)  # the display catching up with the last event
    finally:
        stop.set()
        redis.thaw()
        display.close()
        for server in servers:
            server.stop()
        redis.stop()
        store.dispose()
    seqs = [e["seq"] for e in display.applied]
    missed = len(set(range((display.start_seq or 0) + 1, last + 1)) - set(seqs))
    rows = [[p.name, len(p.issue_s), _pct(p.issue_s, 0.5), _pct(p.issue_s, 0.99), len(p.call_s),
             _pct(p.call_s, 0.5), _pct(p.call_s, 0.99), p.errors] for p in phases]
    # The same percentile as the table's, so the ratio can be checked against it.
    base, frozen = (float(_pct(p.issue_s, 0.99)) if p.issue_s else None for p in phases[:2])
    ratio = f"{frozen / base:.2f}" if base and frozen else "–"
    return "\n".join([
        f"Machine: {machine()}; two `hallq serve` processes on PostgreSQL, a private Redis; {clients} issuing "
        f"clients and {len(hall.staff)} windows (call-next + finish) spread over both; each phase {seconds} s.",
        "",
        table(["phase", "issues", "issue p50 ms", "issue p99 ms", "calls", "call p50 ms", "call p99 ms", "errors"],
              rows),
        "",
        f"Issue p99 frozen / answering: {ratio}. Display on the second process: {len(seqs)} events applied, "
        f"missed {missed}, sent twice {display.duplicates}, gaps that needed a re-subscribe {display.resubscribes}, "
        f"resync snapshots {display.snapshots - 1}.",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    print(run(args.seconds, args.clients))


if __name__ == "__main__":
    main()
