"""Test helper for the manager console: sign in through the real /manager/login form and call /api/v1 the way
static/manager/monitor.js does (session cookie + X-CSRF-Token, taken from the monitor page's data-csrf)."""

from __future__ import annotations

import re
from typing import Any

from tests.staff.console_client import PASSWORD
from tests.staff.console_client import csrf_from

DATA_CSRF = re.compile(r'data-csrf="([^"]+)"')


class ManagerConsole:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.csrf = ""

    def login(self, user_no: str, password: str = PASSWORD) -> Any:
        token = csrf_from(self.client.get("/manager/login").get_data(as_text=True))
        resp = self.client.post("/manager/login", data={"csrf_token": token, "user_no": user_no,
                                                       "password": password})
        if resp.status_code == 302:
            page = self.client.get("/manager/t1").get_data(as_text=True)
            found = DATA_CSRF.search(page)
            self.csrf = found.group(1) if found else ""
        return resp

    def call(self, method: str, path: str, json: Any = None) -> Any:
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers={"X-CSRF-Token": self.csrf})
