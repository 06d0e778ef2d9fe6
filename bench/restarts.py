"""Restarts in seconds (issue 19): how long a `hallq serve` takes to stop with many displays connected, with and
without load, and what a rolling restart of two processes behind the shipped nginx files costs under load.

Goals: a stop exits within 3 s with displays connected (5 s under load); a rolling restart, one process at a time,
fails no request nginx could retry, and every display resumes from its last seq (replay, not a snapshot).

    python -m bench.restarts [--displays 1000] [--clients 64] [--rolling-displays 20]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import threading
import time

import requests

from bench.common import WORK
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table
from bench.feed_client import FeedClient
from bench.latency import LightFleet
from bench.latency import display_token
from bench.nginx import nginx_binary
from bench.nginx import start_nginx
from bench.private_redis import redis_binary
from bench.private_redis import start_redis
from queue_server.queries import snapshots
from queue_server.storage.store import make_store

PORT = 5931


class Kiosks:
    """`n` threads issuing through `url` as fast as answers come, until stopped; counts answers by status. After a
    failed request a thread waits 1 s, as a kiosk does."""

    def __init__(self, url: str, token: str, services: list[str], n: int) -> None:
        self.url, self.token, self.services = url, token, services
        self.statuses: dict[int, int] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def _run(self, i: int) -> None:
        with requests.Session() as session:
            k = i
            while not self.stop.is_set():
                try:
                    r = session.post(f"{self.url}/api/v1/halls/bench/tickets",
                                     json={"service": self.services[k % len(self.services)]},
                                     headers={"Authorization": f"Bearer {self.token}"}, timeout=30)
                    status = r.status_code
                except requests.RequestException:
                    status = 0
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                k += 1
                if status == 0 or status >= 500:
                    # As the kiosk page does (kiosk.js, retryAfterMs): wait a second before trying again, rather
                    # than spinning on a refused connection and starving the server being measured of CPU.
                    self.stop.wait(1.0)

    def __enter__(self) -> Kiosks:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()

    def failed(self) -> str:
        """How many failed and how (0 = no answer within 30 s or the connection failed), e.g. "3 (502: 2, 0: 1)"."""
        with self.lock:
            bad = {status: n for status, n in sorted(self.statuses.items()) if status != 201}
        if not bad:
            return "0"
        return f"{sum(bad.values())} ({', '.join(f'{status}: {n}' for status, n in bad.items())})"


async def _stop_once(displays: int, load: int) -> list[object]:
    url = fresh_database("sqlite", "bench_stop")
    hall = build_hall(url)
    server = start_server(url, PORT, threads=displays + load + 64)
    fleet = LightFleet([server.url], display_token(url), displays, procs=4)
    await fleet.start()
    try:
        with Kiosks(server.url, hall.kiosk, hall.services, load):
            await asyncio.sleep(2 if load else 0)  # let the load run before the stop
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(server.process.wait, 60)
            took = time.monotonic() - started
    finally:
        await fleet.close()
        server.stop()
    return [f"{displays} displays" + (f", {load} issuing clients" if load else ", idle"), f"{took:.2f}", code]


def stop_time(displays: int, clients: int) -> list[list[object]]:
    """Seconds from SIGTERM to exit, with `displays` connected, idle and under `clients` issuing kiosks."""
    return [asyncio.run(_stop_once(displays, load)) for load in (0, clients)]


def rolling(clients: int, displays: int) -> list[object]:
    """Two processes on PostgreSQL + Redis behind the shipped nginx files; SIGTERM and restart each in turn."""
    binary, redis_bin = nginx_binary(), redis_binary()
    if binary is None or redis_bin is None:
        raise SystemExit("nginx and redis-server are needed: deploy/install-system-deps.sh")
    url = fresh_database("postgres", "hallq_bench_rolling")
    hall = build_hall(url)
    token = display_token(url)
    redis = start_redis(redis_bin, WORK / "rolling-redis")
    env = {"HALLQ_REDIS_URL": redis.url}
    servers = [start_server(url, PORT + 1 + i, threads=displays + clients + 64, extra_env=env) for i in range(2)]
    proxy = start_nginx(binary, WORK / "rolling-nginx", PORT, (PORT + 1, PORT + 2))
    feeds = [FeedClient(proxy.url, token, hall="bench") for _ in range(displays)]
    try:
        assert all(f.wait_subscribed(1, timeout=30) for f in feeds)
        with Kiosks(proxy.url, hall.kiosk, hall.services, clients) as kiosks:
            time.sleep(2)  # load before the first restart
            for i, server in enumerate(servers):
                server.process.send_signal(signal.SIGTERM)
                server.process.wait(timeout=60)
                servers[i] = start_server(url, PORT + 1 + i, threads=displays + clients + 64, extra_env=env)
            time.sleep(2)  # load after the last restart
        store = make_store(url)
        with store.read_session() as s:
            final = snapshots.hall_by_code(s, "bench").event_seq
        store.dispose()
        for f in feeds:
            f.sync()
            f.wait_for(final, timeout=60)
        missed = sum(len(set(range(f.start_seq + 1, final + 1)) - {e["seq"] for e in f.applied})  # type: ignore[operator]
                     for f in feeds)
        doubled = sum(len(f.applied) - len({e["seq"] for e in f.applied}) for f in feeds)
        snapshots_after = sum(f.snapshots - 1 for f in feeds)
        answered = sum(kiosks.statuses.values())
        return [f"{clients} issuing clients, {displays} displays", answered, kiosks.failed(), missed, doubled,
                snapshots_after]
    finally:
        for f in feeds:
            f.close()
        proxy.stop()
        for server in servers:
            server.stop()
        redis.stop()


def run(displays: int, clients: int, rolling_displays: int) -> str:
    stops = stop_time(displays, clients)
    roll = rolling(clients, rolling_displays)
    return "\n".join([
        f"Machine: {machine()}.",
        "",
        "Stop (SIGTERM to exit), one `hallq serve` on SQLite, displays as raw websockets (bench/wsfleet.py):",
        "",
        table(["case", "seconds to exit", "exit code"], stops),
        "",
        "Rolling restart behind the shipped nginx files (two processes, PostgreSQL, a private Redis): SIGTERM one "
        "process, start it again, then the other:",
        "",
        table(["load", "issues answered", "failed", "events missed", "events doubled", "resync snapshots"], [roll]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--displays", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--rolling-displays", type=int, default=20)
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    print(run(args.displays, args.clients, args.rolling_displays))


if __name__ == "__main__":
    main()

