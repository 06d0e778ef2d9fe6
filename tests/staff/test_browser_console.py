"""Browser tests (Playwright on Debian Chromium against a live server subprocess): a clerk works only with the
keyboard; the rating tablet shows the levels after finish and records a rating. Saves docs/screenshots/."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page
from playwright.sync_api import expect

from bench.private_postgres import PrivatePostgres
from bench.private_postgres import postgres_bin
from bench.private_postgres import start_postgres
from queue_server.access.credentials import mint_token
from queue_server.clock import SystemClock
from queue_server.storage import migrate
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Window
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import ON_CI
from tests.conftest import stop_after_pages
from tests.device_pairing import pair_rater
from tests.live import ROOT
from tests.live import LiveServer
from tests.live import start_server

SHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class Live:
    server: LiveServer
    kiosk: str
    rater: str
    manager: str

    def issue(self, service: str) -> dict[str, Any]:
        resp = requests.post(f"{self.server.url}/api/v1/halls/t1/tickets", json={"service": service},
                             headers={"Authorization": f"Bearer {self.kiosk}"}, timeout=5)
        resp.raise_for_status()
        return resp.json()  # type: ignore[no-any-return]


def _hall(url: str) -> tuple[str, str, str]:
    """Hall t1 for a clerk at window 1 (cx1001 李娜): the kiosk's, the rating tablet's and a manager's tokens."""
    store = make_store(url)
    now = SystemClock().now()
    with store.transaction() as s:
        hall = factories.hall(s, "t1")
        hall.name = "楚雄州政务服务中心"
        a = factories.service(s, hall, "a", "A")
        b = factories.service(s, hall, "b", "B")
        a.name, b.name = "不动产登记", "社保业务"
        w1 = factories.window(s, hall, 1, [a, b])
        factories.window(s, hall, 2, [b])
        clerk = factories.staff(s, hall, "cx1001")
        clerk.name = "李娜"
        factories.staff(s, hall, "m1", Role.MANAGER)
        h = s.get(Hall, hall.id)
        kiosk = mint_token(s, now, role=Role.KIOSK, hall=h)
        rater = mint_token(s, now, role=Role.RATER, hall=h, window=s.get(Window, w1.id), device_name="评价器1")
        manager = mint_token(s, now, role=Role.MANAGER, hall=h)
    store.dispose()
    return kiosk, rater, manager


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path, browser: Any) -> Iterator[Live]:
    db = tmp_path / "browser.db"
    shutil.copy(sqlite_template, db)
    url = f"sqlite:///{db}"
    kiosk, rater, manager = _hall(url)
    server = start_server(url, tmp_path / "instance")
    yield Live(server, kiosk, rater, manager)
    stop_after_pages(browser, server)


@pytest.fixture
def live_on_own_postgres(tmp_path: Path) -> Iterator[tuple[PrivatePostgres, Live]]:
    """The same hall on a PostgreSQL cluster of the test's own, which the test may stop and start."""
    if postgres_bin() is None:
        message = "PostgreSQL's server binaries are not installed (apt install postgresql)"
        pytest.fail(message) if ON_CI else pytest.skip(reason=message)
    cluster = start_postgres(tmp_path / "pg")
    server = None
    try:
        store = make_store(cluster.url)
        migrate.upgrade(store.writer)
        store.dispose()
        kiosk, rater, manager = _hall(cluster.url)
        server = start_server(cluster.url, tmp_path / "instance")
        yield cluster, Live(server, kiosk, rater, manager)
    finally:
        if server is not None:
            server.stop()
        cluster.stop()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def sign_in_with_keyboard(page: Page, base: str) -> None:
    page.goto(f"{base}/staff/login?hall=t1")
    expect(page.locator("#user_no")).to_be_focused()
    page.keyboard.type("cx1001")  # the 工号 field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type("pw-12345678")
    page.keyboard.press("Enter")  # window 1 is preselected
    expect(page.locator("#login-error")).to_have_count(0)
    expect(page.locator("h1")).to_contain_text("1号窗口")
    expect(page.locator("body[data-ready]")).to_have_count(1)  # the console has its first snapshot
    expect(page.locator("#current-body")).to_have_text("空闲 Free")


def test_the_console_follows_the_halls_live_events_without_waiting_for_a_poll(
    live: Live, browser_page: Page
) -> None:
    page = browser_page
    sign_in_with_keyboard(page, live.server.url)
    # Online on /live, the console only re-reads every 30 s as a safety net: what follows arrives by the feed.
    expect(page.locator("body[data-live='1']")).to_have_count(1)
    expect(page.locator("#live")).to_have_text("实时 live")
    waiting_a = page.locator("#queue-rows tr").first.locator("td").nth(1)
    expect(waiting_a).to_have_text("0")

    live.issue("a")

    expect(waiting_a).to_have_text("1", timeout=5_000)


def test_clerk_calls_recalls_transfers_and_finishes_with_the_keyboard_only(
    live: Live, browser_page: Page
) -> None:
    page = browser_page
    live.issue("a")
    live.issue("a")
    sign_in_with_keyboard(page, live.server.url)

    page.keyboard.press("F1")
    expect(page.locator("#current-body .number")).to_have_text("A001")
    page.keyboard.press("F2")
    expect(page.locator("#message")).to_contain_text("还可重呼 2 次")
    page.keyboard.press("F8")
    expect(page.locator("#dialog")).to_be_visible()
    page.keyboard.press("ArrowDown")  # 事项 不动产登记 -> 事项 社保业务
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_contain_text("已转移 Transferred A001 → 社保业务")
    page.keyboard.press("F1")
    expect(page.locator("#current-body .number")).to_have_text("A001")  # longest wait: 一票到底 keeps its time
    page.keyboard.press("F3")
    expect(page.locator("#message")).to_contain_text("开始办理")
    expect(page.locator("#current-body .status")).to_contain_text("办理中")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "staff-console.png"))
    page.keyboard.press("F4")
    expect(page.locator("#dialog")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.type("BJ-2026-0001")
    page.keyboard.press("Enter")

    expect(page.locator("#message")).to_contain_text("已办结 Finished A001")
    expect(page.locator("#current-body")).to_have_text("空闲 Free")
    expect(page.locator("#served")).to_have_text("1")


def test_a_key_pressed_while_the_call_is_in_flight_is_not_lost(live: Live, browser_page: Page) -> None:
    page = browser_page
    live.issue("a")
    sign_in_with_keyboard(page, live.server.url)

    # F3 follows F1 at once, before the call has answered: the console runs it after the call instead of
    # dropping it, so the clerk never has to press a key twice.
    page.keyboard.press("F1")
    page.keyboard.press("F3")

    expect(page.locator("#current-body .status")).to_contain_text("办理中")
    expect(page.locator("#message")).to_contain_text("开始办理 Serving A001")


def test_errors_show_as_a_chinese_message(live: Live, browser_page: Page) -> None:
    page = browser_page
    sign_in_with_keyboard(page, live.server.url)

    page.keyboard.press("F10")
    page.keyboard.type("A999")
    page.keyboard.press("Tab")
    page.keyboard.type("测试")
    page.keyboard.press("Enter")

    expect(page.locator("#message")).to_have_text("号票不存在：找不到该号票。")


def test_auto_call_calls_the_next_ticket_when_the_window_is_free(live: Live, browser_page: Page) -> None:
    page = browser_page
    sign_in_with_keyboard(page, live.server.url)
    page.locator("#autocall-s").fill("3")
    page.locator("#autocall-s").dispatch_event("change")
    page.locator("#autocall").check()

    live.issue("b")

    # Polling (3 s) sees the ticket, then the 3 s auto-call delay runs out.
    expect(page.locator("#current-body .number")).to_have_text("B001", timeout=15_000)


def test_rating_tablet_shows_the_levels_after_finish_and_records_a_rating(
    live: Live, browser_page: Page
) -> None:
    page = browser_page
    assert page.context.browser is not None
    tablet = page.context.browser.new_context(viewport={"width": 1024, "height": 600}).new_page()
    tablet.set_default_timeout(TIMEOUT_MS)
    pair_rater(tablet, live.rater)
    tablet.goto(f"{live.server.url}/staff/rater")
    live.issue("a")
    sign_in_with_keyboard(page, live.server.url)
    expect(tablet.locator("#idle-staff")).to_have_text("工号 cx1001　李娜")

    page.keyboard.press("F1")
    expect(page.locator("#current-body .number")).to_have_text("A001")
    page.keyboard.press("F4")
    # The live event can show A001 before the call's own request has finished; F4 then waits its turn (queued),
    # so Enter belongs after the dialog is up, as for a clerk who confirms what they see.
    expect(page.locator("#dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_contain_text("已办结")

    expect(tablet.locator("#ask")).to_be_visible()
    expect(tablet.locator("[data-level]")).to_have_count(5)
    tablet.screenshot(path=str(SHOTS / "rating-tablet.png"))
    tablet.locator('[data-level="4"]').click()
    tablet.locator("#reason-submit").click()
    expect(tablet.locator("#rate-error")).to_contain_text("请选择原因")
    tablet.locator('[data-tag="等候时间长"]').click()
    tablet.locator("#reason-submit").click()
    expect(tablet.locator("#thanks")).to_be_visible()

    outbox = requests.get(f"{live.server.url}/api/v1/halls/t1/ratings/outbox",
                          headers={"Authorization": f"Bearer {live.manager}"}, timeout=5).json()
    assert [(r["ticket_no"], r["level"], r["tags"], r["case_id"] is not None) for r in outbox] == [
        ("A001", 4, ["等候时间长"], True)]


@pytest.mark.postgres
@pytest.mark.slow
def test_a_call_made_while_the_database_restarts_goes_through_by_itself(
        live_on_own_postgres: tuple[PrivatePostgres, Live], browser_page: Page) -> None:
    """The clerk presses F1 once while PostgreSQL is down: the console says it is retrying, and the call lands
    when the database is back, without a second key press or an error to dismiss."""
    cluster, live = live_on_own_postgres
    page = browser_page
    live.issue("a")
    sign_in_with_keyboard(page, live.server.url)

    cluster.stop(mode="fast")
    page.keyboard.press("F1")
    expect(page.locator("#message")).to_contain_text("正在自动重试")
    cluster.start()

    expect(page.locator("#current-body")).to_contain_text("A001", timeout=20_000)
    expect(page.locator("#message")).not_to_contain_text("重试")


def test_a_visit_rated_on_the_phone_leaves_the_tablet_at_once(live: Live, browser_page: Page) -> None:
    """The tablet follows /live, not a poll: the phone's rating reaches it as an event of its window."""
    page = browser_page
    assert page.context.browser is not None
    tablet = page.context.browser.new_context(viewport={"width": 1024, "height": 600}).new_page()
    tablet.set_default_timeout(TIMEOUT_MS)
    pair_rater(tablet, live.rater)
    tablet.goto(f"{live.server.url}/staff/rater")
    issued = live.issue("a")
    sign_in_with_keyboard(page, live.server.url)
    page.keyboard.press("F1")
    expect(page.locator("#current-body .number")).to_have_text("A001")
    page.keyboard.press("F4")
    expect(page.locator("#dialog")).to_be_visible()
    page.keyboard.press("Enter")
    expect(tablet.locator("#ask")).to_be_visible()
    expect(tablet.locator("#ask-ticket")).to_contain_text("A001")

    phone = requests.post(f"{live.server.url}/api/v1/track/{issued['track_token']}/rating", json={"level": 1},
                          timeout=5)
    assert phone.status_code == 201, phone.text

    # Well inside the tablet's former 30 s poll: only the live event can take it back to idle this fast.
    expect(tablet.locator("#idle")).to_be_visible(timeout=3_000)
    expect(tablet.locator("#ask")).to_be_hidden()
