"""The kiosk for touch and for elderly citizens (issue 20 point 7), on the full-size demo hall (24 windows, 30
services) in a real Chromium at 1080x1920 portrait and 1920x1080 / 1366x768 landscape: what a person in front of
the screen can see and tap. Screenshots of each page at each size go to docs/screenshots/."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import Page
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy import update

from queue_server.clock import service_day
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.store import make_store
from tests.browser.sight import seen
from tests.device_pairing import pair_kiosk
from tests.kiosk.server_process import ROOT
from tests.kiosk.server_process import ServerProcess

pytestmark = pytest.mark.slow
LARGE = re.compile(r"\blarge\b")  # body classes: the page's own and large
SHOTS = ROOT / "docs" / "screenshots"
SIZES = [(1080, 1920), (1920, 1080), (1366, 768)]
KEYPAD = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "X", "0", "del"]


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    instance = tmp_path_factory.mktemp("kiosk-touch")
    server = ServerProcess(instance)
    token = server.load_demo()
    server.start()
    yield server, token
    server.stop()


def kiosk(browser: Any, server: ServerProcess, token: str, size: tuple[int, int], **options: Any) -> Any:
    """A paired kiosk page at the given screen size (a context of its own: closed by the caller)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, has_touch=True, **options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    pair_kiosk(page, "cxz", token)
    page.goto(f"{server.url}/kiosk/")
    page.wait_for_url("**/kiosk/cxz/")
    context.js_errors = errors  # type: ignore[attr-defined]
    return context


def all_services(server: ServerProcess) -> list[dict[str, Any]]:
    services: list[dict[str, Any]] = requests.get(f"{server.url}/api/v1/halls/cxz/services", timeout=10).json()
    return services


def db(server: ServerProcess) -> Any:
    return make_store(server.env["HALLQ_DATABASE_URL"])


def shot(page: Page, name: str, size: tuple[int, int]) -> None:
    page.screenshot(path=str(SHOTS / f"kiosk-{name}-{size[0]}x{size[1]}.png"))


# -- a. 确认取号 (and the keypad) on screen for every service ----------------------------------------------------

@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_confirm_button_and_keypad_are_on_screen_without_scrolling_for_all_30_services(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int], large: bool
) -> None:
    server, token = hall
    services = all_services(server)
    assert len(services) == 30
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    if large:
        page.click("[data-large]")
    missing: dict[str, list[str]] = {}
    for s in services:
        page.goto(f"{server.url}/kiosk/cxz/service/{s['code']}")
        expect(page.locator("[data-service-name]")).to_have_text(s["name"])
        wanted = ["[data-confirm]"]
        if s["person_limit"]:  # the ID/phone keypad, every key of it, and the box it types into
            wanted += ["#person"] + [f'.keypad [data-key="{k}"]' for k in KEYPAD]
        if large:
            assert "large" in (page.get_attribute("body", "class") or "")
        lost = [sel for sel in wanted if not seen(page, sel)]
        if lost:
            missing[s["code"]] = lost
        if s["code"] == "crj":
            shot(page, "service-id-keypad" + ("-large" if large else ""), size)
    assert page.evaluate("document.scrollingElement.scrollTop") == 0
    assert missing == {}, missing
    assert context.js_errors == []
    context.close()


# -- b. the on-screen keyboard with pinyin ----------------------------------------------------------------------

def type_letters(page: Page, letters: str) -> None:
    for letter in letters:
        page.click(f'#osk [data-osk-key="{letter}"]')


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_on_screen_keyboard_types_full_pinyin_and_offers_the_words_to_tap(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    box = page.locator("input[data-osk]")
    box.click()
    keyboard = page.locator("#osk")
    expect(keyboard).to_be_visible()
    assert len(seen(page, "#osk [data-osk-key]")) == 26 + 5  # every letter, ⌫, 清除, 空格, 收起键盘, 搜索

    type_letters(page, "shebao")
    word = page.locator('#osk [data-osk-cand="社保"]')
    expect(word).to_be_visible()
    expect(page.locator("[data-osk-letters]")).to_have_text("shebao")
    shot(page, "keyboard", size)
    word.click()
    expect(box).to_have_value("社保")
    page.click('#osk [data-osk-key="go"]')

    page.wait_for_url("**/kiosk/cxz/search?q=*")
    expect(page.locator("[data-guide] a.name").first).to_contain_text("社会保险")
    assert context.js_errors == []
    context.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_the_keyboard_in_large_text_leaves_the_search_box_and_the_words_in_sight(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    page.click("[data-large]")
    page.click("input[data-osk]")
    type_letters(page, "gjj")

    expect(page.locator('#osk [data-osk-cand="公积金"]')).to_be_visible()
    shot(page, "keyboard-large", size)
    assert seen(page, "input[data-osk]") != []  # not under the keyboard
    assert len(seen(page, "#osk [data-osk-key]")) == 31
    assert "公积金" in seen(page, "#osk [data-osk-cand]")
    context.close()


def test_keyboard_initials_find_their_words_and_a_pending_pinyin_searches_as_typed(
    browser: Any, hall: tuple[ServerProcess, str]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    page.click("input[data-osk]")
    type_letters(page, "bdc")
    expect(page.locator('#osk [data-osk-cand="不动产"]')).to_be_visible()
    page.click('#osk [data-osk-key="del"]')
    expect(page.locator("[data-osk-letters]")).to_have_text("bd")

    page.click('#osk [data-osk-key="clear"]')
    type_letters(page, "budongchan")
    page.click('#osk [data-osk-key="go"]')  # searched by the letters themselves: full pinyin

    page.wait_for_url("**/search?q=budongchan")
    names = page.locator("[data-guide] a.name")
    expect(names.first).to_contain_text("不动产")
    context.close()


@pytest.mark.parametrize("path", ["/kiosk/cxz/", "/kiosk/cxz/search?q=社保", "/kiosk/cxz/guides",
                                  "/kiosk/cxz/disclosures"])
def test_every_search_box_has_the_keyboard(browser: Any, hall: tuple[ServerProcess, str], path: str) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1920, 1080))
    page = context.pages[0]
    page.goto(server.url + path)
    page.click("input[name=q]")

    expect(page.locator("#osk")).to_be_visible()
    assert page.get_attribute("input[name=q]", "inputmode") == "none"  # the system's own keyboard stays away
    assert len(seen(page, "#osk [data-osk-key]")) == 31
    context.close()


# -- c. 大字模式 ends with the session; its pages are laid out for it --------------------------------------------

def test_large_text_ends_when_the_citizen_goes_home_and_when_the_kiosk_resets(
    browser: Any, hall: tuple[ServerProcess, str]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    page.click("[data-large]")
    page.click("[data-tile=guides]")
    expect(page.locator("body")).to_have_class(LARGE)  # on for this citizen's pages

    page.click("[data-home]")
    page.wait_for_url("**/kiosk/cxz/")
    expect(page.locator("body")).not_to_have_class(LARGE)

    page.clock.install()
    page.click("[data-large]")
    page.click("[data-tile=take]")
    # The idle timer to run out is the take page's: advancing the clock while the home page is still showing (the
    # navigation under way) ran the old page's timers and left the new one waiting for ever.
    page.wait_for_url("**/kiosk/cxz/take")
    expect(page.locator("body")).to_have_class(LARGE)
    page.clock.run_for(91_000)  # nobody touches the screen
    page.wait_for_url("**/kiosk/cxz/")
    expect(page.locator("body")).not_to_have_class(LARGE)
    context.close()


def test_large_text_left_on_at_home_is_switched_off_for_the_next_citizen(
    browser: Any, hall: tuple[ServerProcess, str]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    page.clock.install()
    page.click("[data-large]")

    page.clock.run_for(91_000)

    expect(page.locator("body")).not_to_have_class(LARGE)
    context.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_large_text_keeps_the_title_on_one_line_and_the_ticket_dialog_whole(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    page.click("[data-large]")
    for path in ("/kiosk/cxz/", "/kiosk/cxz/guides/530000-bdczy", "/kiosk/cxz/service/sbk"):
        page.goto(server.url + path)
        lines = page.evaluate("(() => { const h = document.querySelector('header h1');"
                              " return h.getBoundingClientRect().height / parseFloat(getComputedStyle(h).lineHeight"
                              " === 'normal' ? parseFloat(getComputedStyle(h).fontSize) * 1.45"
                              " : getComputedStyle(h).lineHeight); })()")
        assert lines < 1.5, (path, lines)
        assert seen(page, "header h1"), path  # neither wrapped nor cut off
        assert seen(page, "header [data-home]") and seen(page, "header [data-large]"), path
    shot(page, "service-large", size)

    page.click("[data-confirm]")
    ticket = page.locator("#ticket")
    expect(ticket.locator("[data-number]")).to_have_text(re.compile(r"T\d{3}"))
    page.wait_for_function("() => document.querySelector('#ticket [data-qr]').naturalWidth > 0")
    shot(page, "ticket-large", size)
    for part in ("#ticket [data-number]", "#ticket [data-service]", "#ticket [data-qr]", "#ticket [data-print]",
                 "#ticket [data-done]"):
        assert seen(page, part), part  # on screen, not clipped by the dialog, not squeezed out
    number_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#ticket [data-number]')).fontSize)")
    assert number_px >= 120
    context.close()


PREVIEW_SIZES = [*SIZES, (3840, 2160)]


@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
@pytest.mark.parametrize("size", PREVIEW_SIZES, ids=[f"{w}x{h}" for w, h in PREVIEW_SIZES])
def test_the_paper_preview_shows_the_printed_lines_whole_beside_the_qr(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int], large: bool
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    if large:
        page.click("[data-large]")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(server.url + "/kiosk/cxz/service/sbk")
    page.click("[data-confirm]")
    ticket = page.locator("#ticket")
    expect(ticket.locator("[data-number]")).to_have_text(re.compile(r"T\d{3}"))
    number = ticket.locator("[data-number]").inner_text()
    page.wait_for_function("() => document.querySelector('#ticket [data-preview]').dataset.drawn"
                           " && document.querySelector('#ticket [data-preview] image')")
    lines = page.evaluate("() => Array.from(document.querySelectorAll('#ticket [data-preview] text'),"
                          " t => t.textContent)")
    # The paper's own lines: hall, service, the number, people ahead, wait, the QR's caption, the tip.
    assert {"楚雄州政务服务中心", "社会保障卡办理", number, "微信扫码查看排队进度"} <= set(lines)
    assert any(line.startswith("您前面还有") for line in lines) and any("预计等候" in line for line in lines)
    page.locator("#ticket [data-preview]").scroll_into_view_if_needed()
    assert seen(page, "#ticket [data-preview]"), size  # the whole paper, not clipped by the dialog
    # Drawn in the page: no picture of the ticket, nor of its QR, comes from the server; the QR still opens the
    # ticket's phone page when a phone reads it off the screen.
    assert not any(url.endswith(".png") or "/kiosk/qr.svg" in url for url in asked)
    assert page.evaluate("() => document.querySelector('#ticket [data-qr]').src").startswith("data:image/svg+xml,")
    track_token = page.evaluate("() => document.querySelector('#ticket [data-preview]').dataset.drawn")
    shown = Image.open(io.BytesIO(ticket.locator("[data-qr]").screenshot()))
    assert [code.text for code in zxingcpp.read_barcodes(shown)] == [f"{server.url}/t/{track_token}"]
    shot(page, "ticket-preview" + ("-large" if large else ""), size)
    assert context.js_errors == []  # type: ignore[attr-defined]
    context.close()


LARGE_PAGES = {"home": "/kiosk/cxz/", "take": "/kiosk/cxz/take", "guides": "/kiosk/cxz/guides",
               "guide": "/kiosk/cxz/guides/530000-bdczy", "disclosures": "/kiosk/cxz/disclosures",
               "search": "/kiosk/cxz/search?q=社保", "checkin": "/kiosk/cxz/checkin"}


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_in_large_text_keeps_its_title_on_one_line_and_nothing_wider_than_the_screen(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    page.click("[data-large]")
    for name, path in LARGE_PAGES.items():
        page.goto(server.url + path)
        assert "large" in (page.get_attribute("body", "class") or "")
        assert seen(page, "header h1") == ["楚雄州政务服务中心"], name
        height = page.evaluate("document.querySelector('header h1').getBoundingClientRect().height")
        font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('header h1')).fontSize)")
        assert height < 2 * font, (name, height, font)  # one line
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        if name == "home":  # every tile whole on the screen, as in the standard page
            assert sorted(seen(page, "a.tile", "tile")) == ["checkin", "disclosures", "guides", "take"], size
        if name in ("home", "take", "guide"):
            shot(page, f"{name}-large", size)
    context.close()


# -- d. a 10 s warning before the idle reset; 返回 on every page ------------------------------------------------

def test_idle_reset_warns_ten_seconds_before_and_continue_keeps_the_page(
    browser: Any, hall: tuple[ServerProcess, str]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    page.clock.install()
    page.goto(f"{server.url}/kiosk/cxz/guides")

    page.clock.run_for(79_000)
    expect(page.locator("#idle-warning")).to_be_hidden()
    page.clock.run_for(1_500)
    warning = page.locator("#idle-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("您还在吗")
    expect(warning.locator("[data-idle-count]")).to_have_text("9")
    shot(page, "idle-warning", (1080, 1920))

    warning.locator("[data-idle-continue]").click()
    expect(warning).to_be_hidden()
    page.clock.run_for(85_000)
    assert page.url.endswith("/kiosk/cxz/guides")
    page.clock.run_for(6_000)
    page.wait_for_url("**/kiosk/cxz/")
    context.close()


PAGES = ["/kiosk/cxz/take", "/kiosk/cxz/service/crj", "/kiosk/cxz/search?q=社保", "/kiosk/cxz/guides",
         "/kiosk/cxz/guides/530000-bdczy", "/kiosk/cxz/disclosures", "/kiosk/cxz/checkin", "/kiosk/cxz/nope"]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_but_home_has_back_and_home_on_screen(
    browser: Any, hall: tuple[ServerProcess, str], size: tuple[int, int]
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    assert seen(page, "[data-back]") == []  # home has nowhere to go back to
    for path in PAGES:
        page.goto(server.url + path)
        assert seen(page, "[data-back]") == ["返回"], path
        assert seen(page, "[data-home]") == ["首页"], path
    context.close()


def test_back_returns_to_the_page_the_citizen_came_from(browser: Any, hall: tuple[ServerProcess, str]) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    page.goto(f"{server.url}/kiosk/cxz/search?q=bdcdj")
    page.click("[data-guide='530000-bdczy'] a.name")
    page.click("[data-back]")
    page.wait_for_url("**/search?q=bdcdj")

    for opened, parent in (("/kiosk/cxz/guides/530000-bdczy", "/kiosk/cxz/guides"),
                           ("/kiosk/cxz/service/crj", "/kiosk/cxz/take"),
                           ("/kiosk/cxz/disclosures/1", "/kiosk/cxz/disclosures")):
        page.goto(server.url + opened)  # opened directly (no page before it on this kiosk): its parent page
        page.click("[data-back]")
        page.wait_for_url(server.url + parent)
    context.close()


# -- e. errors are kiosk pages in plain Chinese that lead home --------------------------------------------------

@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_a_404_is_a_kiosk_page_that_leads_home(browser: Any, hall: tuple[ServerProcess, str],
                                               size: tuple[int, int]) -> None:
    server, token = hall
    context = kiosk(browser, server, token, size)
    page = context.pages[0]
    for path in ("/kiosk/cxz/nope", "/kiosk/cxz/guides/no-such-guide", "/kiosk/cxz/disclosures/99999",
                 "/kiosk/cxz/service/nope"):
        response = page.goto(server.url + path)
        assert response is not None and response.status == 404
        expect(page.locator("[data-error]")).to_contain_text("没有找到这个页面")
        assert "application/json" not in (response.headers.get("content-type") or "")
        assert seen(page, "[data-error-home]") == ["返回首页"]
    shot(page, "error-404", size)
    page.click("[data-error-home]")
    page.wait_for_url("**/kiosk/cxz/")
    context.close()


def test_scripts_and_api_clients_still_get_problem_json_from_kiosk_addresses(
    hall: tuple[ServerProcess, str]
) -> None:
    server, _ = hall
    missing = requests.get(f"{server.url}/kiosk/cxz/nope", timeout=10, headers={"Accept": "*/*"})
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    appointment = requests.get(f"{server.url}/kiosk/cxz/appointments/nope", timeout=10,
                               headers={"Accept": "text/html"})
    assert appointment.json()["code"] == "appointment_not_found"


def test_a_revoked_kiosk_tells_the_citizen_to_go_to_the_desk_not_to_log_in(
    browser: Any, hall: tuple[ServerProcess, str], tmp_path: Any
) -> None:
    server, _ = hall
    created = server.cli_output("token", "create", "--role", "kiosk", "--hall", "cxz", "--name", "二楼取号机")
    token = created.strip().splitlines()[-1]
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    store = db(server)
    with store.read_session() as s:
        device = s.scalar(select(Device.id).where(Device.name == "二楼取号机"))
    store.dispose()
    page.goto(f"{server.url}/kiosk/cxz/service/sbk")
    # An administrator revokes the kiosk (the API clears the server's token cache at once).
    revoked = requests.post(f"{server.url}/api/v1/halls/cxz/devices/{device}/revoke", json={}, timeout=10,
                            headers={"Authorization": f"Bearer {server.demo_token('manager')}"})
    assert revoked.status_code == 200, revoked.text

    page.click("[data-confirm]")

    refusal = page.locator("#refusal")
    expect(refusal.locator("[data-title]")).to_have_text("本机暂停服务")
    expect(refusal).to_contain_text("请到服务台取号")
    expect(refusal).not_to_contain_text("登录")
    context.close()


# -- f. one search for 办事指南 and 政务公开; abbreviations and full pinyin ---------------------------------------

def test_home_search_finds_guides_and_disclosures_together(browser: Any, hall: tuple[ServerProcess, str]) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1080, 1920))
    page = context.pages[0]
    page.goto(f"{server.url}/kiosk/cxz/search?q=不动产")

    expect(page.locator("[data-found=guides]")).to_be_visible()
    expect(page.locator("[data-found=disclosures]")).to_be_visible()
    expect(page.locator("[data-doc]").first).to_contain_text("不动产登记类")

    page.goto(f"{server.url}/kiosk/cxz/search?q=年报")
    expect(page.locator("[data-doc]").first).to_contain_text("年度报告")
    shot(page, "search", (1080, 1920))
    context.close()


@pytest.mark.parametrize("query", ["年报", "nianbao", "niandubaogao"])
def test_disclosure_search_understands_abbreviations_and_full_pinyin(
    browser: Any, hall: tuple[ServerProcess, str], query: str
) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1920, 1080))
    page = context.pages[0]
    page.goto(f"{server.url}/kiosk/cxz/disclosures?q={query}")

    expect(page.locator(".list .row").first).to_contain_text("政务公开年度报告")
    context.close()


# -- g. a service closed today shows its real hours and cannot be taken ----------------------------------------

def set_service(server: ServerProcess, code: str, **values: Any) -> None:
    store = db(server)
    with store.transaction() as s:
        cxz = s.scalar(select(Hall).where(Hall.code == "cxz"))
        assert cxz is not None
        s.execute(update(Service).where(Service.hall_id == cxz.id, Service.code == code).values(**values))
    store.dispose()


def test_a_service_paused_today_is_not_offered_and_says_so(browser: Any, hall: tuple[ServerProcess, str]) -> None:
    server, token = hall
    today = service_day(datetime.now(UTC), "Asia/Shanghai")
    set_service(server, "bdcsc", closed_on=today)
    try:
        context = kiosk(browser, server, token, (1080, 1920))
        page = context.pages[0]
        page.goto(f"{server.url}/kiosk/cxz/service/bdcsc")
        closed = page.locator("[data-closed=bdcsc]")
        expect(closed).to_contain_text("今日暂停取号")
        expect(closed).not_to_contain_text("00:00-24:00")
        expect(page.locator("[data-confirm]")).to_have_count(0)

        page.goto(f"{server.url}/kiosk/cxz/guides/530000-bdcsc")
        expect(page.locator("[data-take]")).to_have_count(0)  # 为此事项取号 is not offered
        expect(page.locator("[data-closed=bdcsc]")).to_contain_text("今日暂停取号")
        refused = requests.post(f"{server.url}/api/v1/halls/cxz/tickets", json={"service": "bdcsc"}, timeout=10,
                                headers={"Authorization": f"Bearer {token}", "Accept-Language": "zh-Hans"}).json()
        assert refused["code"] == "service_closed" and "00:00-24:00" not in refused["detail"]
        context.close()
    finally:
        set_service(server, "bdcsc", closed_on=None)


def test_a_service_outside_its_hours_shows_todays_real_hours(browser: Any, hall: tuple[ServerProcess, str]) -> None:
    server, token = hall
    local = datetime.now(ZoneInfo("Asia/Shanghai"))
    later = (local + timedelta(hours=2)).strftime("%H:00")
    end = (local + timedelta(hours=3)).strftime("%H:00")
    if later > end or later < local.strftime("%H:%M"):  # past 21:00 the window would wrap midnight: use the morning
        later, end = "00:00", (local - timedelta(hours=2)).strftime("%H:00")
    hours = {str(day): [[later, end]] for day in range(1, 8)} | {"1": [[later, end]]}
    set_service(server, "bdccx", opening_hours=hours)
    try:
        context = kiosk(browser, server, token, (1920, 1080))
        page = context.pages[0]
        page.goto(f"{server.url}/kiosk/cxz/service/bdccx")
        expect(page.locator("[data-hours]")).to_have_text(f"{later}-{end}")
        expect(page.locator("[data-confirm]")).to_have_count(0)
        shot(page, "service-closed", (1920, 1080))

        page.goto(f"{server.url}/kiosk/cxz/take")
        page.click("text=州不动产登记中心")
        row = page.locator("[data-service=bdccx]")
        expect(row).to_contain_text(f"{later}-{end}")
        assert row.evaluate("e => e.tagName") != "A"  # not a link to take a ticket
        context.close()
    finally:
        set_service(server, "bdccx", opening_hours={})


# -- h. the header clock is the hall's time --------------------------------------------------------------------

def test_the_header_clock_shows_the_halls_time_not_the_pcs(browser: Any, hall: tuple[ServerProcess, str]) -> None:
    server, token = hall
    context = kiosk(browser, server, token, (1920, 1080), timezone_id="America/New_York")
    page = context.pages[0]
    before = datetime.now(ZoneInfo("Asia/Shanghai"))
    shown = page.locator("[data-clock]").inner_text()
    after = datetime.now(ZoneInfo("Asia/Shanghai"))

    assert shown in {before.strftime("%H:%M"), after.strftime("%H:%M")}
    new_york = datetime.now(ZoneInfo("America/New_York")).strftime("%H:%M")
    assert shown != new_york
    context.close()
