"""The shipped nginx files carry a hall's screens: 1,500 displays connected through deploy/nginx/nginx.conf and
hallq.conf to two `hallq serve` processes (PostgreSQL + Redis) all stay connected and all get a call.

Debian's own nginx.conf (worker_connections 768) refused the 726th display: each proxied websocket takes two
nginx connections. The displays are raw websocket clients in child processes (bench/wsfleet.py), so the test
machine's cores go to nginx and the servers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.latency import LightFleet
from bench.nginx import Nginx
from bench.nginx import nginx_binary
from bench.nginx import start_nginx
from queue_server.clock import SystemClock
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import ON_CI
from tests.conftest import _truncate_postgres
from tests.conftest import required_redis_url
from tests.realtime.server import Server
from tests.realtime.server import free_port
from tests.realtime.server import make_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

DISPLAYS = 1500
# Every display may land on one process when the other restarts (docs/deploy.md, "Sizing").
THREADS = DISPLAYS + 64


@pytest.fixture
def site(postgres_database: str, tmp_path: Path) -> Iterator[tuple[Nginx, Server, Server, factories.BasicHall]]:
    binary = nginx_binary()
    if binary is None:
        message = "nginx is not installed (deploy/install-system-deps.sh installs it)"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    _truncate_postgres(postgres_database)
    store = make_store(postgres_database)
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    env = {"HALLQ_REDIS_URL": required_redis_url(), "HALLQ_REDIS_CHANNEL": f"hallq-test-{uuid.uuid4().hex[:8]}",
           "HALLQ_THREADS": str(THREADS)}
    servers: list[Server] = []
    nginx = None
    try:
        for name in ("a", "b"):
            servers.append(make_server(postgres_database, tmp_path / name, env=env).start())
        nginx = start_nginx(binary, tmp_path / "nginx", free_port(), (servers[0].port, servers[1].port))
        yield nginx, servers[0], servers[1], tokens
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            server.stop()


def test_1500_displays_connect_through_the_shipped_nginx_files_and_all_get_a_call(
        site: tuple[Nginx, Server, Server, factories.BasicHall]) -> None:
    nginx, a, _, tokens = site

    async def scenario() -> tuple[float, float]:
        fleet = LightFleet([nginx.url], tokens.display, DISPLAYS, procs=3, hall="t1")
        await fleet.start()  # every child reports `ready` only once all its displays are subscribed
        try:
            a.issue("t1", tokens.kiosk)
            called = a.call_next("t1", tokens.staff1)
            return await fleet.wait(called["number"])  # returns once every one of the displays has the call
        finally:
            await fleet.close()

    # A browser test earlier in this process leaves Playwright's loop set on the main thread, where
    # asyncio.run() refuses to start: the fleet gets a thread (and a loop) of its own.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        first, last = pool.submit(asyncio.run, scenario()).result()

    assert last >= first
    log = nginx.error_log()
    assert "worker_connections are not enough" not in log
    assert "Too many open files" not in log
