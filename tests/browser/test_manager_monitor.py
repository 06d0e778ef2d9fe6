"""The manager's live monitor in Chromium against a live server: it follows issue and call without reloading,
shows an alert the server raised on its own, shows a booking, its cancellation and a remote ticket on its way as
they happen, and a viewer gets no action buttons. Saves docs/screenshots/manager-monitor.png and
manager-bookings.png."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from playwright.sync_api import expect

from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.store import make_store
from tests import factories
from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import load_demo_catalogue
from tests.browser.conftest import screenshot
from tests.browser.manager_steps import PASSWORD
from tests.browser.manager_steps import TIMEOUT_MS
from tests.browser.manager_steps import post
from tests.browser.manager_steps import sign_in
from tests.factories import BasicHall
from tests.factories import bearer
from tests.realtime.server import Server


def test_the_monitor_follows_an_issue_and_a_call_without_reloading(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    sign_in(page, server, "m1")
    waiting_a = page.locator('#services tr[data-service="a"] .waiting')
    expect(waiting_a).to_have_text("0", timeout=TIMEOUT_MS)
    page.evaluate("window.__notReloaded = true")

    post(server, "/halls/t1/tickets", tokens.kiosk, {"service": "a"})
    expect(waiting_a).to_have_text("1", timeout=TIMEOUT_MS)
    expect(page.locator('#services tr[data-service="a"] .issued')).to_have_text("1", timeout=TIMEOUT_MS)

    post(server, "/halls/t1/windows/1/call-next", tokens.staff1)
    expect(page.locator('#windows tr[data-window="1"] .current')).to_have_text("A001", timeout=TIMEOUT_MS)
    expect(page.locator('#windows tr[data-window="1"] .state')).to_have_text("办理中 serving")
    expect(waiting_a).to_have_text("0", timeout=TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded") is True


def test_an_alert_raised_by_the_server_appears_and_the_manager_marks_it_seen(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    post(server, "/halls/t1/services/a", tokens.manager, {"warning_threshold": 2}, method="PATCH")
    sign_in(page, server, "m1")

    for _ in range(2):  # the second ticket reaches the threshold; the server's ticker evaluates after the write
        post(server, "/halls/t1/tickets", tokens.kiosk, {"service": "a"})
    alert = page.locator('#alerts li[data-kind="queue_long"]')
    expect(alert).to_contain_text("等候 2 人", timeout=TIMEOUT_MS)
    expect(alert).to_have_class("alert state-new")
    expect(page.locator("#alert-count")).to_have_text("1")
    post(server, "/halls/t1/tickets", tokens.kiosk, {"service": "b"})
    post(server, "/halls/t1/windows/2/call-next", tokens.staff2)
    expect(page.locator('#windows tr[data-window="2"] .current')).to_have_text("B001", timeout=TIMEOUT_MS)
    expect(page.locator("#chart svg rect")).to_have_count(1)
    screenshot(page, "manager-monitor.png")

    alert.get_by_role("button", name="已查看 Seen").click()

    expect(alert).to_have_class("alert state-seen", timeout=TIMEOUT_MS)


def test_a_viewer_sees_the_monitor_without_any_action(
    page: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]
) -> None:
    store = make_store(hall[0])
    with store.transaction() as s:
        factories.staff(s, snapshots.hall_by_code(s, "t1"), "v1", Role.VIEWER)
    store.dispose()

    sign_in(page, server, "v1")

    expect(page.locator('#services tr[data-service="a"]')).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#services button")).to_have_count(0)
    expect(page.locator("#notice-form")).to_have_count(0)



def test_a_manager_adds_a_clerk_registers_a_kiosk_and_sets_hours_on_the_settings_page(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    sign_in(page, server, "m1")
    page.click("text=设置 Settings")
    expect(page.locator('#staff tr[data-user="u1"]')).to_be_visible(timeout=TIMEOUT_MS)

    page.fill("#sf-user", "cx3001")
    page.fill("#sf-name", "王五")
    page.fill("#sf-password", "short")
    page.click("#staff-form button[type=submit]")
    expect(page.locator("#action-error")).to_contain_text("密码至少需要 8 位", timeout=TIMEOUT_MS)
    page.fill("#sf-password", "long-enough-1")
    page.click("#staff-form button[type=submit]")
    expect(page.locator('#staff tr[data-user="cx3001"]')).to_contain_text("王五", timeout=TIMEOUT_MS)

    page.fill("#df-name", "二楼取号机")
    page.click("#device-form button[type=submit]")
    expect(page.locator("#new-token")).to_contain_text("hq_", timeout=TIMEOUT_MS)
    expect(page.locator("#devices tbody")).to_contain_text("二楼取号机")

    saturday = page.locator('#hours-form input[data-weekday="6"]')
    expect(saturday).to_have_value("00:00-24:00")  # loaded: filling earlier would be overwritten by the load
    saturday.fill("09:00-12:00")
    with page.expect_response(lambda r: r.url.endswith("/hours") and r.request.method == "PUT") as saved:
        page.click("#hours-form button[type=submit]")
    assert saved.value.status == 200, saved.value.text()
    assert saved.value.request.post_data_json["opening_hours"]["6"] == [["09:00", "12:00"]]
    expect(saturday).to_have_value("09:00-12:00", timeout=TIMEOUT_MS)
    page.fill("#day-date", "2099-10-01")  # any future day: the list shows the coming days
    page.fill("#day-name", "国庆节")
    page.click("#day-form button[type=submit]")
    expect(page.locator('#calendar li[data-day="2099-10-01"]')).to_contain_text("国庆节", timeout=TIMEOUT_MS)

    expect(page.locator("#vf-example")).to_have_text("请 A001 号到 3 号窗口办理", timeout=TIMEOUT_MS)
    page.fill("#vf-template", "请{ticket}号办理")
    page.click("#voice-form button[type=submit]")
    expect(page.locator("#action-error")).to_contain_text("播报模板不正确", timeout=TIMEOUT_MS)
    page.fill("#vf-template", "{ticket}号，请到{window}号窗口")
    page.select_option("#vf-repeats", "3")
    page.click("#voice-form button[type=submit]")
    expect(page.locator("#vf-speech")).to_have_text("A 零零一 号，请到 三 号窗口", timeout=TIMEOUT_MS)
    voice = post(server, "/halls/t1/voice", tokens.manager, method="GET")
    assert (voice["template"], voice["repeats"]) == ("{ticket}号，请到{window}号窗口", 3)

    page.fill("#hf-ratio", "1")
    page.click("#hall-form button[type=submit]")
    page.fill("#pf-code", "junren")
    page.fill("#pf-name", "军人依法优先")
    page.fill("#pf-weight", "5")
    page.click("#priority-form button[type=submit]")
    expect(page.locator('#priorities tr[data-priority="junren"]')).to_be_visible(timeout=TIMEOUT_MS)
    page.fill("#dpf-code", "bdc")
    page.fill("#dpf-name", "不动产登记中心")
    page.click("#department-form button[type=submit]")
    row = page.locator('#departments tr[data-department="bdc"]')
    row.get_by_role("button", name="停用 Deactivate").click()
    expect(row.locator(".state")).to_have_text("停用 inactive", timeout=TIMEOUT_MS)
    assert post(server, "/halls/t1/settings", tokens.manager, method="GET")["priority_ratio"] == 1

    # Another manager's change arrives over /live: the page shows it without a reload.
    page.evaluate("window.__notReloaded = true")
    post(server, "/halls/t1/departments", tokens.admin, {"code": "gaj", "name": "公安局出入境"})
    expect(page.locator('#departments tr[data-department="gaj"]')).to_be_visible(timeout=TIMEOUT_MS)
    assert page.evaluate("window.__notReloaded") is True
    screenshot(page, "manager-settings.png")


def test_a_manager_moves_a_windows_services_and_closes_a_service_for_today_from_the_monitor(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    sign_in(page, server, "m1")
    row = page.locator('#windows tr[data-window="2"]')
    expect(row).to_contain_text("事项b", timeout=TIMEOUT_MS)

    row.get_by_role("button", name="调整事项 Services").click()
    page.check("#wd-a")
    page.select_option('#wd-services select[data-service="a"]', "2")
    page.click("#wd-save")

    expect(row).to_contain_text("事项b、事项a", timeout=TIMEOUT_MS)
    monitor = post(server, "/halls/t1/monitor", tokens.manager, method="GET")
    window_2 = next(w for w in monitor["windows"] if w["number"] == 2)
    assert [(s["service"], s["weight"]) for s in window_2["services"]] == [("b", 1), ("a", 2)]

    page.locator('#services tr[data-service="b"]').get_by_role("button", name="暂停今日取号 Close today").click()
    expect(page.locator('#services tr[data-service="b"] .day-state')).to_have_text("今日暂停取号 closed today",
                                                                                   timeout=TIMEOUT_MS)
    refused = requests.post(f"{server.url}/api/v1/halls/t1/tickets", json={"service": "b"},
                            headers=bearer(tokens.kiosk), timeout=5)
    assert refused.status_code == 409 and refused.json()["code"] == "service_closed"


def test_a_manager_adds_a_service_with_its_quotas_and_a_window_for_it_on_the_settings_page(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    sign_in(page, server, "m1")
    page.click("text=设置 Settings")
    expect(page.locator('#service-list tr[data-service="a"]')).to_be_visible(timeout=TIMEOUT_MS)

    page.fill("#svf-code", "bdc")
    page.fill("#svf-name", "不动产登记")
    page.fill("#svf-prefix", "A")
    page.click("#svf-submit")
    expect(page.locator("#action-error")).to_contain_text("前缀 A 已被“事项a”使用", timeout=TIMEOUT_MS)
    page.fill("#svf-prefix", "D")
    page.fill("#svf-start", "101")
    page.fill("#svf-cap", "80")
    page.fill("#svf-slots", "08:30-12:00=40")
    page.check("#svf-own-hours")
    for weekday in range(1, 8):  # the live server runs on the real clock: open whatever day the test runs
        page.fill(f'#svf-hours input[data-sweekday="{weekday}"]', "00:00-12:00, 12:00-24:00")
    page.click("#svf-submit")
    row = page.locator('#service-list tr[data-service="bdc"]')
    expect(row).to_contain_text("D 101–999", timeout=TIMEOUT_MS)
    expect(row).to_contain_text("80")

    row.get_by_role("button", name="编辑 Edit").click()
    expect(page.locator("#svf-slots")).to_have_value("08:30-12:00=40")
    page.fill("#svf-warn", "5")
    page.click("#svf-submit")
    expect(row.locator("td").nth(4)).to_have_text("5", timeout=TIMEOUT_MS)

    page.fill("#wf-number", "12")
    page.fill("#wf-name", "不动产综合窗口")
    page.fill("#wf-zone", "二楼")
    page.select_option("#wf-services", ["bdc"])
    page.click("#window-form button[type=submit]")
    expect(page.locator('#window-list tr[data-window="12"] .services')).to_have_text("bdc", timeout=TIMEOUT_MS)

    settings = post(server, "/halls/t1/service-settings", tokens.manager, method="GET")["services"]
    bdc = next(s for s in settings if s["code"] == "bdc")
    assert (bdc["slot_quotas"], bdc["warning_threshold"], bdc["opening_hours"]["1"]) == (
        [{"start": "08:30", "end": "12:00", "limit": 40}], 5, [["00:00", "12:00"], ["12:00", "24:00"]])
    assert post(server, "/halls/t1/tickets", tokens.kiosk, {"service": "bdc"})["number"] == "D101"

    wait_a = page.locator('#service-limits tr[data-service="a"] input[data-key="ticket_wait_min"]')
    wait_a.fill("45")
    with page.expect_response(lambda r: r.url.endswith("/alert-limits") and r.request.method == "PUT") as saved:
        page.click("#service-limits-form button[type=submit]")
    assert saved.value.status == 200, saved.value.text()
    limits = post(server, "/halls/t1/alert-limits", tokens.manager, method="GET")["limits"]
    assert limits["services"] == {"a": {"ticket_wait_min": 45}} and limits["ticket_wait_min"] == 30
    expect(wait_a).to_have_value("45", timeout=TIMEOUT_MS)


def test_the_prefecture_overview_follows_a_halls_live_events_without_waiting_for_its_poll(
    page: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]
) -> None:
    store = make_store(hall[0])
    with store.transaction() as s:
        factories.staff(s, None, "adm1", Role.ADMIN)
    store.dispose()
    page.goto(f"{server.url}/manager/login")
    page.fill("#user_no", "adm1")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/manager", timeout=TIMEOUT_MS)
    waiting = page.locator('#halls tr[data-hall="t1"] .waiting')
    expect(waiting).to_have_text("0", timeout=TIMEOUT_MS)
    expect(page.locator("#feed-status")).to_have_text("在线 online", timeout=TIMEOUT_MS)

    post(server, "/halls/t1/tickets", tokens.kiosk, {"service": "a"})

    # The safety poll runs every two minutes: a change seen within seconds came through the hall's feed.
    expect(waiting).to_have_text("1", timeout=TIMEOUT_MS)
    # Hall t1 is open all day; of its six windows only 1 and 2 have a clerk (u1, u2): they are its open windows.
    expect(page.locator('#halls tr[data-hall="t1"] .hall-open')).to_have_text("营业中 open")
    expect(page.locator('#halls tr[data-hall="t1"] .open')).to_have_text("2")
    screenshot(page, "manager-prefecture.png")


def test_a_manager_fixes_a_guide_the_quality_check_flagged_on_the_settings_page(
    page: Any, server: Server, tokens: BasicHall, hall: tuple[str, BasicHall]
) -> None:
    load_demo_catalogue(hall[0])
    sign_in(page, server, "m1")
    page.click("text=设置 Settings")
    row = page.locator('#guide-list tr[data-guide="530000-jzz"]')
    expect(row.locator('li[data-code="legal_basis_without_article"]')).to_contain_text(
        "设定依据应写明法律法规名称", timeout=TIMEOUT_MS)

    row.get_by_role("button", name="编辑 Edit").click()
    expect(page.locator("#gf-legal_basis")).to_have_value("《居住证暂行条例》", timeout=TIMEOUT_MS)
    page.fill("#gf-legal_basis", "《居住证暂行条例》第十条")
    page.click("#guide-form button[type=submit]")

    expect(row.locator("td.ok")).to_have_text("无 none", timeout=TIMEOUT_MS)
    expect(page.locator("#gf-findings li")).to_have_count(0)
    guide = post(server, "/halls/t1/guides/530000-jzz", tokens.manager, method="GET")
    assert guide["legal_basis"] == "《居住证暂行条例》第十条"


def test_a_kiosk_printers_state_shows_on_the_monitor_as_its_agent_reports_it(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    from sqlalchemy import update

    from queue_server.storage.models import Device

    store = make_store(server.database_url)
    with store.transaction() as s:  # as `hallq kiosk printer --hall t1 --name kiosk-1 --paper 80` does
        s.execute(update(Device).where(Device.name == "kiosk-1").values(printer={"paper_mm": 80}))
    store.dispose()
    sign_in(page, server, "m1")
    row = page.locator("#kiosks tr", has_text="kiosk-1")
    expect(row.locator(".printer-state")).to_have_text("尚未报告 not reported yet", timeout=TIMEOUT_MS)

    for state, shown in (("paper_low", "纸将用完 paper low"), ("cover_open", "纸仓盖未关 cover open"),
                         ("offline", "离线 offline"), ("online", "正常 ok")):
        post(server, "/kiosks/me/printer-status", tokens.kiosk, {"state": state})
        expect(row.locator(".printer-state")).to_have_text(shown, timeout=TIMEOUT_MS)
        expect(row).to_have_class("" if state == "online" else "warn")


def test_a_booking_and_its_cancellation_and_a_remote_ticket_appear_live_on_the_monitor(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    plan = {"days": {str(d): [{"start": "08:00", "end": "20:00", "minutes": 60, "capacity": 2}] for d in range(1, 8)},
            "horizon_days": 5, "cutoff_min": 0}
    post(server, "/halls/t1/services/a/booking", tokens.manager, plan, method="PUT")
    sign_in(page, server, "m1")
    expect(page.locator("#activity-none")).to_be_visible(timeout=TIMEOUT_MS)
    page.evaluate("window.__notReloaded = true")
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date().isoformat()
    slot = requests.get(f"{server.url}/api/v1/halls/t1/services/a/slots?date={tomorrow}", timeout=5).json()["slots"][0]

    booked = requests.post(f"{server.url}/api/v1/halls/t1/appointments", timeout=5,
                           json={"service": "a", "slot_start": slot["start"], "phone": "13800138000"})
    assert booked.status_code == 201, booked.text

    latest = page.locator("#booking-activity li").first
    expect(latest).to_have_attribute("data-type", "appointment.booked", timeout=TIMEOUT_MS)
    expect(latest).to_contain_text("已预约")
    expect(latest).to_contain_text("事项a")
    expect(latest).to_contain_text("138****8000")
    assert "13800138000" not in page.content() and booked.json()["code"] not in page.content()

    cancelled = requests.post(f"{server.url}/api/v1/appointments/{booked.json()['manage_token']}/cancel", timeout=5)
    assert cancelled.status_code == 200, cancelled.text
    expect(latest).to_have_attribute("data-type", "appointment.cancelled", timeout=TIMEOUT_MS)
    expect(latest).to_contain_text("已取消")
    expect(page.locator("#booking-activity li")).to_have_count(2)

    far = requests.post(f"{server.url}/api/v1/halls/t1/remote-tickets", timeout=5,
                        json={"service": "a", "phone": "13900139000"})
    assert far.status_code == 201, far.text
    expect(page.locator('#bookings tr[data-service="a"] .not-arrived')).to_have_text("1", timeout=TIMEOUT_MS)
    expect(page.locator("#service-summary")).to_contain_text("线上未到 1")
    expect(page.locator('#services tr[data-service="a"] .waiting')).to_have_text("0")  # nobody to call yet
    page.locator("#bookings-panel").screenshot(path=str(SCREENSHOTS / "manager-bookings.png"))
    assert page.evaluate("window.__notReloaded") is True
