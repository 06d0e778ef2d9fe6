"""Operations endpoints: /readyz says whether the database and Redis answer, /metrics shows the queue and the
traffic in the Prometheus text format, and every request carries an id into the logs and the response."""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from queue_server.app import create_app
from queue_server.clock import FrozenClock
from queue_server.operations.metrics import readiness
from queue_server.operations.request_log import JsonFormatter
from queue_server.operations.request_log import RequestIdFilter
from queue_server.settings import Settings
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from tests.api.steps import act
from tests.api.steps import called
from tests.api.steps import issue
from tests.conftest import required_redis_url
from tests.factories import BasicHall
from tests.factories import bearer


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _samples(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_healthz_and_readyz_answer_when_the_database_is_reachable(client: Any) -> None:
    live = client.get("/healthz")
    ready = client.get("/readyz")

    assert live.status_code == 200
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "checks": {"database": "ok"}}


def test_a_process_without_its_redis_stays_ready_and_says_redis_is_down(settings: Settings,
                                                                       clock: FrozenClock) -> None:
    """Redis carries live events between processes, but the outbox does too: its loss must not take the process
    out of rotation (that would only move its load onto the others), only show in the checks."""
    app = create_app(replace(settings, redis_url=f"redis://127.0.0.1:{_closed_port()}/0"), clock=clock)
    try:
        ready = app.test_client().get("/readyz")
    finally:
        app.extensions["hallq"].store.dispose()

    assert ready.status_code == 200
    assert ready.get_json()["status"] == "ready"
    assert ready.get_json()["checks"]["redis"] != "ok"


def test_readiness_names_an_unreachable_redis_and_database() -> None:
    dead_db = make_store(f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/nope?connect_timeout=2")
    try:
        checks = readiness(dead_db, f"redis://127.0.0.1:{_closed_port()}/0")
    finally:
        dead_db.dispose()

    assert checks["database"] != "ok"
    assert checks["redis"] != "ok"


@pytest.mark.redis
def test_readiness_is_ok_with_a_reachable_redis(store: Store) -> None:
    url = required_redis_url()

    assert readiness(store, url) == {"database": "ok", "redis": "ok"}


def test_metrics_show_issued_served_and_waiting_per_service(client: Any, hall: BasicHall, store: Store) -> None:
    for _ in range(3):
        issue(client, hall.kiosk, "a")
    issue(client, hall.kiosk, "b")
    ticket = called(client, hall.staff1)
    assert act(client, hall.staff1, ticket["id"], "finish").status_code == 200

    samples = _samples(client)

    a = (("hall", "t1"), ("service", "a"))
    b = (("hall", "t1"), ("service", "b"))
    assert samples[("hallq_tickets_issued_today", a)] == 3
    assert samples[("hallq_tickets_issued_today", b)] == 1
    assert samples[("hallq_tickets_served_today", a)] + samples[("hallq_tickets_served_today", b)] == 1
    assert samples[("hallq_tickets_waiting", a)] + samples[("hallq_tickets_waiting", b)] == 3
    assert samples[("hallq_events_published_total", (("type", "ticket.issued"),))] == 4
    assert samples[("hallq_event_lag_seconds_count", ())] >= 6  # 4 issued, called, finished
    assert samples[("hallq_socketio_clients", ())] == 0
    # The WAL checkpointer's series exist on SQLite only (its thread starts in a served process: no runs here).
    sqlite = store.dialect == "sqlite"
    assert (("hallq_sqlite_checkpoints_total", ()) in samples) is sqlite
    assert (("hallq_sqlite_wal_pages_left", ()) in samples) is sqlite


def test_metrics_time_requests_by_route_pattern_not_by_path(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    client.get("/api/v1/halls/t1/windows", headers=bearer(hall.display))

    samples = _samples(client)

    issued = (("method", "POST"), ("route", "/api/v1/halls/<code:hall>/tickets"), ("status", "201"))
    assert samples[("hallq_http_request_duration_seconds_count", issued)] == 1
    assert not any("t1" in dict(labels).get("route", "") for _, labels in samples)


def test_every_response_carries_a_request_id_and_a_proxy_id_is_kept(client: Any) -> None:
    own = client.get("/healthz").headers["X-Request-Id"]
    kept = client.get("/healthz", headers={"X-Request-Id": "0123456789abcdef0123456789abcdef"})
    forged = client.get("/healthz", headers={"X-Request-Id": "bad id <script> \" spaces"})

    assert len(own) == 32
    assert kept.headers["X-Request-Id"] == "0123456789abcdef0123456789abcdef"
    assert " " not in forged.headers["X-Request-Id"] and len(forged.headers["X-Request-Id"]) == 32


def test_log_records_of_a_request_carry_its_id_and_json_lines_parse(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="hallq.access"):
        rid = client.get("/", headers={"X-Request-Id": "req-0000000042"}).headers["X-Request-Id"]
        client.get("/healthz")  # probes are logged at DEBUG only

    [record] = [r for r in caplog.records if r.name == "hallq.access"]
    line = json.loads(JsonFormatter().format(record))
    assert rid == "req-0000000042"
    assert line["request_id"] == "req-0000000042"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)
