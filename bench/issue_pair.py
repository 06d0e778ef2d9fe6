"""The issue path, two servers side by side: two `hallq serve` on this machine at once, measured in alternating
rounds (a, b; b, a; ...) so the ratio holds while this shared machine's speed drifts. Each round: issue with 1
and with 16 keep-alive clients (wrk, bench/issue.lua), on each server in turn.

- History (the default): one server on an empty database, one on 1,000,000 tickets of history. The goal
  (docs/benchmarks.md): p50 with the history within 1.2x of p50 on the empty database.
- Code (--other CHECKOUT): this checkout's code and another's (e.g. main's), each on an empty database of this
  code's schema: "keep the issue path where it is or better" (issue 22).

    python -m bench.issue_pair [--backend sqlite] [--history 1000000] [--rounds 6] [--seconds 5] [--keep]
    python -m bench.issue_pair --other /path/to/old-checkout [--backend sqlite] [--rounds 6] [--seconds 5]

With --keep, the history database of an earlier run is migrated to this code and used again (writing a million
tickets takes 4-6 minutes here), so a change can be measured against the same history.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from bench import history
from bench.common import ROOT
from bench.common import BenchHall
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from bench.common import wrk
from bench.history_ops import reuse
from bench.issue import SCRIPT
from bench.issue import expire_waiting
from bench.issue import keep_report_days

CLIENTS = (1, 16)


def history_sides(backend: str, size: int, keep: bool) -> dict[str, tuple[BenchHall, Path]]:
    """An empty database and one with `size` tickets of history, both served by this checkout."""
    halls = {}
    for name in ("empty", "history"):
        kept = reuse(backend, size, f"history_issue_{backend}_{name}") if keep and name == "history" else None
        if kept is not None:
            halls[name] = kept[1]
            print(f"  reusing the history database {kept[0]}", flush=True)
            continue
        url = fresh_database(backend, f"history_issue_{backend}_{name}")
        halls[name] = build_hall(url)
        if name == "history":
            t0 = time.perf_counter()
            history.generate(url, size)
            print(f"  history of {size:,} tickets in {time.perf_counter() - t0:.0f} s", flush=True)
            keep_report_days(url)
    return {name: (hall, ROOT) for name, hall in halls.items()}


def code_sides(backend: str, other: Path) -> dict[str, tuple[BenchHall, Path]]:
    """This checkout and `other`, each on an empty database."""
    return {name: (build_hall(fresh_database(backend, f"issue_pair_{backend}_{name}")), root)
            for name, root in (("new", ROOT), ("old", other.resolve()))}


def run(backend: str, sides: dict[str, tuple[BenchHall, Path]], rounds: int, seconds: int) -> str:
    halls = {name: hall for name, (hall, _) in sides.items()}
    first, second = list(sides)
    servers = {name: start_server(hall.database_url, port, root=root)
               for (name, (hall, root)), port in zip(sides.items(), (5873, 5874), strict=True)}
    p50: dict[tuple[str, int], list[float]] = {(n, c): [] for n in sides for c in CLIENTS}
    rate: dict[tuple[str, int], list[float]] = {(n, c): [] for n in sides for c in CLIENTS}
    try:
        for name, server in servers.items():  # warm-up: statement caches, the estimate cache, the page cache
            wrk(server.url, SCRIPT, connections=4, seconds=2, env={"HALLQ_BENCH_TOKEN": halls[name].kiosk})
        for r in range(rounds):
            order = [first, second] if r % 2 == 0 else [second, first]
            for name in order:
                for clients in CLIENTS:
                    expire_waiting(halls[name].database_url)
                    result = wrk(servers[name].url, SCRIPT, connections=clients, seconds=seconds,
                                 env={"HALLQ_BENCH_TOKEN": halls[name].kiosk, "HALLQ_BENCH_CLOSE": "0"})
                    p50[name, clients].append(result.p50_ms)
                    rate[name, clients].append(result.requests_per_s)
                    print(f"  round {r + 1} {name:7s} {clients:2d} clients: {result.requests_per_s:6.0f}/s "
                          f"p50 {result.p50_ms:6.1f} ms p99 {result.p99_ms:6.1f} ms", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    rows: list[list[Any]] = []
    for clients in CLIENTS:
        ratios = [b / a for b, a in zip(p50[second, clients], p50[first, clients], strict=True)]
        rows.append([backend, clients, f"{statistics.median(p50[first, clients]):.1f}",
                     f"{statistics.median(p50[second, clients]):.1f}",
                     f"{statistics.median(rate[first, clients]):,.0f}",
                     f"{statistics.median(rate[second, clients]):,.0f}",
                     f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}–{max(ratios):.2f})"])
    headers = ["database", "clients", f"{first} p50 ms", f"{second} p50 ms", f"{first} req/s", f"{second} req/s",
               f"p50 {second} / {first} per round: median (range)"]
    return f"Machine: {machine()}; {rounds} alternating rounds of {seconds} s\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--history", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse the history database of an earlier run")
    parser.add_argument("--other", type=Path, help="compare this checkout's code with another's (e.g. main's)")
    args = parser.parse_args()
    sides = (code_sides(args.backend, args.other) if args.other is not None
             else history_sides(args.backend, args.history, args.keep))
    print(run(args.backend, sides, args.rounds, args.seconds))


if __name__ == "__main__":
    main()
