"""CPU time of the queue's hot operations inside one process, through Flask's test client: no HTTP server, no
sockets, no other process. Steadier than a wall-clock rate on a shared machine (a neighbour's load moves
throughput by a fifth from one run to the next; CPU time per operation moves by a few per cent), so it is the
figure to compare code changes with; bench/issue.py and bench/latency.py give the rates the issues name.

    python -m bench.ops_cpu [--backends sqlite,postgres] [--ops 300] [--queue 300]

Rows: issuing a ticket, and calling the next ticket at a window followed by its finish (the clerk's cycle, the
start of every call-to-screen path), with `--queue` tickets waiting when the calls begin; then the alert ticker's
housekeeping round with that queue waiting again (it runs under the hall's write lock after every burst of writes,
so every write waiting behind it waits its whole length).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable

from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import table


def measure(backend: str, ops: int, queue: int) -> list[list[object]]:
    url = fresh_database(backend, f"ops_cpu_{backend}")
    hall = build_hall(url)
    os.environ["HALLQ_DATABASE_URL"] = url
    os.environ.setdefault("HALLQ_INSTANCE_PATH", tempfile.mkdtemp(prefix="hallq-ops-cpu-"))
    from queue_server.app import create_app  # after the environment names the database

    client = create_app().test_client()
    kiosk = {"Authorization": f"Bearer {hall.kiosk}"}
    staff = {"Authorization": f"Bearer {hall.staff[1]}"}

    def issue() -> None:
        assert client.post("/api/v1/halls/bench/tickets", json={"service": hall.services[0]},
                           headers=kiosk).status_code == 201

    def cycle() -> None:
        called = client.post("/api/v1/halls/bench/windows/1/call-next", headers=staff)
        assert called.status_code == 200, called.data
        done = client.post(f"/api/v1/tickets/{called.get_json()['ticket']['id']}/finish", json={}, headers=staff)
        assert done.status_code == 200, done.data

    for _ in range(queue + 10):
        issue()
    for _ in range(10):  # warm the statement caches before timing
        cycle()

    def timed(op: Callable[[], None]) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(ops):
            op()
        return (time.process_time() - cpu) * 1000 / ops, (time.perf_counter() - wall) * 1000 / ops

    ticker = client.application.extensions["hallq.alerts"]

    def housekeeping() -> None:
        ticker.evaluate(["bench"])

    rows = []
    for name, op in (("call-next + finish", cycle), ("issue", issue), ("housekeeping round", housekeeping)):
        cpu_ms, wall_ms = timed(op)
        rows.append([backend, name, ops, f"{cpu_ms:.2f}", f"{wall_ms:.2f}"])
        print("  " + " | ".join(map(str, rows[-1])), flush=True)
    return rows


def run(backends: list[str], ops: int, queue: int) -> str:
    rows = [row for backend in backends for row in measure(backend, ops, queue)]
    headers = ["database", "operation", "times", "CPU ms each", "wall ms each"]
    return f"Machine: {machine()}\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--queue", type=int, default=300, help="tickets waiting when the calls begin")
    args = parser.parse_args()
    print(run(args.backends.split(","), args.ops, args.queue))


if __name__ == "__main__":
    main()
