"""Steps the manager-console browser tests share: signing in through the login form and calling the API."""

from __future__ import annotations

from typing import Any

import requests
from playwright.sync_api import expect

from tests.factories import bearer
from tests.realtime.server import Server

TIMEOUT_MS = 10_000
PASSWORD = "pw-12345678"  # tests.factories.staff's password


def sign_in(page: Any, server: Server, user_no: str) -> None:
    page.goto(f"{server.url}/manager/login")
    page.fill("#user_no", user_no)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/manager/t1", timeout=TIMEOUT_MS)
    expect(page.locator("#feed-status")).to_have_text("在线 online", timeout=TIMEOUT_MS)


def post(server: Server, path: str, token: str, json: Any = None, method: str = "POST") -> Any:
    resp = requests.request(method, f"{server.url}/api/v1{path}", json=json, headers=bearer(token), timeout=5)
    assert resp.ok, resp.text
    return resp.json() if resp.content else None
