"""网上预约 on a phone (390×844) in a real browser: a citizen picks a service, a day and a time, gives a mobile
number, lands on the booking's page with its code and QR, moves it and cancels it; a full time cannot be picked.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import requests
from playwright.sync_api import expect
from sqlalchemy import select

from queue_server.storage.models import Appointment
from queue_server.storage.store import make_store
from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import screenshot
from tests.browser.manager_steps import sign_in
from tests.browser.sight import seen
from tests.factories import BasicHall
from tests.factories import bearer
from tests.realtime.server import Server

PLAN = {"days": {str(d): [{"start": "08:00", "end": "20:00", "minutes": 60, "capacity": 2}] for d in range(1, 8)},
        "horizon_days": 5, "cutoff_min": 0}
PHONE = {"width": 390, "height": 844}


def _plan(server: Server, tokens: BasicHall) -> None:
    response = requests.put(f"{server.url}/api/v1/halls/t1/services/a/booking", json=PLAN,
                            headers=bearer(tokens.manager), timeout=30)
    assert response.status_code == 200, response.text


def _phone(browser: Any) -> Any:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    return context, context.new_page()


def _book(page: Any, server: Server, phone: str, slot_index: int = 0) -> None:
    page.goto(f"{server.url}/book/t1")
    page.get_by_text("事项a", exact=True).tap()
    page.locator("[data-days=a] label").nth(1).tap()  # tomorrow: every time of the day is still ahead
    page.locator("#slots label:not(.full)").nth(slot_index).tap()
    page.fill("#phone", phone)
    page.locator("#submit").tap()
    page.wait_for_url("**/book/manage/**")


def test_a_citizen_books_a_time_and_sees_the_code_to_show_at_the_kiosk(
        browser: Any, server: Server, tokens: BasicHall) -> None:
    _plan(server, tokens)
    context, page = _phone(browser)
    try:
        page.goto(f"{server.url}/book/t1")
        assert page.locator("#services").get_by_text("事项b").count() == 0  # b takes no bookings
        page.get_by_text("事项a", exact=True).tap()
        page.locator("[data-days=a] label").nth(1).tap()
        page.locator("#slots label:not(.full)").first.wait_for()
        page.locator("#slots label:not(.full)").first.tap()
        page.fill("#phone", "13800138000")
        page.locator("#submit").scroll_into_view_if_needed()
        assert seen(page, "#submit") == ["确认预约 Book"]
        screenshot(page, "booking-phone.png")
        page.locator("#submit").tap()
        page.wait_for_url("**/book/manage/**")

        code = page.locator("#code").inner_text()
        assert code.isdigit() and len(code) == 8
        assert page.locator("#status").inner_text() == "已预约"
        assert page.locator("#time").inner_text() == "08:00–09:00"
        assert page.locator("#qr svg").bounding_box()["width"] > 150  # big enough for a kiosk's scanner
        assert "138****8000" in page.inner_text("main")
        screenshot(page, "booking-manage.png")
    finally:
        context.close()


def test_the_citizen_moves_then_cancels_and_the_seat_returns(browser: Any, server: Server,
                                                             tokens: BasicHall) -> None:
    _plan(server, tokens)
    context, page = _phone(browser)
    try:
        _book(page, server, "13800138001")
        code = page.locator("#code").inner_text()

        page.locator("#move [name=day]").nth(1).check()
        page.locator("#slots label:not(.full)").nth(2).tap()  # 10:00
        page.locator("#move-confirm").tap()
        page.wait_for_function("() => document.getElementById('time').textContent === '10:00–11:00'")
        assert page.locator("#code").inner_text() == code  # the code stays

        page.locator("#cancel").tap()
        page.locator("#cancel-yes").tap()  # asked once more: a tap by mistake does not cancel
        page.wait_for_function("() => document.getElementById('status').textContent === '已取消'")
        assert page.locator("#cancel").count() == 0  # nothing left to change
    finally:
        context.close()


def test_a_full_time_is_shown_but_cannot_be_picked_and_a_refusal_is_in_chinese(
        browser: Any, server: Server, tokens: BasicHall) -> None:
    _plan(server, tokens)
    context, page = _phone(browser)
    try:
        for phone in ("13800138002", "13800138003"):  # the two seats of 08:00 tomorrow
            _book(page, server, phone)
        page.goto(f"{server.url}/book/t1")
        page.get_by_text("事项a", exact=True).tap()
        page.locator("[data-days=a] label").nth(1).tap()
        first = page.locator("#slots label").first
        first.wait_for()
        assert "已约满" in first.inner_text() and first.locator("input").is_disabled()

        # The same number again on the same day: refused with the reason, in Chinese, nothing lost on screen.
        page.locator("#slots label:not(.full)").first.tap()
        page.fill("#phone", "13800138002")
        page.locator("#submit").tap()
        page.locator("#error").wait_for()
        assert "已有" in page.locator("#error").inner_text()
        assert page.input_value("#phone") == "13800138002"
    finally:
        context.close()


def test_a_person_suspended_for_no_shows_is_told_why_and_until_when(
        browser: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]) -> None:
    _plan(server, tokens)
    assert requests.patch(f"{server.url}/api/v1/halls/t1/settings", json={"no_show_limit": 2}, timeout=30,
                          headers=bearer(tokens.manager)).status_code == 200
    context, page = _phone(browser)
    try:
        _book(page, server, "13800138004")
        page.goto(f"{server.url}/book/t1")
        page.get_by_text("事项a", exact=True).tap()
        page.locator("[data-days=a] label").nth(2).tap()  # the day after tomorrow
        page.locator("#slots label:not(.full)").first.tap()
        page.fill("#phone", "13800138004")
        page.locator("#submit").tap()
        page.wait_for_url("**/book/manage/**")
        # Both missed, as the housekeeping round marks them once their slots end.
        store = make_store(hall[0])
        with store.transaction() as s:
            for appt in s.scalars(select(Appointment)):
                appt.status = "no_show"
        store.dispose()

        page.goto(f"{server.url}/book/t1")
        page.get_by_text("事项a", exact=True).tap()
        page.locator("[data-days=a] label").nth(3).tap()
        page.locator("#slots label:not(.full)").first.tap()
        page.fill("#phone", "13800138004")
        page.locator("#submit").tap()
        page.locator("#error").wait_for()

        refusal = page.locator("#error").inner_text()
        assert "爽约 2 次" in refusal and "网上预约暂停至" in refusal and "请到大厅取号" in refusal
    finally:
        context.close()


def _slot_within_the_hour(database_url: str) -> None:
    """The one booking's slot comes within the hour, as if the citizen had booked for now (the server runs on the
    real clock)."""
    store = make_store(database_url)
    with store.transaction() as s:
        appt = s.scalars(select(Appointment)).one()
        appt.slot_start = datetime.now(UTC) + timedelta(minutes=30)
        appt.slot_end = appt.slot_start + timedelta(hours=1)
    store.dispose()


def test_in_the_hall_the_citizen_checks_in_from_the_booking_page_with_the_entrance_code(
        browser: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]) -> None:
    _plan(server, tokens)
    context, page = _phone(browser)
    try:
        _book(page, server, "13800138005")
        manage = page.url.rsplit("/", 1)[1]
        assert page.locator("#checkin").count() == 0  # tomorrow's booking: nothing to check in yet
        _slot_within_the_hour(hall[0])
        page.reload()
        code = requests.get(f"{server.url}/api/v1/halls/t1/entrance-code", headers=bearer(tokens.display),
                            timeout=30).json()["code"]

        page.locator("#checkin").scroll_into_view_if_needed()
        screenshot(page, "booking-checkin.png")
        page.fill("#hall-code", "000000" if code != "000000" else "111111")
        page.locator("#checkin-go").tap()
        page.locator("#error").wait_for()
        assert "进厅码" in page.locator("#error").inner_text()
        page.fill("#hall-code", code)
        page.locator("#checkin-go").tap()
        page.wait_for_url("**/t/**")

        number = page.locator("#number").inner_text()
        assert number.startswith("A") and number[1:].isdigit()
        booking = requests.get(f"{server.url}/api/v1/appointments/{manage}", timeout=30).json()
        assert booking["status"] == "checked_in"
    finally:
        context.close()


def test_the_door_qr_checks_in_the_booking_this_phone_manages(
        browser: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]) -> None:
    _plan(server, tokens)
    context, page = _phone(browser)
    try:
        _book(page, server, "13800138006")  # opening the booking's page is what lets this phone remember it
        manage = page.url.rsplit("/", 1)[1]
        _slot_within_the_hour(hall[0])
        entrance = requests.get(f"{server.url}/api/v1/halls/t1/entrance-code", headers=bearer(tokens.display),
                                timeout=30).json()

        path = "/arrive/" + entrance["url"].split("/arrive/", 1)[1]  # what the door's QR opens
        assert path == f"/arrive/t1?code={entrance['code']}"
        page.goto(server.url + path)
        page.wait_for_url("**/t/**")  # its one booking checked in: straight to the ticket's page

        assert page.locator("#number").inner_text().startswith("A")
        booking = requests.get(f"{server.url}/api/v1/appointments/{manage}", timeout=30).json()
        assert booking["status"] == "checked_in"
    finally:
        context.close()


def test_a_booking_link_that_leads_nowhere_says_so(browser: Any, server: Server) -> None:
    context, page = _phone(browser)
    try:
        response = page.goto(f"{server.url}/book/manage/no-such-booking")
        assert response.status == 404
        assert "预约不存在" in page.inner_text("h1")
    finally:
        context.close()


def test_a_manager_opens_a_service_to_booking_from_the_settings_page(
        browser: Any, server: Server, tokens: BasicHall) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, server, "m1")
        page.goto(f"{server.url}/manager/t1/settings")
        page.select_option("#bk-service", "a")
        expect(page.locator("#bk-state")).to_contain_text("未开放网上预约")

        page.fill("#bk-blocks", "9:00-11:00 / 30 / 3")  # what a person types: spaces, no leading zero
        page.locator("#booking-form button[type=submit]").click()
        expect(page.locator("#action-error")).to_be_visible()  # no day checked: the server says which field

        for day in ("1", "2", "3", "4", "5"):
            page.check(f"input[name=bk-day][value='{day}']")
        page.fill("#bk-horizon", "5")
        page.locator("#booking-form button[type=submit]").click()
        expect(page.locator("#bk-state")).to_contain_text("已开放网上预约")

        plan = requests.get(f"{server.url}/api/v1/halls/t1/services/a/booking", headers=bearer(tokens.manager),
                            timeout=30).json()["plan"]
        assert plan["days"]["1"] == [{"start": "09:00", "end": "11:00", "minutes": 30, "capacity": 3}]
        assert sorted(plan["days"]) == ["1", "2", "3", "4", "5"] and plan["horizon_days"] == 5

        page.fill("#bk-blocks", "09:00-11:00/30")
        page.locator("#booking-form button[type=submit]").click()
        expect(page.locator("#action-error")).to_contain_text("时段格式不对")  # refused in the page, nothing sent
        page.locator("#booking-panel").screenshot(path=str(SCREENSHOTS / "manager-booking.png"))
    finally:
        context.close()
