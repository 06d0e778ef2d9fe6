"""Test helpers for the staff console: sign in through the real login form and call the API the way
static/staff/console.js does (session cookie + X-CSRF-Token)."""

from __future__ import annotations

import re
from typing import Any

PASSWORD = "pw-12345678"  # tests/factories.staff()
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "page has no CSRF token"
    return found.group(1) or found.group(2)


class Console:
    """A browser-like client signed in (or not) at one window."""

    def __init__(self, client: Any, hall: str = "t1") -> None:
        self.client = client
        self.hall = hall
        self.csrf = ""
        self.window = 0

    def login(self, user_no: str, window: int, password: str = PASSWORD) -> Any:
        page = self.client.get(f"/staff/login?hall={self.hall}")
        token = csrf_from(page.get_data(as_text=True))
        resp = self.client.post("/staff/login", data={
            "csrf_token": token, "hall": self.hall, "user_no": user_no, "password": password, "window": window,
        })
        if resp.status_code == 302:
            self.window = window
            self.csrf = csrf_from(self.client.get("/staff").get_data(as_text=True))
        return resp

    def post(self, path: str, json: Any = None, *, csrf: bool = True) -> Any:
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.client.post(f"/api/v1{path}", json=json, headers=headers)

    def window_op(self, verb: str, json: Any = None, window: int | None = None) -> Any:
        return self.post(f"/halls/{self.hall}/windows/{window or self.window}/{verb}", json)

    def ticket_op(self, ticket_id: int, verb: str, json: Any = None) -> Any:
        return self.post(f"/tickets/{ticket_id}/{verb}", json)

    def state(self, window: int | None = None) -> Any:
        return self.client.get(f"/api/v1/halls/{self.hall}/windows/{window or self.window}/console")
