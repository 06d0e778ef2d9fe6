"""Bad input never reaches the database as a 500 (issue 18 point 6), over real HTTP against `hallq serve` on SQLite
and PostgreSQL: control characters at any depth of a query, path or JSON body answer 422 naming the field; ids past
a 64-bit column are 404; a URL with %0a writes one log line, in text and in JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import requests

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.live import LiveServer
from tests.live import start_server

PROBLEM = "application/problem+json"


@pytest.fixture
def served(database_url: str, store: Store, tmp_path: Path) -> Iterator[tuple[LiveServer, BasicHall]]:
    hall = basic_hall(store, FrozenClock(datetime.now(UTC)))  # the server runs on the wall clock
    server = start_server(database_url, tmp_path / "instance")
    yield server, hall
    server.stop()


def _refused(resp: requests.Response, field: str) -> None:
    assert resp.status_code == 422, resp.text
    assert resp.headers["Content-Type"].startswith(PROBLEM)
    body = resp.json()
    assert body["code"] == "invalid_request"
    assert field in [e["field"] for e in body["errors"]], body


def test_a_nul_or_line_break_in_a_public_query_is_422_naming_it(served: tuple[LiveServer, BasicHall]) -> None:
    server, _ = served
    for path in ("/api/v1/halls/t1/guides?q=%00", "/api/v1/halls/t1/disclosures?q=%00", "/kiosk/t1/search?q=%00",
                 "/kiosk/t1/disclosures?q=a%00b", "/api/v1/halls/t1/guides?q=%0d%0aSet-Cookie"):
        _refused(requests.get(server.url + path, timeout=10), "query.q")


def test_a_nul_in_a_path_segment_or_a_form_is_refused_not_looked_up(served: tuple[LiveServer, BasicHall]) -> None:
    server, _ = served
    resp = requests.get(f"{server.url}/kiosk/t1%00/search?q=x", timeout=10)
    _refused(resp, "path.hall")
    # a console's form too (the sign-in page): 422 before the password check
    _refused(requests.post(f"{server.url}/staff/login", data={"user_no": "u1\x00", "password": "x"}, timeout=10),
             "form.user_no")


def test_a_nul_inside_a_notice_is_refused_and_nothing_is_broadcast(served: tuple[LiveServer, BasicHall]) -> None:
    server, hall = served
    url = f"{server.url}/api/v1/halls/t1/notices"
    resp = requests.post(url, json={"notices": ["请排队", "bad\x00notice"]}, headers=bearer(hall.manager), timeout=10)
    _refused(resp, "notices.1")
    assert requests.get(url, timeout=10).json()["notices"] == []


def test_a_nul_deep_inside_a_faq_item_is_refused_with_its_path(served: tuple[LiveServer, BasicHall]) -> None:
    server, hall = served
    guide = {"code": "g-nul", "name": "测试事项", "faq": [{"q": "问", "a": "答"}, {"q": "问二", "a": "答\x00二"}]}
    resp = requests.post(f"{server.url}/api/v1/halls/t1/guides", json=guide, headers=bearer(hall.manager),
                         timeout=10)
    _refused(resp, "faq.1.a")
    assert requests.get(f"{server.url}/api/v1/halls/t1/guides/g-nul", timeout=10).status_code == 404


def test_line_breaks_and_tabs_in_free_text_are_kept(served: tuple[LiveServer, BasicHall]) -> None:
    server, hall = served
    resp = requests.post(f"{server.url}/api/v1/halls/t1/notices", json={"notices": ["第一行\n第二行\t完"]},
                         headers=bearer(hall.manager), timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.json()["notices"] == ["第一行\n第二行\t完"]


def test_a_lone_surrogate_and_a_huge_number_in_a_body_are_refused(served: tuple[LiveServer, BasicHall]) -> None:
    server, hall = served
    raw = '{"notices": ["\\ud800"]}'
    resp = requests.post(f"{server.url}/api/v1/halls/t1/notices", data=raw, timeout=10,
                         headers={**bearer(hall.manager), "Content-Type": "application/json"})
    _refused(resp, "notices.0")
    resp = requests.post(f"{server.url}/api/v1/halls/t1/tickets", data='{"service": "a", "x": 18446744073709551616}',
                         headers={**bearer(hall.kiosk), "Content-Type": "application/json"}, timeout=10)
    _refused(resp, "x")


def test_an_id_past_64_bits_is_404(served: tuple[LiveServer, BasicHall]) -> None:
    server, _ = served
    for path in ("/kiosk/t1/disclosures/9223372036854775808", "/kiosk/t1/disclosures/99999999999999999999999",
                 "/api/v1/halls/t1/disclosures/9223372036854775808"):
        assert requests.get(server.url + path, timeout=10).status_code == 404, path


def test_a_window_number_past_the_columns_range_in_a_case_filter_is_422(served: tuple[LiveServer, BasicHall]) -> None:
    server, hall = served
    for path in ("evaluation-cases", "evaluation-cases/export"):  # schemathesis found the export answering 500
        resp = requests.get(f"{server.url}/api/v1/halls/t1/{path}", params={"window": "18446744073709551616"},
                            headers=bearer(hall.manager), timeout=10)
        assert resp.status_code == 422, (path, resp.status_code)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_a_url_with_a_line_feed_cannot_forge_a_log_line(database_url: str, tmp_path: Path, log_format: str) -> None:
    server = start_server(database_url, tmp_path / "instance", extra_env={"HALLQ_LOG_FORMAT": log_format})
    try:
        forged = "2026-01-01 00:00:00,000 INFO hallq.access [x]: GET /admin 200"
        requests.get(f"{server.url}/nothing%0a{forged.replace(' ', '%20')}%0d%0a", timeout=10)
        requests.get(f"{server.url}/healthz", timeout=10)
    finally:
        server.stop()
    lines = server.log.read_text().splitlines()
    assert not any(line.startswith(forged) or line.startswith("2026-01-01") for line in lines)
    [logged] = [line for line in lines if "/nothing" in line]
    if log_format == "json":
        record = json.loads(logged)
        assert record["path"].startswith("/nothing\n2026-01-01")  # the real path, escaped by JSON on the line
    else:
        assert "/nothing\\x0a2026-01-01" in logged
