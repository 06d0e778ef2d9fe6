"""The clerk's key against the web stack (issue 22, goal 1): call-next + finish at 8 windows, as tickets served per
second over the `GET /healthz` rate of the same server, and call-next's p99.

Each round starts `hallq serve` on a fresh SQLite database with the bench hall (10 services, 8 windows, a clerk
signed in at each), measures `GET /healthz` (wrk, 16 keep-alive connections), then queues 2,000 tickets and
lets 8 windows call-next + finish until the queue is empty (bench/issue.py's call-next row). Beside call-next's
p99 it prints `GET /healthz`'s p99 at 8 connections: the bare stack's own tail at the windows' concurrency, which
the machine's speed moves as it moves call-next's, so an absolute p99 can be read against it. With --other, this
checkout's code and another's (e.g. main's) alternate round by round (a, b; b, a; ...), so a comparison holds
while this shared machine's speed drifts.

    python -m bench.call_pair [--rounds 3] [--seconds 5] [--other /path/to/old-checkout]

Goal: served / healthz >= 0.16, call-next p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench.common import ROOT
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from bench.common import wrk
from bench.issue import PORT
from bench.issue import QUEUE
from bench.issue import STACK_SCRIPT
from bench.issue import drain
from bench.issue import fill_queue


def one_round(root: Path, seconds: int) -> tuple[float, float, float, float, float, float]:
    """(healthz/s, healthz p99 ms at 8 connections, served/s, call-next p50 ms, p99 ms, server CPU ms per call +
    finish) of one fresh server from the checkout at `root`. The CPU is the server process's own accounting over
    the drain: steadier than a rate on this machine, whose speed moves by a fifth within seconds."""
    hall = build_hall(fresh_database("sqlite", "call_pair"))
    server = start_server(hall.database_url, PORT, root=root)
    try:
        wrk(server.url, STACK_SCRIPT, connections=4, seconds=2, env={})  # warm-up
        stack = wrk(server.url, STACK_SCRIPT, connections=16, seconds=seconds, env={})
        stack_tail = wrk(server.url, STACK_SCRIPT, connections=8, seconds=seconds, env={}).p99_ms
        fill_queue(server.url, hall, QUEUE)
        before = server.cpu_s()
        served, p50, p99 = drain(server.url, hall, QUEUE)
        cpu_ms = (server.cpu_s() - before) * 1000 / QUEUE
    finally:
        server.stop()
    return stack.requests_per_s, stack_tail, served, p50, p99, cpu_ms


def run(rounds: int, seconds: int, other: Path | None) -> str:
    sides = {"new": ROOT, "old": other.resolve()} if other is not None else {"this": ROOT}
    names = list(sides)
    rows = []
    ratios: dict[str, list[float]] = {name: [] for name in names}
    p99s: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            stack, stack_p99, served, p50, p99, cpu_ms = one_round(sides[name], seconds)
            ratios[name].append(served / stack)
            p99s[name].append(p99)
            cpus[name].append(cpu_ms)
            rows.append([r + 1, name, f"{stack:,.0f}", f"{stack_p99:.1f}", f"{served:,.0f}", f"{served / stack:.3f}",
                         f"{p50:.1f}", f"{p99:.1f}", f"{cpu_ms:.2f}"])
            print("  " + " | ".join(map(str, rows[-1])), flush=True)
    summary = "; ".join(f"{name}: served / healthz median {statistics.median(ratios[name]):.3f} "
                        f"({min(ratios[name]):.3f}-{max(ratios[name]):.3f}), call-next p99 median "
                        f"{statistics.median(p99s[name]):.1f} ms, server CPU per call + finish median "
                        f"{statistics.median(cpus[name]):.2f} ms" for name in names)
    headers = ["round", "code", "healthz/s (16 clients)", "healthz p99 ms (8 clients)", "served/s (8 windows)",
               "served / healthz", "call-next p50 ms", "call-next p99 ms", "server CPU ms per call + finish"]
    return f"Machine: {machine()}\n\n{table(headers, rows)}\n\n{summary}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="length of the healthz measurement")
    parser.add_argument("--other", type=Path, help="alternate with another checkout's code (e.g. main's)")
    args = parser.parse_args()
    print(run(args.rounds, args.seconds, args.other))


if __name__ == "__main__":
    main()
