"""The citizen's phone page (/t/<token>) and its rating page (/rate/<token>) at a phone's size (390x844) in Chromium
against a live server: Chinese before any script runs, a recall alerts again, 已挂起 and 已过号 say what to do and
until when, and the rating names the visit, asks before it sends and is offered once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.browser.conftest import screenshot
from tests.browser.sight import seen
from tests.factories import BasicHall
from tests.factories import bearer
from tests.realtime.server import Server

PHONE = {"width": 390, "height": 844}
HHMM = re.compile(r"\d{2}:\d{2}")
# The page asks the phone to vibrate and to play the chime; what the browser does with that is the browser's
# business (sound only after a touch), so the page's requests are what is observed.
RECORD_ALERTS = """
window.__vibrations = [];
navigator.vibrate = function (pattern) { window.__vibrations.push(pattern); return true; };
window.__chimes = 0;
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  if (!this.muted && String(this.src).indexOf('chime.wav') >= 0) window.__chimes += 1;
  return play.call(this);
};
"""


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    context.add_init_script(RECORD_ALERTS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_phone(page: Any, server: Server, ticket: dict[str, Any]) -> None:
    page.goto(f"{server.url}/t/{ticket['track_token']}")
    page.wait_for_function("() => document.body.dataset.online === '1'", timeout=10000)


def visible_text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).replace("\n", "")


def test_the_first_paint_is_in_chinese_before_any_script_runs(
    browser: Any, server: Server, tokens: BasicHall
) -> None:
    server.issue("t1", tokens.kiosk, "a")
    waiting = server.issue("t1", tokens.kiosk, "a")
    parked = server.issue("t1", tokens.kiosk, "b")
    missed = server.issue("t1", tokens.kiosk, "b")
    # Window 2 serves b: park one ticket for 15 minutes, mark the other 过号.
    called = server.call_next("t1", tokens.staff2, window=2)
    assert called["number"] == parked["number"]
    server.post(f"/api/v1/tickets/{parked['id']}/park", tokens.staff2, {"minutes": 15})
    server.call_next("t1", tokens.staff2, window=2)
    server.post(f"/api/v1/tickets/{missed['id']}/no-show", tokens.staff2)

    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/t/{waiting['track_token']}")
        assert page.locator("#status").inner_text() == "等候中 Waiting"
        assert page.locator("#waiting").is_visible() and page.locator("#ahead").inner_text() == "1"
        assert page.locator("#called").is_hidden() and page.locator("#rate").is_hidden()
        assert "waiting" not in page.locator("main").inner_text()
        screenshot(page, "phone-no-script-waiting.png")

        page.goto(f"{server.url}/t/{parked['track_token']}")
        assert page.locator("#status").inner_text() == "已挂起 On hold"
        assert HHMM.fullmatch(page.locator("#parked-until").inner_text())
        assert "自动回到队列" in visible_text(page, "#guide-parked")

        page.goto(f"{server.url}/t/{missed['track_token']}")
        assert page.locator("#status").inner_text() == "已过号 Missed"
        assert HHMM.fullmatch(page.locator("#no-show-until").inner_text())
        assert "恢复排队" in visible_text(page, "#guide-no-show")
        assert "no_show" not in page.locator("main").inner_text()
    finally:
        context.close()


def test_a_recall_alerts_the_phone_again(phone: Any, server: Server, tokens: BasicHall) -> None:
    mine = server.issue("t1", tokens.kiosk, "a")
    open_phone(phone, server, mine)
    assert phone.evaluate("window.__vibrations.length") == 0

    server.call_next("t1", tokens.staff1, window=1)
    phone.wait_for_function("() => document.body.dataset.alerts === '1'", timeout=5000)
    assert "到您了，请到 1号窗口" in visible_text(phone, "#called")
    assert phone.locator("#recalled").is_hidden()

    server.post(f"/api/v1/tickets/{mine['id']}/recall", tokens.staff1)
    phone.wait_for_function("() => document.body.dataset.alerts === '2'", timeout=5000)
    assert phone.locator("#recalled").is_visible()
    assert phone.locator("#recalled").inner_text() == "再次呼叫您 Called again"
    assert phone.evaluate("window.__vibrations.length") == 2
    assert seen(phone, "#called") != []  # on screen, not covered
    screenshot(phone, "phone-recalled.png")

    # A touch readies the sound: the next recall plays the chime as well as vibrating.
    phone.tap("#number")
    server.post(f"/api/v1/tickets/{mine['id']}/recall", tokens.staff1)
    phone.wait_for_function("() => document.body.dataset.alerts === '3'", timeout=5000)
    phone.wait_for_function("() => window.__chimes >= 1", timeout=5000)
    assert phone.evaluate("window.__vibrations.length") == 3


def test_on_hold_and_missed_say_what_to_do_and_until_when(phone: Any, server: Server, tokens: BasicHall) -> None:
    mine = server.issue("t1", tokens.kiosk, "a")
    open_phone(phone, server, mine)
    server.call_next("t1", tokens.staff1, window=1)
    phone.wait_for_function("() => document.getElementById('card').dataset.status === 'called'", timeout=5000)

    server.post(f"/api/v1/tickets/{mine['id']}/park", tokens.staff1, {"minutes": 20})
    phone.wait_for_function("() => document.getElementById('card').dataset.status === 'parked'", timeout=5000)
    phone.wait_for_function("() => document.getElementById('parked-until').textContent !== ''", timeout=5000)
    assert phone.locator("#status").inner_text() == "已挂起 On hold"
    assert seen(phone, "#guide-parked") != []
    text = visible_text(phone, "#guide-parked")
    assert "请备齐材料后回到大厅" in text and "自动回到队列" in text
    assert HHMM.fullmatch(phone.locator("#parked-until").inner_text())
    screenshot(phone, "phone-parked.png")

    server.post(f"/api/v1/tickets/{mine['id']}/resume", tokens.staff1)
    server.call_next("t1", tokens.staff1, window=1)
    server.post(f"/api/v1/tickets/{mine['id']}/no-show", tokens.staff1)
    phone.wait_for_function("() => document.getElementById('card').dataset.status === 'no_show'", timeout=5000)
    phone.wait_for_function("() => document.getElementById('no-show-until').textContent !== ''", timeout=5000)
    assert phone.locator("#status").inner_text() == "已过号 Missed"
    assert seen(phone, "#guide-no-show") != []
    assert "工作人员可为您恢复排队" in visible_text(phone, "#guide-no-show")
    assert phone.locator("#guide-parked").is_hidden() and phone.locator("#cancel").is_hidden()
    screenshot(phone, "phone-no-show.png")


def test_the_rating_names_the_visit_asks_before_sending_and_is_offered_once(
    phone: Any, server: Server, tokens: BasicHall
) -> None:
    mine = server.issue("t1", tokens.kiosk, "a")
    open_phone(phone, server, mine)
    server.call_next("t1", tokens.staff1, window=1)
    server.finish(tokens.staff1, mine["id"])
    phone.wait_for_function("() => document.getElementById('card').dataset.status === 'finished'", timeout=5000)
    phone.wait_for_function("() => !document.getElementById('rate').hidden", timeout=5000)
    assert re.search(r"事项a · 1号窗口 · \d{2}:\d{2} 办结", visible_text(phone, "#rate"))
    screenshot(phone, "phone-finished.png")

    phone.click("#rate")
    phone.wait_for_url(f"**/rate/{mine['track_token']}")
    assert re.search(r"A001 事项a · 1号窗口 · 工号 u1 · \d{2}:\d{2} 办结", visible_text(phone, "#visit"))

    def outbox() -> list[dict[str, Any]]:
        return requests.get(f"{server.url}/api/v1/halls/t1/ratings/outbox", headers=bearer(tokens.manager),
                            timeout=5).json()  # type: ignore[no-any-return]

    # A tap chooses, it does not send: 满意 is shown with 提交 and 重新选择.
    phone.click('[data-level="2"]')
    assert phone.locator("#confirm-level").inner_text() == "满意"
    assert phone.locator("#submit-row").is_visible() and phone.locator("#reason").is_hidden()
    assert outbox() == []
    phone.click("#change-level")
    assert phone.locator("#submit-row").is_hidden()

    # A 差评 asks for its reason and for the confirmation; nothing is sent before it.
    phone.click('[data-level="5"]')
    assert phone.locator("#confirm-level").inner_text() == "非常不满意（差评 poor）"
    assert phone.locator("#reason-submit").inner_text() == "确认提交差评 Submit"
    phone.click('[data-tag="等候时间长"]')
    screenshot(phone, "phone-rate-confirm.png")
    assert outbox() == []
    phone.click("#reason-submit")
    phone.wait_for_selector("#thanks", state="visible")
    assert [(r["ticket_no"], r["level"]) for r in outbox()] == [("A001", 5)]

    # Rated: the phone page no longer offers the rating, and the rating page says it is done.
    open_phone(phone, server, mine)
    assert phone.locator("#rate").is_hidden()
    assert visible_text(phone, "#rated").startswith("您已评价：非常不满意")
    phone.goto(f"{server.url}/rate/{mine['track_token']}")
    assert phone.locator("#rated").is_visible() and phone.locator("#ask").is_hidden()
    assert "非常不满意" in visible_text(phone, "#rated")
