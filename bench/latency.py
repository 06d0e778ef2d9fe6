"""Call-to-screen latency: from the call-next request to the `ticket.called` event received by the LAST of N
connected display clients (python-socketio asyncio clients, websocket transport, in this one bench process).
Scenarios: N clients on one server process, and N clients split over two processes sharing events via Redis.
Also the server's resident memory per connected client.

    python -m bench.latency [--clients 10,100,1000] [--split 2000] [--calls 50] [--backend sqlite]
                            [--split-backend postgres] [--redis redis://127.0.0.1:6379/0]

Targets (issue 3): p99 <= 50 ms at 1,000 clients on one process; p99 <= 100 ms at 2,000 across two.
The clients' own event loop is inside the measurement (it has to parse N messages per call): on a shared 2-core
machine that cost lands in the numbers too, so read them as an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
import socketio

from bench.common import BenchHall
from bench.common import Server
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from queue_server.auth import mint_token
from queue_server.clock import SystemClock
from queue_server.models import Hall
from queue_server.models import Role
from queue_server.store import make_store

PORT = 5911  # bench/issue.py uses 5871: the two can run back to back without port clashes
REDIS_URL = os.environ.get("HALLQ_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CONNECT_BATCH = 50  # concurrent handshakes: more only measures the kernel's SYN backlog
EVENT_TIMEOUT_S = 10.0
# Each websocket holds one gthread worker thread; the margin serves the API requests.
THREAD_MARGIN = 64


@dataclass
class Fleet:
    """N display clients; `arrivals[ticket_no]` collects the monotonic time each client got the call."""

    clients: list[socketio.AsyncClient]
    arrivals: dict[str, list[float]]
    waiters: dict[str, asyncio.Event]
    size: int = 0


def display_token(url: str) -> str:
    store = make_store(url)
    with store.transaction() as s:
        hall = s.query(Hall).filter_by(code="bench").one()
        token = mint_token(s, SystemClock().now(), role=Role.DISPLAY, hall=hall, device_name="bench-display")
    store.dispose()
    return token


def rss_kib(pid: int) -> int:
    """Resident memory of a server: the process and its children (gunicorn's worker), from /proc."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


async def connect_fleet(urls: list[str], token: str, n: int) -> Fleet:
    fleet = Fleet([], {}, {})
    fleet.size = n

    def on_event(data: dict[str, object]) -> None:
        if data.get("type") != "ticket.called":
            return
        number = str(data["ticket"]["number"])  # type: ignore[index]
        got = fleet.arrivals.setdefault(number, [])
        got.append(time.perf_counter())
        if len(got) == fleet.size and number in fleet.waiters:
            fleet.waiters[number].set()

    async def one(i: int) -> None:
        client = socketio.AsyncClient(reconnection=False)
        client.on("event", on_event, namespace="/live")
        await client.connect(urls[i % len(urls)], auth={"token": token}, namespaces=["/live"],
                             transports=["websocket"], wait_timeout=30)
        ack = await client.call("subscribe", {"hall": "bench", "since": None}, namespace="/live", timeout=30)
        assert ack["ok"], ack
        fleet.clients.append(client)

    for start in range(0, n, CONNECT_BATCH):
        await asyncio.gather(*(one(i) for i in range(start, min(n, start + CONNECT_BATCH))))
    return fleet


async def measure(fleet: Fleet, base: str, hall: BenchHall, calls: int) -> list[float]:
    http = requests.Session()
    staff = {"Authorization": f"Bearer {hall.staff[1]}"}
    kiosk = {"Authorization": f"Bearer {hall.kiosk}"}
    for _ in range(calls + 1):
        await asyncio.to_thread(http.post, f"{base}/api/v1/halls/bench/tickets", json={"service": hall.services[0]},
                                headers=kiosk)
    latencies = []
    for i in range(calls + 1):  # the first call warms caches and is not counted
        t0 = time.perf_counter()
        resp = await asyncio.to_thread(http.post, f"{base}/api/v1/halls/bench/windows/1/call-next", headers=staff)
        ticket = resp.json()["ticket"]
        number = ticket["number"]
        fleet.waiters[number] = waiter = asyncio.Event()
        if len(fleet.arrivals.get(number, [])) < fleet.size:
            await asyncio.wait_for(waiter.wait(), EVENT_TIMEOUT_S)
        if i:
            latencies.append((max(fleet.arrivals[number]) - t0) * 1000)
        await asyncio.to_thread(http.post, f"{base}/api/v1/tickets/{ticket['id']}/finish", json={}, headers=staff)
    http.close()
    return latencies


def stop(server: Server) -> None:
    """SIGINT: gunicorn's quick shutdown (SIGTERM would wait for the open websockets). If it still hangs, kill
    the worker and then the arbiter (killing only the arbiter would orphan the worker on the port)."""
    if server.process.poll() is not None:
        return
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pid = server.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        for child in (children.read_text().split() if children.exists() else []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(child), signal.SIGKILL)
        server.process.kill()
        server.process.wait()


async def scenario(backend: str, clients: int, processes: int, calls: int, redis: str | None) -> list[object]:
    url = fresh_database(backend, f"bench_latency_{backend}_{processes}")
    hall = build_hall(url)
    token = display_token(url)
    env = {"HALLQ_REDIS_URL": redis, "HALLQ_REDIS_CHANNEL": f"bench-{uuid.uuid4().hex[:8]}"} if redis else {}
    per_process = -(-clients // processes)
    servers = [start_server(url, PORT + i, threads=per_process + THREAD_MARGIN, extra_env=env)
               for i in range(processes)]
    try:
        before = sum(rss_kib(s.process.pid) for s in servers)
        fleet = await connect_fleet([s.url for s in servers], token, clients)
        after = sum(rss_kib(s.process.pid) for s in servers)
        latencies = await measure(fleet, servers[0].url, hall, calls)
        await asyncio.gather(*(c.disconnect() for c in fleet.clients))
    finally:
        for s in servers:
            stop(s)
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return [backend, processes, f"{clients:,}", "Redis" if redis else "—", len(latencies), f"{q[49]:.1f}",
            f"{q[98]:.1f}", f"{max(latencies):.1f}", f"{(after - before) / clients:.0f}"]


def run(clients: list[int], split: list[int], calls: int, backend: str = "sqlite",
        split_backend: str = "postgres", redis: str = REDIS_URL) -> str:
    rows = []
    for n in clients:
        rows.append(asyncio.run(scenario(backend, n, 1, calls, None)))
        print("  " + " | ".join(map(str, rows[-1])))
    for n in split:
        rows.append(asyncio.run(scenario(split_backend, n, 2, calls, redis)))
        print("  " + " | ".join(map(str, rows[-1])))
    headers = ["database", "processes", "clients", "fan-out", "calls", "p50 ms", "p99 ms", "max ms",
               "server KiB/client"]
    return f"Machine: {machine()}\n\n" + table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="10,100,1000", help="one-process scenarios")
    parser.add_argument("--split", default="2000", help="two-process scenarios (Redis); empty for none")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--split-backend", default="postgres")
    parser.add_argument("--redis", default=REDIS_URL)
    args = parser.parse_args()
    ints = lambda text: [int(x) for x in text.split(",") if x]  # noqa: E731
    print(run(ints(args.clients), ints(args.split), args.calls, args.backend, args.split_backend, args.redis))


if __name__ == "__main__":
    main()
