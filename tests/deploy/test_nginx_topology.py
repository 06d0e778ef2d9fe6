"""The shipped topology, really run: nginx (deploy/nginx/hallq.conf) on loopback in front of two `hallq serve`
processes sharing PostgreSQL and Redis. A call made at one process reaches a display connected through nginx;
nginx serves static files itself, spreads the API, carries request ids and security headers; and when one
process is killed with SIGKILL under load, displays reconnect through nginx and resync with nothing lost or
doubled, and every ticket whose issue was acknowledged is in the database.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from bench.feed_client import FeedClient
from bench.nginx import Nginx
from bench.nginx import nginx_binary
from bench.nginx import start_nginx
from queue_server.clock import SystemClock
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.store import make_store
from queue_server.web.security_headers import CSP
from tests import factories
from tests.conftest import ON_CI
from tests.conftest import _truncate_postgres
from tests.conftest import required_redis_url
from tests.realtime.feed import connected
from tests.realtime.feed import events_until
from tests.realtime.feed import subscribe
from tests.realtime.server import Server
from tests.realtime.server import free_port
from tests.realtime.server import make_server

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

LOAD_THREADS = 4
ISSUES_PER_THREAD = 40
KILL_AFTER_ACKS = 30  # SIGKILL once this many issues are acknowledged: mid-load, with load still to come
DISPLAYS = 3


@dataclass
class Topology:
    nginx: Nginx
    a: Server
    b: Server
    tokens: factories.BasicHall
    database_url: str

    def processes(self) -> tuple[Server, Server]:
        return self.a, self.b


@pytest.fixture
def topology(postgres_database: str, tmp_path: Path) -> Iterator[Topology]:
    binary = nginx_binary()
    if binary is None:
        message = "nginx is not installed (deploy/install-system-deps.sh installs it)"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    redis = required_redis_url()
    _truncate_postgres(postgres_database)
    store = make_store(postgres_database)
    tokens = factories.basic_hall(store, SystemClock())
    store.dispose()
    env = {"HALLQ_REDIS_URL": redis, "HALLQ_REDIS_CHANNEL": f"hallq-test-{uuid.uuid4().hex[:8]}",
           "HALLQ_LOG_FORMAT": "json"}
    started: list[Server] = []
    nginx = None
    try:
        for name in ("a", "b"):
            started.append(make_server(postgres_database, tmp_path / name, env=env).start())
        a, b = started
        nginx = start_nginx(binary, tmp_path / "nginx", free_port(), (a.port, b.port))
        yield Topology(nginx, a, b, tokens, postgres_database)
    finally:
        if nginx is not None:
            nginx.stop()
        for server in reversed(started):
            server.stop()


def request_ids(server: Server) -> set[str]:
    """Request ids of the access records in a server's JSON log."""
    out = set()
    for line in server.log().splitlines():
        if line.startswith("{"):
            record = json.loads(line)
            if record.get("logger") == "hallq.access":
                out.add(record["request_id"])
    return out


def test_a_call_at_one_process_reaches_a_display_connected_through_nginx(topology: Topology) -> None:
    t = topology
    with connected(t.nginx.url, {"token": t.tokens.display}) as display:
        ack = subscribe(display, "t1")

        issued = t.a.issue("t1", t.tokens.kiosk)
        called = t.b.call_next("t1", t.tokens.staff1)
        received = events_until(display, ack["seq"] + 3, timeout=10)

    assert [e["type"] for e in received] == ["ticket.issued", "queue.stats", "ticket.called"]
    assert received[-1]["ticket"]["number"] == issued["number"] == called["number"] == "A001"
    assert received[-1]["voice"]["text"] == "请 A001 号到 1 号窗口办理"


def test_nginx_serves_static_itself_spreads_the_api_and_adds_request_ids_and_headers(topology: Topology) -> None:
    t = topology
    headers = {"Authorization": f"Bearer {t.tokens.display}"}

    answers = [requests.get(f"{t.nginx.url}/api/v1/halls/t1/windows", headers=headers, timeout=10)
               for _ in range(8)]
    static = requests.get(f"{t.nginx.url}/static/js/feed.js", timeout=10)
    metrics = requests.get(f"{t.nginx.url}/metrics", timeout=10)

    assert all(r.status_code == 200 for r in answers)
    ids = {r.headers["X-Request-Id"] for r in answers}
    assert len(ids) == 8 and all(len(i) == 32 for i in ids)  # nginx's $request_id, echoed by the app
    # Both processes answered, and logged the id (access lines reach the log within a second: buffered_log.py).
    deadline = time.monotonic() + 10
    while not (ids & request_ids(t.a) and ids & request_ids(t.b)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert ids & request_ids(t.a) and ids & request_ids(t.b)
    assert static.status_code == 200 and "X-Request-Id" not in static.headers  # from disk, not from Python
    assert static.headers["Server"] == "nginx"  # server_tokens off: no version
    assert "max-age=3600" in static.headers["Cache-Control"]
    for response in (answers[0], static):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        # One policy, the app's, whether nginx answered from disk or passed the app's answer on (never twice).
        assert response.headers["Content-Security-Policy"] == CSP
    assert metrics.status_code == 403


class Load:
    """Kiosks issuing through nginx from several threads; keeps what was acknowledged (201) and what failed."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.acked: list[dict[str, Any]] = []
        self.failed = 0
        self.lock = threading.Lock()
        self.enough = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(LOAD_THREADS)]

    def _run(self) -> None:
        with requests.Session() as session:
            for _ in range(ISSUES_PER_THREAD):
                try:
                    r = session.post(f"{self.url}/api/v1/halls/t1/tickets", json={"service": "a"},
                                     headers={"Authorization": f"Bearer {self.token}"}, timeout=15)
                except requests.RequestException:
                    r = None
                with self.lock:
                    if r is not None and r.status_code == 201:
                        self.acked.append(r.json())
                        if len(self.acked) >= KILL_AFTER_ACKS:
                            self.enough.set()
                    else:
                        self.failed += 1

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self, timeout: float) -> None:
        for thread in self.threads:
            thread.join(timeout)
            assert not thread.is_alive(), "load did not finish"


def clients_of(server: Server) -> int:
    """Socket.IO clients connected to one process, from its own /metrics."""
    text = requests.get(f"{server.url}/metrics", timeout=5).text
    line = next(x for x in text.splitlines() if x.startswith("hallq_socketio_clients "))
    return int(float(line.split()[1]))


def test_killing_a_process_under_load_loses_and_doubles_nothing(topology: Topology) -> None:
    t = topology
    displays = [FeedClient(t.nginx.url, t.tokens.display) for _ in range(DISPLAYS)]
    try:
        assert all(d.wait_subscribed(1, timeout=10) for d in displays)
        # Every display comes from 127.0.0.1, so nginx's address hash pins them all to one process: that one dies.
        victim, survivor = t.processes() if clients_of(t.a) == DISPLAYS else t.processes()[::-1]
        assert clients_of(victim) == DISPLAYS
        load = Load(t.nginx.url, t.tokens.kiosk)
        load.start()

        assert load.enough.wait(timeout=60)
        assert victim.process is not None
        os.killpg(os.getpgid(victim.process.pid), signal.SIGKILL)
        load.join(timeout=120)

        store = make_store(t.database_url)
        try:
            with store.read_session() as s:
                final_seq = int(s.scalar(select(Hall.event_seq).where(Hall.code == "t1")) or 0)
                stored = set(s.scalars(select(Ticket.id)))
        finally:
            store.dispose()
        for d in displays:
            assert d.wait_subscribed(2, timeout=30)  # reconnected through nginx and subscribed with `since`
            d.sync()  # the 20 s heartbeat, now: a publish the killed process never made is replayed
        caught_up = [d.wait_for(final_seq, timeout=30) for d in displays]
        reconnected = clients_of(survivor)
    finally:
        for d in displays:
            d.close()

    acked_ids = {ticket["id"] for ticket in load.acked}
    assert len(acked_ids) == len(load.acked)  # no ticket acknowledged twice
    assert acked_ids <= stored  # every acknowledged issue is in the database
    assert len(load.acked) > KILL_AFTER_ACKS  # issuing went on through nginx after the kill
    assert reconnected == DISPLAYS  # the displays reconnected, through nginx, to the survivor
    assert all(caught_up)
    for d in displays:
        assert d.start_seq is not None
        seqs = [e["seq"] for e in d.applied]
        assert seqs == list(range(d.start_seq + 1, final_seq + 1))  # gap-free, each once, in order
        shown = [e["ticket"]["id"] for e in d.applied if e["type"] == "ticket.issued"]
        assert len(shown) == len(set(shown))  # no ticket shown as issued twice
        assert acked_ids <= set(shown)


def test_a_rolling_restart_under_load_fails_no_request_and_displays_replay_what_they_missed(
        topology: Topology) -> None:
    """What an upgrade does (docs/deploy.md, "Upgrades"): SIGTERM one process, start it again, then the other,
    while kiosks issue through nginx. No issue fails, and every display ends with every event once, in order, having
    replayed what it missed (its only snapshot is its first)."""
    t = topology
    displays = [FeedClient(t.nginx.url, t.tokens.display) for _ in range(DISPLAYS)]
    stop = threading.Event()
    answers: list[int] = []

    def issue_until_stopped() -> None:
        with requests.Session() as session:
            while not stop.wait(0.1):  # a kiosk's pace: a few tickets a second each
                try:
                    r = session.post(f"{t.nginx.url}/api/v1/halls/t1/tickets", json={"service": "a"},
                                     headers={"Authorization": f"Bearer {t.tokens.kiosk}"}, timeout=15)
                    answers.append(r.status_code)
                except requests.RequestException:
                    answers.append(0)

    kiosks = [threading.Thread(target=issue_until_stopped) for _ in range(LOAD_THREADS)]
    try:
        assert all(d.wait_subscribed(1, timeout=10) for d in displays)
        for kiosk in kiosks:
            kiosk.start()
        for server in t.processes():
            assert server.process is not None
            os.kill(server.process.pid, signal.SIGTERM)
            assert server.process.wait(timeout=10) == 0
            server.start()  # the same port, as systemd restarts hallq@<port>
        stop.set()
        for kiosk in kiosks:
            kiosk.join(timeout=30)
        store = make_store(t.database_url)
        try:
            with store.read_session() as s:
                final_seq = int(s.scalar(select(Hall.event_seq).where(Hall.code == "t1")) or 0)
        finally:
            store.dispose()
        caught_up = [d.wait_for(final_seq, timeout=30) for d in displays]
    finally:
        stop.set()
        for d in displays:
            d.close()

    assert answers and all(status == 201 for status in answers), {s: answers.count(s) for s in set(answers)}
    assert all(caught_up)
    for d in displays:
        assert d.snapshots == 1, "a display resynced with a snapshot instead of replaying"
        assert [e["seq"] for e in d.applied] == list(range(d.start_seq + 1, final_seq + 1))  # type: ignore[operator]
