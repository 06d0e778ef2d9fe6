"""The app itself sends its security headers (issue 18 point 7), with or without nginx in front: a CSP without
inline script and without framing, X-Frame-Options, nosniff and Referrer-Policy on pages, API answers, problems,
static files and error pages alike."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from queue_server.web.security_headers import HEADERS
from tests.factories import basic_hall
from tests.factories import bearer


def _policy(response: Any) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in header.split(";")) if part}


def _assert_secure(response: Any) -> None:
    policy = _policy(response)
    assert policy["script-src"] == "'self'", response.request.path  # no inline script, no eval, no CDN
    assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy)  # no style="" either
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["base-uri"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


PAGES = ["/", "/pair", "/kiosk/", "/kiosk/t1/", "/kiosk/t1/take", "/display/t1", "/display/t1/window/1",
         "/staff/login", "/staff/rater", "/manager/login", "/manager/t1/reports", "/nope"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_policy(store: Store, clock: FrozenClock, client: Any, path: str) -> None:
    basic_hall(store, clock)

    response = client.get(path)

    assert response.status_code in (200, 302, 404)
    _assert_secure(response)


def test_api_answers_problems_and_static_files_carry_the_policy(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    answers = [
        client.get("/api/v1/halls/t1/windows", headers=bearer(hall.manager)),  # 200 JSON
        client.get("/api/v1/halls/t1/windows"),  # 401 problem
        client.post("/api/v1/halls/t1/tickets", json={"service": "zz"}, headers=bearer(hall.kiosk)),  # 404
        client.get("/api/v1/openapi.json"),
        client.get("/static/js/feed.js"),
        client.get("/healthz"),
    ]

    for answer in answers:
        answer.close()  # the static file's handle
    assert [a.status_code for a in answers] == [200, 401, 404, 200, 200, 200]
    for answer in answers:
        _assert_secure(answer)


def test_nginx_sends_the_apps_headers_once_with_the_apps_values() -> None:
    """nginx adds the headers to what it serves itself and hides the app's copies: the values must be the app's."""
    conf = (Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "hallq.conf").read_text()
    added = dict(re.findall(r'^\s*add_header (\S+) "([^"]*)" always;', conf, re.MULTILINE))
    hidden = set(re.findall(r"^\s*proxy_hide_header (\S+);", conf, re.MULTILINE))

    assert added == HEADERS
    assert hidden == set(HEADERS)
