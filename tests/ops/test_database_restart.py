"""A database restart is a pause, not an error: while PostgreSQL is down every request answers 503
service_unavailable with Retry-After (never 500, never a traceback in the log), and once it is back the same
server answers again by itself.

A PostgreSQL cluster of the test's own (bench/private_postgres.py), really stopped and started under a real
`hallq serve`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path

import pytest
import requests

from bench.private_postgres import PrivatePostgres
from bench.private_postgres import postgres_bin
from bench.private_postgres import start_postgres
from queue_server.clock import SystemClock
from queue_server.operations.alert_ticker import AlertTicker
from queue_server.storage import migrate
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import ON_CI
from tests.realtime.server import Server
from tests.realtime.server import make_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TAILER_DOWN = "outbox tailer: round failed: database unavailable"


@pytest.fixture
def hall_cluster(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, Store, factories.BasicHall]]:
    """A private PostgreSQL cluster holding a migrated basic hall."""
    if postgres_bin() is None:
        message = "PostgreSQL's server binaries are not installed (apt install postgresql)"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    cluster = start_postgres(tmp_path / "pg")
    store: Store | None = None
    try:
        store = make_store(cluster.url)
        migrate.upgrade(store.writer)
        tokens = factories.basic_hall(store, SystemClock())
        yield cluster, store, tokens
    finally:
        if store is not None:
            store.dispose()
        cluster.stop()


@pytest.fixture
def own_cluster(hall_cluster: tuple[PrivatePostgres, Store, factories.BasicHall],
                tmp_path: Path) -> Iterator[tuple[PrivatePostgres, Server, factories.BasicHall]]:
    cluster, store, tokens = hall_cluster
    store.dispose()
    server = make_server(cluster.url, tmp_path / "instance").start()
    try:
        yield cluster, server, tokens
    finally:
        server.stop()


def _issue(server: Server, kiosk: str) -> requests.Response:
    return requests.post(f"{server.url}/api/v1/halls/t1/tickets", json={"service": "a"},
                         headers={"Authorization": f"Bearer {kiosk}"}, timeout=30)


def test_while_the_database_restarts_requests_answer_503_with_retry_after_and_then_work_again(
        own_cluster: tuple[PrivatePostgres, Server, factories.BasicHall]) -> None:
    cluster, server, tokens = own_cluster
    assert _issue(server, tokens.kiosk).status_code == 201

    cluster.stop(mode="fast")  # the server's pooled connections die with it
    down = [_issue(server, tokens.kiosk), requests.get(f"{server.url}/api/v1/halls/t1/services", timeout=30),
            requests.post(f"{server.url}/api/v1/halls/t1/windows/1/call-next",
                          headers={"Authorization": f"Bearer {tokens.staff1}"}, timeout=30)]
    # The outbox tailer reads the database twice a second: wait until one of its rounds has met the outage too.
    deadline = time.monotonic() + 30
    while TAILER_DOWN not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)  # polling the log for a line, not a wait for a result
    cluster.start()
    back = _issue(server, tokens.kiosk)

    for response in down:
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Retry-After"] == "2"
        assert response.json()["code"] == "service_unavailable"
        assert "数据库" in response.json()["detail"]
    assert back.status_code == 201 and back.json()["number"] == "A002"
    log = server.log()
    assert TAILER_DOWN in log  # the operator sees the outage, in one line
    assert "Traceback" not in log


class _Rounds(AlertTicker):
    """Counts the housekeeping rounds that got as far as evaluating; the rounds run for real."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime, period_s=0.2)
        self.evaluated = 0
        self.progress = threading.Condition()

    def evaluate(self, halls: Sequence[str]) -> None:
        super().evaluate(halls)
        with self.progress:
            self.evaluated += 1
            self.progress.notify_all()

    def wait_for(self, rounds: int) -> bool:
        with self.progress:
            return self.progress.wait_for(lambda: self.evaluated >= rounds, timeout=30)


def test_housekeeping_outlives_a_database_restart_and_logs_it_in_one_line(
        hall_cluster: tuple[PrivatePostgres, Store, factories.BasicHall], caplog: pytest.LogCaptureFixture) -> None:
    """Housekeeping (parked tickets due back, expired print jobs, alerts) runs in a thread of its own: a round
    meeting the database down must not end the thread, or a hall's alerts stop until someone restarts hallq."""
    cluster, store, _ = hall_cluster
    ticker = _Rounds(Runtime(store, SystemClock()))
    caplog.set_level(logging.WARNING, logger="queue_server")
    ticker.start()
    try:
        assert ticker.wait_for(1)
        cluster.stop(mode="fast")
        deadline = time.monotonic() + 30
        while not any("housekeeping round failed" in r.getMessage() for r in caplog.records) \
                and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the captured log for a line, not a wait for a result
        cluster.start()
        before = ticker.evaluated
        assert ticker.wait_for(before + 2), "no housekeeping round after the database came back"
    finally:
        ticker.stop()

    failed = [r for r in caplog.records if "housekeeping round failed" in r.getMessage()]
    assert failed and "database unavailable" in failed[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records), [r.getMessage() for r in caplog.records]
