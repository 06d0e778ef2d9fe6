"""The cost of one call-next with a short and a long queue: 30 and 3,000 tickets waiting (issue 22's goal: within
1.2x), on SQLite and PostgreSQL, in one process through Flask's test client (no HTTP server: the figure is the
route's own work; on PostgreSQL the database's share shows in the wall time, not in this process's CPU). Each
queue lives in a database of its own and is kept at its length: after each timed call the ticket is finished and a
new one issued, untimed. The two queues are measured in alternating rounds, so the ratio holds while the shared
machine's speed drifts.

On PostgreSQL the rounds start once autovacuum has been through the filled `tickets` table (migration 0025 has it
come after a thousand changes), as in a hall that has been open for a while: until then the waiting counts cannot
be answered from the index alone. The machine's shared cluster may run without autovacuum (this one does: test
databases come and go), so this row runs on a cluster of its own (bench/private_postgres.py) with PostgreSQL's
defaults, but for a 10 s autovacuum nap instead of a minute, so the bench waits less. --unvacuumed measures on the
shared cluster straight after the fill instead: the worst case of a hall's first minute, or of a server whose
autovacuum was turned off.

    python -m bench.call_cost [--backends sqlite,postgres] [--queues 30,3000] [--rounds 6] [--calls 40]
                              [--unvacuumed]

Runs on an older checkout as well (PYTHONPATH=<checkout> python <this file>): it uses only bench.common and the
app factory, which main has too.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file against another checkout: that checkout's bench and app
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: that checkout first

from bench.common import PG_URL  # noqa: E402
from bench.common import build_hall  # noqa: E402
from bench.common import fresh_database  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.common import table  # noqa: E402


class Queue:
    """One bench hall with `length` tickets waiting, and its app."""

    def __init__(self, backend: str, length: int, pg_url: str = PG_URL) -> None:
        from queue_server.app import create_app
        from queue_server.settings import Settings

        self.hall = build_hall(fresh_database(backend, f"call_cost_{backend}_{length}", pg_url=pg_url))
        self.client = create_app(Settings(instance_path=Path(tempfile.mkdtemp(prefix="hallq-call-cost-")),
                                          database_url=self.hall.database_url, redis_url=None,
                                          secret_key="bench")).test_client()
        self.kiosk = {"Authorization": f"Bearer {self.hall.kiosk}"}
        self.staff = {"Authorization": f"Bearer {self.hall.staff[1]}"}
        self.issued = 0
        for _ in range(length):
            self.issue()

    def issue(self) -> None:
        service = self.hall.services[self.issued % len(self.hall.services)]
        self.issued += 1
        resp = self.client.post("/api/v1/halls/bench/tickets", json={"service": service}, headers=self.kiosk)
        assert resp.status_code == 201, resp.data

    def calls(self, n: int) -> tuple[list[float], list[float]]:
        """n timed call-nexts at window 1, each followed (untimed) by its finish and a new ticket.
        Returns (CPU ms, wall ms) of each call."""
        cpu_ms, wall_ms = [], []
        for _ in range(n):
            cpu, wall = time.process_time(), time.perf_counter()
            called = self.client.post("/api/v1/halls/bench/windows/1/call-next", headers=self.staff)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            wall_ms.append((time.perf_counter() - wall) * 1000)
            assert called.status_code == 200, called.data
            done = self.client.post(f"/api/v1/tickets/{called.get_json()['ticket']['id']}/finish", json={},
                                    headers=self.staff)
            assert done.status_code == 200, done.data
            self.issue()
        return cpu_ms, wall_ms


def autovacuumed(url: str, timeout_s: float = 300) -> float:
    """Wait until autovacuum has been through `tickets` and has no more inserted or changed rows to see to;
    returns the seconds waited. Its threshold (migration 0025) is a thousand rows, so "seen to" is: fewer than a
    thousand since its last run. (A backend's counts reach the statistics within ~10 s of its last write.)"""
    from sqlalchemy import create_engine
    from sqlalchemy import text

    from queue_server.settings import normalise_database_url

    engine = create_engine(normalise_database_url(url))
    started = time.monotonic()
    try:
        while True:
            with engine.connect() as conn:
                runs, inserted, changed = conn.execute(text(
                    "SELECT autovacuum_count, n_ins_since_vacuum, n_dead_tup FROM pg_stat_user_tables"
                    " WHERE relname = 'tickets'")).one()
            if runs > 0 and inserted < 1000 and changed < 1000:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                raise RuntimeError(f"autovacuum did not see to tickets within {timeout_s:.0f} s "
                                   f"({inserted} inserted, {changed} dead rows since its last run)")
            time.sleep(1)
    finally:
        engine.dispose()


@contextmanager
def autovacuumed_cluster() -> Iterator[str]:
    """A PostgreSQL cluster of our own with autovacuum on (PostgreSQL's default) and a 10 s nap; its admin URL."""
    from sqlalchemy import create_engine
    from sqlalchemy import text

    from bench.private_postgres import start_postgres

    work = Path(tempfile.mkdtemp(prefix="hallq-call-cost-pg-"))
    cluster = start_postgres(work)
    try:
        admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("ALTER SYSTEM SET autovacuum_naptime = '10s'"))
            conn.execute(text("SELECT pg_reload_conf()"))
            assert conn.execute(text("SHOW autovacuum")).scalar() == "on"
        admin.dispose()
        yield cluster.url
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


def measure(backend: str, lengths: list[int], rounds: int, calls: int, unvacuumed: bool = False) -> list[list[Any]]:
    with ExitStack() as stack:
        if backend == "postgres" and not unvacuumed:
            pg_url = stack.enter_context(autovacuumed_cluster())
            queues = {n: Queue(backend, n, pg_url) for n in lengths}
            for n, q in queues.items():
                if q.issued >= 1000:  # a shorter queue's table stays below autovacuum's threshold, as in a hall
                    print(f"  {n} waiting: autovacuum came after {autovacuumed(q.hall.database_url):.0f} s",
                          flush=True)
            label = "postgres, autovacuumed"
        else:
            queues = {n: Queue(backend, n) for n in lengths}
            label = "postgres, unvacuumed" if backend == "postgres" else backend
        return _rounds(label, queues, lengths, rounds, calls)


def _rounds(backend: str, queues: dict[int, Queue], lengths: list[int], rounds: int, calls: int) -> list[list[Any]]:
    for q in queues.values():
        q.calls(10)  # warm the statement caches and the estimate cache
    cpu: dict[int, list[float]] = {n: [] for n in lengths}
    wall: dict[int, list[float]] = {n: [] for n in lengths}
    per_round: dict[int, list[float]] = {n: [] for n in lengths}
    per_round_wall: dict[int, list[float]] = {n: [] for n in lengths}
    for r in range(rounds):
        for n in (lengths if r % 2 == 0 else lengths[::-1]):
            c, w = queues[n].calls(calls)
            cpu[n].extend(c)
            wall[n].extend(w)
            per_round[n].append(statistics.median(c))
            per_round_wall[n].append(statistics.median(w))
    base = lengths[0]
    rows = []
    for n in lengths:
        cells = []
        for mine, theirs in ((per_round[n], per_round[base]), (per_round_wall[n], per_round_wall[base])):
            ratios = sorted(a / b for a, b in zip(mine, theirs, strict=True))
            cells.append(f"{statistics.median(ratios):.2f} ({ratios[0]:.2f}–{ratios[-1]:.2f})")
        rows.append([backend, n, rounds * calls, f"{statistics.median(cpu[n]):.2f}",
                     f"{statistics.quantiles(cpu[n], n=100)[98]:.2f}", f"{statistics.median(wall[n]):.2f}", *cells])
        print("  " + " | ".join(map(str, rows[-1])), flush=True)
    return rows


def run(backends: list[str], lengths: list[int], rounds: int = 6, calls: int = 40, unvacuumed: bool = False) -> str:
    rows = [row for backend in backends for row in measure(backend, lengths, rounds, calls, unvacuumed)]
    headers = ["database", "waiting", "calls", "CPU ms p50", "CPU ms p99", "wall ms p50",
               f"CPU vs {lengths[0]} waiting (per round: median, range)", f"wall vs {lengths[0]} waiting"]
    return f"Machine: {machine()}; call-next at window 1 (10 services, 8 windows)\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--queues", default="30,3000")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--unvacuumed", action="store_true", help="PostgreSQL: measure before autovacuum came")
    args = parser.parse_args()
    print(run(args.backends.split(","), [int(n) for n in args.queues.split(",")], args.rounds, args.calls,
              args.unvacuumed))


if __name__ == "__main__":
    main()
