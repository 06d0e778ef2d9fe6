"""The server's start-up heap, kept out of the garbage collector's full passes, and those passes on /metrics.

Why: a serving process holds ~350,000 long-lived container objects from start-up, most of them pypinyin's
phrase tables (catalogue search by pinyin), then Flask, SQLAlchemy and Babel. A full (generation 2) collection
walks every tracked object while holding the GIL; with 1,000 displays connected one took 120–650 ms on the 2-core
machine, a stall of every request and broadcast that showed as the slowest call in the latency bench
(docs/benchmarks.md). `gc.freeze()` once the app is built moves those objects into a permanent generation that
collections skip; they would never be garbage anyway. What is created later (connections, requests) is collected
as before, less often (THRESHOLDS). The pause watch lets an operator see the remaining full passes
(`hallq_gc_full_*` on /metrics).
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class Pauses:
    """Full (generation 2) collections seen in this process since the watch was installed."""

    count: int = 0
    total_s: float = 0.0
    max_s: float = 0.0


PAUSES = Pauses()
# Python's default (700, 10, 10) promotes objects caught alive mid-request and mid-broadcast, so with 1,000
# displays it still ran ~11 full collections (up to 180 ms each) in a 200-call bench run; with these, none,
# at the same CPU per call (docs/benchmarks.md). A young collection then scans up to 5,000 objects (~0.5 ms).
THRESHOLDS = (5_000, 20, 20)
_began = 0.0  # perf_counter at the start of the running full collection (one at a time: it holds the GIL)


def _watch(phase: str, info: dict[str, Any]) -> None:
    global _began
    if info.get("generation") != 2:
        return
    if phase == "start":
        _began = time.perf_counter()
        return
    took = time.perf_counter() - _began
    PAUSES.count += 1
    PAUSES.total_s += took
    PAUSES.max_s = max(PAUSES.max_s, took)


def watch_pauses() -> None:
    """Time every full collection of this process (idempotent: gc.callbacks is process-wide)."""
    if _watch not in gc.callbacks:
        gc.callbacks.append(_watch)


def freeze_startup_heap() -> int:
    """Call once the app is built and before serving (before gunicorn forks, which also keeps the pages shared):
    collect what start-up left behind, then freeze the rest. Returns the number of frozen objects. The watch starts
    after that collection: it was no stall, nothing was being served yet."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    watch_pauses()
    return gc.get_freeze_count()
