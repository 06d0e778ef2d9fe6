"""Call-to-screen latency: from the call-next request to the `ticket.called` event received by the LAST of N
connected display clients. Scenarios: N clients on one server process, and N clients split over two processes
sharing events via Redis. Also the server's resident memory per connected client.

    python -m bench.latency [--clients 10,100,1000] [--split 2000] [--calls 50] [--backend sqlite]
                            [--split-backend postgres] [--redis redis://127.0.0.1:6379/0]
                            [--client light|socketio] [--client-procs 2]

Targets (issue 3): p99 <= 50 ms at 1,000 clients on one process; p99 <= 100 ms at 2,000 across two.

How the clients are kept out of the figure: by default (`--client light`) the displays are bench/wsfleet.py,
raw-socket websocket clients that speak the Engine.IO/Socket.IO text protocol by hand in one `epoll` loop per
child process, take a CLOCK_MONOTONIC timestamp right after each `recv()` and find the ticket number with a
regex (no Socket.IO library, no JSON parse, no permessage-deflate), spread over `--client-procs` child processes.
Their cost is not zero and they still share the machine's cores with the server, so each row also reports CPU
time from /proc, per call (call-next + its finish: two commits, each one batched write per client), with the
system share in brackets: the server processes' and the client processes'. CPU time barely moves when other
work shares the cores, wall-clock latency does: on a busy machine read the CPU columns. `first p50` is the
request to the FIRST client (the call-next path before fan-out); the `last` columns are the target's measure.
`--client socketio` runs the old fleet (python-socketio AsyncClients in this process), whose parsing was most of
the former figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
import socketio
from prometheus_client.parser import text_string_to_metric_families

from bench.common import BenchHall
from bench.common import Server
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.store import make_store

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


def cpu_s(pid: int, fields_at: tuple[int, ...] = (11, 12)) -> float:
    """CPU seconds of a process and its children (gunicorn's worker), from /proc: user + system by default, or
    only user (11) or system (12). Unlike wall time, this barely moves when other work shares the cores."""
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    total = 0
    for p in pids:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(fields[i]) for i in fields_at)  # utime, stime: fields 14 and 15 of proc_pid_stat(5)
    return total / os.sysconf("SC_CLK_TCK")


async def connect_fleet(urls: list[str], token: str, n: int) -> Fleet:
    fleet = Fleet([], {}, {})
    fleet.size = n

    def on_event(data: dict[str, object]) -> None:
        if data.get("type") != "ticket.called":
            return
        number = str(data["ticket"]["number"])  # type: ignore[index]
        got = fleet.arrivals.setdefault(number, [])
        got.append(time.monotonic())
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


class LightFleet:
    """N raw-websocket display clients (bench/wsfleet.py) spread over `procs` child processes."""

    def __init__(self, urls: list[str], token: str, n: int, procs: int, hall: str = "bench") -> None:
        self.urls, self.token, self.n, self.procs, self.hall = urls, token, n, procs, hall
        self.children: list[asyncio.subprocess.Process] = []
        self.reports: dict[str, list[dict[str, float]]] = {}
        self.waiters: dict[str, asyncio.Event] = {}
        self.readers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        procs = max(1, min(self.procs, self.n))
        sizes = [self.n // procs + (1 if i < self.n % procs else 0) for i in range(procs)]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        for i, size in enumerate(sizes):
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.wsfleet", self.urls[i % len(self.urls)], self.token, str(size),
                self.hall, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=2**20)
            self.children.append(child)
        for child in self.children:  # every child must say `ready` before the first call
            assert child.stdout is not None
            line = await asyncio.wait_for(child.stdout.readline(), 600)
            if line.strip() != b"ready":
                raise RuntimeError(f"wsfleet child did not connect: {line!r}")
        self.readers = [asyncio.create_task(self._read(c)) for c in self.children]

    async def _read(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        async for line in child.stdout:
            report = json.loads(line)
            got = self.reports.setdefault(report["number"], [])
            got.append(report)
            if len(got) == len(self.children) and report["number"] in self.waiters:
                self.waiters[report["number"]].set()

    async def wait(self, number: str) -> tuple[float, float]:
        """(first, last) monotonic arrival of `number` over every client."""
        self.waiters[number] = waiter = asyncio.Event()
        if len(self.reports.get(number, [])) < len(self.children):
            await asyncio.wait_for(waiter.wait(), EVENT_TIMEOUT_S)
        got = self.reports.pop(number)
        return min(r["first"] for r in got), max(r["last"] for r in got)

    def cpu(self, fields_at: tuple[int, ...] = (11, 12)) -> float:
        return sum(cpu_s(c.pid, fields_at) for c in self.children)

    async def close(self) -> None:
        for child in self.children:
            assert child.stdin is not None
            child.stdin.close()
        for child in self.children:
            try:
                await asyncio.wait_for(child.wait(), 30)
            except TimeoutError:
                child.kill()
        for task in self.readers:
            task.cancel()


class SocketIOFleet:
    """The same fleet as python-socketio AsyncClients in this process: for comparison only (--client socketio)."""

    def __init__(self, urls: list[str], token: str, n: int) -> None:
        self.urls, self.token, self.n = urls, token, n
        self.fleet: Fleet | None = None

    async def start(self) -> None:
        self.fleet = await connect_fleet(self.urls, self.token, self.n)

    async def wait(self, number: str) -> tuple[float, float]:
        assert self.fleet is not None
        self.fleet.waiters[number] = waiter = asyncio.Event()
        if len(self.fleet.arrivals.get(number, [])) < self.fleet.size:
            await asyncio.wait_for(waiter.wait(), EVENT_TIMEOUT_S)
        got = self.fleet.arrivals.pop(number)
        return min(got), max(got)

    def cpu(self, fields_at: tuple[int, ...] = (11, 12)) -> float:
        return cpu_s(os.getpid(), fields_at)

    async def close(self) -> None:
        assert self.fleet is not None
        await asyncio.gather(*(c.disconnect() for c in self.fleet.clients))


async def measure(fleet: LightFleet | SocketIOFleet, base: str, hall: BenchHall,
                  calls: int) -> list[tuple[float, float]]:
    """(ms to the first client, ms to the last client) per call."""
    http = requests.Session()
    staff = {"Authorization": f"Bearer {hall.staff[1]}"}
    kiosk = {"Authorization": f"Bearer {hall.kiosk}"}
    for _ in range(calls + 1):
        await asyncio.to_thread(http.post, f"{base}/api/v1/halls/bench/tickets", json={"service": hall.services[0]},
                                headers=kiosk)
    latencies = []
    for i in range(calls + 1):  # the first call warms caches and is not counted
        t0 = time.monotonic()
        resp = await asyncio.to_thread(http.post, f"{base}/api/v1/halls/bench/windows/1/call-next", headers=staff)
        ticket = resp.json()["ticket"]
        first, last = await fleet.wait(ticket["number"])
        if i:
            latencies.append(((first - t0) * 1000, (last - t0) * 1000))
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


async def scenario(backend: str, clients: int, processes: int, calls: int, redis: str | None,
                   client: str = "light", client_procs: int = 2) -> list[object]:
    url = fresh_database(backend, f"bench_latency_{backend}_{processes}")
    hall = build_hall(url)
    token = display_token(url)
    env = {"HALLQ_REDIS_URL": redis, "HALLQ_REDIS_CHANNEL": f"bench-{uuid.uuid4().hex[:8]}"} if redis else {}
    per_process = -(-clients // processes)
    servers = [start_server(url, PORT + i, threads=per_process + THREAD_MARGIN, extra_env=env)
               for i in range(processes)]
    urls = [s.url for s in servers]
    fleet = LightFleet(urls, token, clients, client_procs) if client == "light" else SocketIOFleet(urls, token, clients)
    try:
        before = sum(rss_kib(s.process.pid) for s in servers)
        await fleet.start()
        after = sum(rss_kib(s.process.pid) for s in servers)
        cpu0 = sum(cpu_s(s.process.pid) for s in servers)
        sys0 = sum(cpu_s(s.process.pid, (12,)) for s in servers)
        client0, client_sys0 = fleet.cpu(), fleet.cpu((12,))
        latencies = await measure(fleet, servers[0].url, hall, calls)
        # Per call: call-next, its fan-out and the finish that follows (a small `ticket.finished` broadcast).
        server_cpu = (sum(cpu_s(s.process.pid) for s in servers) - cpu0) * 1000 / (calls + 1)
        server_sys = (sum(cpu_s(s.process.pid, (12,)) for s in servers) - sys0) * 1000 / (calls + 1)
        client_cpu = (fleet.cpu() - client0) * 1000 / (calls + 1)
        client_sys = (fleet.cpu((12,)) - client_sys0) * 1000 / (calls + 1)
        gc_passes = [gc_pauses(s.url) for s in servers]
        await fleet.close()
    finally:
        for s in servers:
            stop(s)
    first = [f for f, _ in latencies]
    last = [t for _, t in latencies]
    q = quantiles(last)
    return [backend, processes, f"{clients:,}", "Redis" if redis else "—", client, len(latencies),
            f"{quantiles(first)[49]:.1f}", f"{q[49]:.1f}", f"{q[98]:.1f}", f"{max(last):.1f}",
            f"{server_cpu:.0f} ({server_sys:.0f})", f"{client_cpu:.0f} ({client_sys:.0f})",
            f"{(after - before) / clients:.0f}",
            " + ".join(f"{n} ({longest * 1000:.0f})" for n, longest in gc_passes)]


def gc_pauses(base: str) -> tuple[int, float]:
    """(full collections so far, the longest in s) of a server process, from its /metrics: each one stalls the
    whole process, so a slow outlier call with a new one here is the collector, not the fan-out."""
    seen = {s.name: s.value for f in text_string_to_metric_families(requests.get(f"{base}/metrics", timeout=10).text)
            for s in f.samples}
    return int(seen["hallq_gc_full_collections_total"]), seen["hallq_gc_full_pause_max_seconds"]


def quantiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else values * 99


HEADERS = ["database", "processes", "clients", "fan-out", "client", "calls", "first p50 ms", "last p50 ms",
           "last p99 ms", "last max ms", "server CPU ms/call (sys)",
           "client CPU ms/call (sys)", "server KiB/client", "full GCs (max ms)"]


def run(clients: list[int], split: list[int], calls: int, backend: str = "sqlite",
        split_backend: str = "postgres", redis: str = REDIS_URL, client: str = "light",
        client_procs: int = 2) -> str:
    rows = []
    for n in clients:
        rows.append(asyncio.run(scenario(backend, n, 1, calls, None, client, client_procs)))
        print("  " + " | ".join(map(str, rows[-1])), flush=True)
    for n in split:
        rows.append(asyncio.run(scenario(split_backend, n, 2, calls, redis, client, client_procs)))
        print("  " + " | ".join(map(str, rows[-1])), flush=True)
    return f"Machine: {machine()}, load average before: {os.getloadavg()[0]:.1f}\n\n" + table(HEADERS, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="10,100,1000", help="one-process scenarios")
    parser.add_argument("--split", default="2000", help="two-process scenarios (Redis); empty for none")
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--split-backend", default="postgres")
    parser.add_argument("--redis", default=REDIS_URL)
    parser.add_argument("--client", choices=["light", "socketio"], default="light",
                        help="light: raw-socket websockets in child processes (bench/wsfleet.py); socketio: "
                             "python-socketio AsyncClients in this process (the old, client-bound figure)")
    parser.add_argument("--client-procs", type=int, default=2, help="child processes of the light fleet")
    args = parser.parse_args()
    ints = lambda text: [int(x) for x in text.split(",") if x]  # noqa: E731
    print(run(ints(args.clients), ints(args.split), args.calls, args.backend, args.split_backend, args.redis,
              args.client, args.client_procs))


if __name__ == "__main__":
    main()
