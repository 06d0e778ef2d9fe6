"""Every page of the app under its own Content-Security-Policy (issue 18 point 7), in Chromium: no violation is
reported (the `securitypolicyviolation` event and Chromium's console both watched) while each page does its main
job: devices are paired at /pair with a one-time code, the kiosk issues, the wall display shows and announces a
call over Socket.IO, the window screen, phone page and rating tablet follow it live, a clerk calls, a manager
reads the monitor, settings (making a pairing code), reports, audit log and password pages, an admin the
prefecture overview. No page is opened with a token in its address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from queue_server.storage.models import Role
from queue_server.storage.store import make_store
from tests import factories
from tests.browser.conftest import screenshot
from tests.browser.manager_steps import PASSWORD
from tests.browser.manager_steps import sign_in
from tests.conftest import stop_after_pages
from tests.factories import BasicHall
from tests.realtime.server import Server
from tests.realtime.server import make_server

TIMEOUT_MS = 10_000

# Reported through the console so violations of every document a page has shown are kept, not only the last's.
WATCH = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP-VIOLATION " + e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});"""


class Watched:
    """A browser context whose pages report every CSP violation and script error into `violations`."""

    def __init__(self, browser: Any, width: int = 1366, height: int = 768) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        self.context.add_init_script(script=WATCH)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.violations: list[str] = []
        self.page = self.new_page()

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.violations.append(f"pageerror {exc}"))
        return page

    def _console(self, message: Any) -> None:
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text or "Refused to" in text:
            self.violations.append(f"{message.page.url if message.page else ''}: {text}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def csp_server(hall: tuple[str, BasicHall], tmp_path: Path, browser: Any) -> Iterator[Server]:
    """The browser tests' hall t1, plus an admin account (the prefecture overview is theirs)."""
    store = make_store(hall[0])
    with store.transaction() as s:
        factories.staff(s, None, "admin1", Role.ADMIN)
    store.dispose()
    srv = make_server(hall[0], tmp_path / "instance").start()
    yield srv
    stop_after_pages(browser, srv)


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.close()


def _device(server: Server, manager: str, kind: str, name: str, window: int | None = None) -> int:
    made = server.post("/api/v1/halls/t1/devices", manager, {"kind": kind, "name": name, "window": window})
    assert made.status_code == 201, made.text
    return int(made.json()["device"]["id"])


def _code(server: Server, manager: str, device: int) -> str:
    made = server.post(f"/api/v1/halls/t1/devices/{device}/pairing-code", manager)
    assert made.status_code == 201, made.text
    return str(made.json()["code"])


def _pair(page: Any, server: Server, code: str, lands_on: str) -> None:
    page.goto(f"{server.url}/pair")
    page.fill("#pair-code", code[:4] + " " + code[4:])
    page.click("#pair-form button[type=submit]")
    page.wait_for_url(f"{server.url}{lands_on}")


def _assert_no_token_in_urls(watched: Watched, *tokens: str) -> None:
    for page in watched.context.pages:
        assert "token=" not in page.url and not any(t in page.url for t in tokens), page.url


def test_paired_devices_work_under_the_policy_without_a_token_in_any_address(
    browser: Any, csp_server: Server, tokens: BasicHall
) -> None:
    server = csp_server
    wall_id = _device(server, tokens.manager, "display", "大厅综合屏")
    screen_id = _device(server, tokens.manager, "display", "1号窗口屏", window=1)
    kiosk_id = _device(server, tokens.manager, "kiosk", "大厅1号机")
    rater_id = _device(server, tokens.manager, "rater", "1号评价器", window=1)
    devices = [Watched(browser, 1920, 1080), Watched(browser, 1366, 768), Watched(browser, 1080, 1920),
               Watched(browser, 1366, 768), Watched(browser, 390, 844)]
    wall, screen, kiosk, tablet, phone = devices
    try:
        _pair(wall.page, server, _code(server, tokens.manager, wall_id), "/display/t1")
        _pair(screen.page, server, _code(server, tokens.manager, screen_id), "/display/t1/window/1")
        _pair(kiosk.page, server, _code(server, tokens.manager, kiosk_id), "/kiosk/t1/")
        _pair(tablet.page, server, _code(server, tokens.manager, rater_id), "/staff/rater")
        for page in (wall.page, screen.page):
            page.wait_for_function("() => document.body.dataset.ready === '1' && document.body.dataset.online === '1'")

        # The kiosk issues with the token pairing gave it.
        kiosk.page.goto(f"{server.url}/kiosk/t1/service/a")
        kiosk.page.click("[data-confirm]")
        expect(kiosk.page.locator("#ticket [data-number]")).to_have_text("A001")
        kiosk.page.goto(f"{server.url}/kiosk/t1/search")
        kiosk.page.goto(f"{server.url}/kiosk/t1/guides")

        # The citizen's phone follows the ticket live (Socket.IO with the track token in the connect payload).
        track = server.issue("t1", tokens.kiosk, "a")["track_token"]
        phone.page.goto(f"{server.url}/t/{track}")
        phone.page.wait_for_function("() => document.body.dataset.online === '1'")

        # A call reaches the wall (and its voice plays: same-origin audio), the window screen and the phone.
        server.call_next("t1", tokens.staff1, window=1)
        wall.page.wait_for_function("() => document.querySelector('#latest .number')?.textContent === 'A001'")
        wall.page.wait_for_function("() => window.hallqAnnouncer.log.length >= 1")
        expect(screen.page.locator("body")).to_contain_text("A001")
        expect(tablet.page.locator("#idle, #ask").first).to_be_attached()
        screenshot(wall.page, "csp-wall.png")

        # Pages that need no pairing.
        for path in ("/", "/pair", "/kiosk/"):
            phone.page.goto(server.url + path)
        refused = phone.page.goto(f"{server.url}/display/t1?token={tokens.display}")
        assert refused is not None and refused.status == 400
        expect(phone.page.locator("#token-refused")).to_contain_text("一次性配对码")
        screenshot(phone.page, "token-refused.png")
        # The refusal page carries no trace of the token it refused (only its own address does).
        assert tokens.display not in phone.page.content()

        for device in devices[:4]:
            _assert_no_token_in_urls(device, tokens.display, tokens.kiosk)
        for device in devices:
            assert device.violations == [], device.violations
    finally:
        for device in devices:
            device.close()


def test_consoles_reports_and_account_pages_work_under_the_policy(
    watched: Watched, csp_server: Server, tokens: BasicHall
) -> None:
    server, page = csp_server, watched.page
    server.issue("t1", tokens.kiosk, "a")

    # The clerk signs in at window 1 and calls with F1.
    page.goto(f"{server.url}/staff/login?hall=t1")
    page.fill("#user_no", "u1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("body[data-ready]")).to_have_count(1)
    page.keyboard.press("F1")
    expect(page.locator("#current-body")).to_contain_text("A001")
    page.goto(f"{server.url}/account/password")
    expect(page.locator("#current")).to_be_visible()

    # The manager: monitor (live), settings (a pairing code made from the device list), reports, audit log.
    manager = Watched(watched.context.browser)
    try:
        mpage = manager.page
        sign_in(mpage, server, "m1")
        mpage.goto(f"{server.url}/manager/t1/settings")
        row = mpage.locator("#devices tr", has_text="display-1")
        row.locator("[data-pair]").click()
        expect(mpage.locator("[data-pairing-code]")).to_have_text(re.compile(r"^\d{8}$"))
        screenshot(mpage, "manager-pairing-code.png")
        mpage.goto(f"{server.url}/manager/t1/reports")
        mpage.wait_for_selector("body[data-loaded]")
        assert mpage.is_hidden("#need-token")
        mpage.goto(f"{server.url}/manager/t1/audit")
        expect(mpage.locator("#audit")).to_contain_text("device.pairing_code")
        mpage.goto(f"{server.url}/account/password")
        expect(mpage.locator("#current")).to_be_visible()
        mpage.click("text=返回 Back")
        mpage.wait_for_url(f"{server.url}/manager**")
        mpage.goto(f"{server.url}/manager/login")  # the login page itself, already signed in or not
        assert manager.violations == [], manager.violations
    finally:
        manager.close()

    # An admin's prefecture overview, signed in in a fresh context.
    admin = Watched(watched.context.browser)
    try:
        admin.page.goto(f"{server.url}/manager/login")
        admin.page.fill("#user_no", "admin1")
        admin.page.fill("#password", PASSWORD)
        admin.page.click("button[type=submit]")
        admin.page.wait_for_url(f"{server.url}/manager")
        expect(admin.page.locator("body")).to_contain_text("t1")
        assert admin.violations == [], admin.violations
    finally:
        admin.close()
    assert watched.violations == [], watched.violations


def test_a_report_link_without_a_console_session_asks_to_sign_in(watched: Watched, csp_server: Server) -> None:
    watched.page.goto(f"{csp_server.url}/manager/t1/reports")

    expect(watched.page.locator("#need-token")).to_be_visible()
    expect(watched.page.locator("#need-token")).to_contain_text("登录管理控制台")
    assert watched.violations == []


def test_the_headers_reach_the_browser(watched: Watched, csp_server: Server) -> None:
    answer = watched.page.goto(f"{csp_server.url}/pair")
    assert answer is not None
    headers = answer.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
    # A page framed by another page is refused by the browser (frame-ancestors 'none'), and says so.
    with watched.page.expect_console_message(lambda m: "frame-ancestors" in m.text):
        watched.page.set_content(f'<iframe id="f" src="{csp_server.url}/pair"></iframe>')
    watched.violations.clear()
    api = requests.get(f"{csp_server.url}/api/v1/halls/t1/services", timeout=5)
    assert api.headers["Content-Security-Policy"] == headers["content-security-policy"]
