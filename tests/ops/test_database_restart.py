"""A database restart is a pause, not an error: while PostgreSQL is down every request answers 503
service_unavailable with Retry-After (never 500, never a traceback in the log), and once it is back the same
server answers again by itself.

A PostgreSQL cluster of the test's own (bench/private_postgres.py), really stopped and started under a real
`hallq serve`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.private_postgres import PrivatePostgres
from bench.private_postgres import postgres_bin
from bench.private_postgres import start_postgres
from queue_server.clock import SystemClock
from queue_server.storage import migrate
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import ON_CI
from tests.realtime.server import Server
from tests.realtime.server import make_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, Server, factories.BasicHall]]:
    if postgres_bin() is None:
        message = "PostgreSQL's server binaries are not installed (apt install postgresql)"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    cluster = start_postgres(tmp_path / "pg")
    server: Server | None = None
    try:
        store = make_store(cluster.url)
        migrate.upgrade(store.writer)
        tokens = factories.basic_hall(store, SystemClock())
        store.dispose()
        server = make_server(cluster.url, tmp_path / "instance").start()
        yield cluster, server, tokens
    finally:
        if server is not None:
            server.stop()
        cluster.stop()


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
    cluster.start()
    back = _issue(server, tokens.kiosk)

    for response in down:
        assert response.status_code == 503, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Retry-After"] == "2"
        assert response.json()["code"] == "service_unavailable"
        assert "数据库" in response.json()["detail"]
    assert back.status_code == 201 and back.json()["number"] == "A002"
    assert "Traceback" not in server.log()
