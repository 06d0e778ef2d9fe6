"""线上取号 on a phone (390×844) in a real browser: a citizen takes a number from /take/<hall>, lands on the ticket's
phone page waiting unconfirmed and told to set off, is alerted when the ticket is held at the head of its queue,
types a wrong and then today's entrance code, and sees the arrival confirmed; the clerk then calls it. The
entrance QR's page (/arrive/<hall>) confirms the tickets this phone took, and a kiosk's scanner confirms one.
"""

from __future__ import annotations

from typing import Any

import requests

from tests.browser.conftest import screenshot
from tests.browser.sight import seen
from tests.device_pairing import pair_kiosk
from tests.factories import BasicHall
from tests.factories import bearer
from tests.realtime.server import Server

PHONE = {"width": 390, "height": 844}


def _phone(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page, errors


def _entrance_code(server: Server, tokens: BasicHall) -> str:
    response = requests.get(f"{server.url}/api/v1/halls/t1/entrance-code", headers=bearer(tokens.display),
                            timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["code"])


def _take(page: Any, server: Server, phone: str) -> None:
    page.goto(f"{server.url}/take/t1")
    page.locator("label.choice:has(input[value=a])").tap()
    page.fill("#phone", phone)
    page.locator("#submit").tap()
    page.wait_for_url("**/t/**")
    page.wait_for_function("() => document.body.dataset.online === '1'", timeout=10000)


def test_a_citizen_takes_a_number_on_the_phone_and_confirms_arrival_with_the_code(
        browser: Any, server: Server, tokens: BasicHall) -> None:
    walk_in = server.issue("t1", tokens.kiosk)
    context, page, errors = _phone(browser)
    try:
        page.goto(f"{server.url}/take/t1")
        assert seen(page, ".tab.current") == ["线上取号 Take a number"]
        page.locator("label.choice:has(input[value=a])").tap()
        page.fill("#phone", "13800138000")
        page.locator("#submit").scroll_into_view_if_needed()
        assert page.locator("#submit").bounding_box()["height"] >= 48  # a thumb's target
        screenshot(page, "remote-take-phone.png")
        page.locator("#submit").tap()
        page.wait_for_url("**/t/**")
        page.wait_for_function("() => document.body.dataset.online === '1'", timeout=10000)

        # Waiting, not confirmed: one person ahead, within the hall's 5, so the page says to set off now.
        assert page.locator("#status").inner_text() == "等候中 Waiting"
        assert page.locator("body").get_attribute("data-arrival") == "walk"
        assert seen(page, "#walk") and seen(page, "#hall-code") and seen(page, "#arrive")
        assert page.locator("#ahead").inner_text() == "1"

        # The clerk calls the walk-in: the remote ticket heads its queue unconfirmed and is held; the phone alerts.
        server.call_next("t1", tokens.staff1)
        page.wait_for_function("() => document.body.dataset.arrival === 'held'", timeout=10000)
        assert seen(page, "#held") and "前到达大厅并确认" in page.locator("#held").inner_text()
        page.wait_for_function("() => /^\\d\\d:\\d\\d$/.test(document.getElementById('hold-until').textContent)",
                               timeout=10000)  # HH:MM it lapses, from the page's fetch after the event
        screenshot(page, "remote-held-phone.png")

        page.fill("#hall-code", "000000" if _entrance_code(server, tokens) != "000000" else "111111")
        page.locator("#arrive").tap()
        page.wait_for_function("() => !document.getElementById('arrive-error').hidden", timeout=10000)
        assert "进厅码不正确" in page.locator("#arrive-error").inner_text()

        page.fill("#hall-code", _entrance_code(server, tokens))
        page.locator("#arrive").tap()
        page.wait_for_function("() => document.body.dataset.arrival === 'arrived'", timeout=10000)
        assert seen(page, "#arrived") and page.locator("#arrival").is_hidden()
        screenshot(page, "remote-arrived-phone.png")

        server.finish(tokens.staff1, walk_in["id"])
        called = server.call_next("t1", tokens.staff1)
        page.wait_for_function("() => document.getElementById('card').dataset.status === 'called'", timeout=10000)
        assert called["channel"] == "mobile"
        assert not errors, errors
    finally:
        context.close()


def test_the_entrance_qr_page_confirms_the_ticket_this_phone_took(browser: Any, server: Server,
                                                                 tokens: BasicHall) -> None:
    context, page, errors = _phone(browser)
    try:
        _take(page, server, "13800138001")
        number = page.locator("#number").inner_text()
        page.goto(f"{server.url}/arrive/t1?code={_entrance_code(server, tokens)}")  # what the camera opens
        page.wait_for_url("**/t/**")  # one ticket confirmed: straight back to its page
        page.wait_for_function("() => document.body.dataset.arrival === 'arrived'", timeout=10000)
        assert page.locator("#number").inner_text() == number
        assert not errors, errors
    finally:
        context.close()


def test_a_kiosks_scanner_confirms_arrival_from_the_phone_pages_qr(browser: Any, server: Server,
                                                                  tokens: BasicHall) -> None:
    context, page, errors = _phone(browser)
    kiosk_context = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
    try:
        _take(page, server, "13800138002")
        assert page.locator(".self-qr svg").bounding_box()["width"] >= 120  # big enough for a kiosk scanner
        kiosk = kiosk_context.new_page()
        pair_kiosk(kiosk, "t1", tokens.kiosk)
        kiosk.goto(f"{server.url}/kiosk/t1/checkin")
        # A scanner is a keyboard: it types what the QR holds, then Enter.
        kiosk.keyboard.type(page.url)
        kiosk.keyboard.press("Enter")
        kiosk.wait_for_function("() => !document.getElementById('arrived-ok').hidden", timeout=10000)
        assert page.locator("#number").inner_text() in kiosk.locator("#arrived-ok").inner_text()
        page.wait_for_function("() => document.body.dataset.arrival === 'arrived'", timeout=10000)
        assert not errors, errors
    finally:
        kiosk_context.close()
        context.close()
