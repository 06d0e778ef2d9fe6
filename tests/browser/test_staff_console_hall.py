"""The staff console at the demo hall's size (24 windows, 30 services) in Chromium, at 1366x768 and 1920x1080:
every window on the sign-in page as "N号 name", only the keys the state allows, 过号 reactivated from the console,
a transfer dialog that chooses nothing by itself and shows each window's state, and a manager freeing a window
an absent clerk holds from the settings page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from queue_server.demo.halls import DEMO_PASSWORD
from queue_server.demo.halls import WINDOWS
from tests.browser.conftest import FullHall
from tests.browser.conftest import screenshot
from tests.browser.conftest import start_full_hall
from tests.browser.sight import seen
from tests.conftest import stop_after_pages
from tests.factories import bearer

SIZES = [(1366, 768), (1920, 1080)]
TIMEOUT_MS = 10_000


@pytest.fixture
def demo(sqlite_template: Path, tmp_path: Path, browser: Any) -> Iterator[FullHall]:
    hall = start_full_hall(sqlite_template, tmp_path)
    yield hall
    stop_after_pages(browser, hall.server)


def new_page(browser: Any, width: int, height: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


def sign_in(page: Any, demo: FullHall, window: int) -> None:
    page.goto(f"{demo.server.url}/staff/login?hall=cxz")
    page.fill("#user_no", f"cx{1000 + window}")  # the demo's clerk of that window
    page.fill("#password", DEMO_PASSWORD)
    page.check(f'.window-choice[data-window="{window}"] input')
    page.click("form button[type=submit]")
    expect(page.locator("body[data-ready]")).to_have_count(1)


def api(demo: FullHall, path: str, json: Any = None) -> Any:
    resp = requests.post(f"{demo.server.url}/api/v1{path}", json=json, headers=bearer(demo.creds.manager_token),
                         timeout=5)
    assert resp.ok, resp.text
    return resp.json()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_sign_in_page_shows_all_24_windows_by_number_and_name(
    browser: Any, demo: FullHall, width: int, height: int
) -> None:
    page = new_page(browser, width, height)
    try:
        page.goto(f"{demo.server.url}/staff/login?hall=cxz")
        screenshot(page, f"staff-login-{width}x{height}.png")

        # Every window is on screen at once, not cut off, not covered, and the form's button too.
        assert seen(page, ".window-choice", "window") == [str(n) for n, *_ in WINDOWS]
        labels = page.locator(".window-choice .w-label").all_inner_texts()
        assert labels[:4] == ["1号 综合窗口", "2号 综合窗口", "3号 综合窗口", "4号 综合窗口"]
        assert labels[22] == "23号 公共资源交易窗口"
        assert seen(page, "form button[type=submit]") != []
        assert page.locator('.window-choice[data-window="3"] .w-taken').inner_text() == "已有人登录 signed in"
        assert page.js_errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_console_enables_only_what_the_state_allows_and_reactivates_a_no_show(
    browser: Any, demo: FullHall, width: int, height: int
) -> None:
    api(demo, "/halls/cxz/windows/4/pause", {"reason": "培训"})
    page = new_page(browser, width, height)
    try:
        sign_in(page, demo, 3)
        expect(page.locator("#window-label")).to_contain_text("3号 综合窗口")
        buttons = page.locator("button[data-op]").all_inner_texts()
        assert len(seen(page, "button[data-op]")) == len(buttons) == 11  # every key on screen without scrolling
        screenshot(page, f"staff-console-{width}x{height}.png")

        # Paused: no calling (F1, F10), and the page says why and what to press.
        page.keyboard.press("F9")
        expect(page.locator("#dialog")).to_be_visible()
        page.keyboard.press("Enter")
        expect(page.locator("#window-state")).to_have_text("暂停服务 Paused（临时离开）")
        expect(page.locator('[data-op="call-next"]')).to_be_disabled()
        expect(page.locator('[data-op="call-specific"]')).to_be_disabled()
        expect(page.locator("#state-hint")).to_have_text(
            "暂停服务中：按 F9 恢复服务后才能呼叫 Paused: press F9 to resume before calling")
        page.keyboard.press("F1")
        expect(page.locator("#message")).to_contain_text("按 F9 恢复服务后才能呼叫")
        page.keyboard.press("F9")
        expect(page.locator('[data-op="call-next"]')).to_be_enabled()
        expect(page.locator("#state-hint")).to_be_hidden()

        # Away: nothing but 回岗.
        page.keyboard.press("F11")
        expect(page.locator("#window-state")).to_have_text("离岗 Away")
        for op in ("call-next", "pause", "call-specific"):
            expect(page.locator(f'[data-op="{op}"]')).to_be_disabled()
        page.keyboard.press("F11")
        expect(page.locator('[data-op="call-next"]')).to_be_enabled()

        # 过号, then Shift+F5 puts it back from today's list.
        expect(page.locator('[data-op="reactivate"]')).to_be_disabled()
        page.keyboard.press("F1")
        number = page.locator("#current-body .number")
        expect(number).to_have_text(re.compile(r"[A-Z]+\d{3}"))
        called = number.inner_text()
        page.keyboard.press("F5")
        expect(page.locator("#message")).to_contain_text("过号 No-show " + called)
        expect(page.locator("#no-show-list li")).to_have_count(1)
        expect(page.locator("#no-show-list li")).to_contain_text(called + " ")
        expect(page.locator("#no-show-list li")).to_contain_text("3号 综合窗口")
        page.keyboard.press("Shift+F5")
        expect(page.locator("#dialog")).to_be_visible()
        expect(page.locator("#dialog-title")).to_have_text("恢复过号 Reactivate a no-show")
        page.keyboard.press("Enter")
        expect(page.locator("#message")).to_contain_text("已恢复 " + called)
        expect(page.locator("#no-show-list li")).to_have_count(0)

        # Transfer: nothing chosen for the clerk, not the ticket's own service, windows with their state.
        page.keyboard.press("F1")
        expect(number).to_have_text(called)  # back with its original queue time: the longest wait again
        service = page.locator("#current-body .service").inner_text()
        page.keyboard.press("F8")
        expect(page.locator("#dialog")).to_be_visible()
        select = page.locator("#field-target")
        assert select.input_value() == ""
        options = select.locator("option").all_inner_texts()
        assert options[0] == "— 请选择事项或窗口 Choose a service or window —"
        assert "事项 " + service not in options
        assert "窗口 4号 综合窗口（暂停服务）" in options and "窗口 5号 市场监管窗口（开放）" in options
        assert len([o for o in options if o.startswith("窗口 ")]) == 23
        screenshot(page, f"staff-transfer-{width}x{height}.png")
        page.keyboard.press("Enter")  # nothing chosen: the dialog stays
        expect(page.locator("#dialog")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("#dialog")).to_be_hidden()
        expect(number).to_have_text(called)
        assert page.js_errors == []
    finally:
        page.context.close()


def test_a_manager_frees_a_window_from_the_settings_page(browser: Any, demo: FullHall) -> None:
    page = new_page(browser, 1920, 1080)
    try:
        page.goto(f"{demo.server.url}/manager/login")
        page.fill("#user_no", "cxmgr")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{demo.server.url}/manager/cxz")
        page.goto(f"{demo.server.url}/manager/cxz/settings")
        row = page.locator('#window-list tr[data-window="5"]')
        expect(row.locator("td").first).to_have_text("5号 市场监管窗口")
        expect(row.locator(".signed-in")).to_have_text("工号 cx1005 · 开放 open")
        row.scroll_into_view_if_needed()
        screenshot(page, "manager-settings-windows.png")

        page.once("dialog", lambda dialog: dialog.accept())
        row.locator("button.release").click()

        expect(row.locator(".signed-in")).to_have_text("无人登录 nobody")
        expect(row.locator("button.release")).to_have_count(0)
        windows = requests.get(f"{demo.server.url}/api/v1/halls/cxz/windows",
                               headers=bearer(demo.creds.manager_token), timeout=5).json()
        freed = next(w for w in windows if w["number"] == 5)
        assert (freed["staff"], freed["state"], freed["label"]) == (None, "closed", "5号 市场监管窗口")
        assert page.js_errors == []
    finally:
        page.context.close()
