"""A citizen at the kiosk (Playwright on Debian Chromium, portrait 1080x1920, against a real server subprocess):
takes a ticket and sees it on screen while it prints, is refused with an explanation, opens a guide from search.
Screenshots go to docs/screenshots/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page
from playwright.sync_api import expect

from kiosk.agent import AgentConfig
from kiosk.agent import PrintAgent
from kiosk.printer import PrinterConfig
from tests.device_pairing import pair_kiosk
from tests.kiosk.server_process import ROOT
from tests.kiosk.server_process import ServerProcess
from tests.virtual_printer import VirtualPrinter
from tests.virtual_printer import virtual_printer

pytestmark = pytest.mark.slow
LARGE = re.compile(r"\blarge\b")  # body classes: the page's own and large
SHOTS = ROOT / "docs" / "screenshots"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    instance = tmp_path_factory.mktemp("kiosk-browser")
    server = ServerProcess(instance)
    token = server.load_demo()
    server.start()
    yield server, token
    server.stop()


@pytest.fixture
def page(browser: Any, hall: tuple[ServerProcess, str]) -> Iterator[Page]:
    server, token = hall
    context = browser.new_context(viewport={"width": 1080, "height": 1920})
    pg = context.new_page()
    pair_kiosk(pg, "cxz", token)
    pg.goto(f"{server.url}/kiosk/")
    pg.wait_for_url("**/kiosk/cxz/")
    yield pg
    context.close()


@pytest.fixture
def agent(hall: tuple[ServerProcess, str], tmp_path: Path) -> Iterator[VirtualPrinter]:
    """The kiosk PC's print agent, running against a virtual printer for the test."""
    server, token = hall
    stop = threading.Event()
    with virtual_printer() as device:
        runner = PrintAgent(AgentConfig(server=server.url, token=token, state_dir=tmp_path / "agent", wait_s=1,
                                        retry_s=0.2, printer=PrinterConfig(url=device.url)), stop)
        thread = threading.Thread(target=runner.run, name="print-agent")
        thread.start()
        yield device
        stop.set()
        thread.join(timeout=15)


def test_citizen_takes_a_ticket_and_sees_it_on_screen_while_it_prints(page: Page, agent: VirtualPrinter) -> None:
    expect(page.locator("[data-tile=take]")).to_contain_text("取号")
    page.screenshot(path=str(SHOTS / "kiosk-home.png"))

    page.click("[data-tile=take]")
    page.click("text=州公安局")
    page.click("[data-service=hj]")
    page.click("[data-confirm]")

    ticket = page.locator("#ticket")
    expect(ticket).to_be_visible()
    expect(ticket.locator("[data-number]")).to_have_text(r"K001")
    expect(ticket.locator("[data-service]")).to_have_text("户籍业务办理")
    expect(ticket.locator("[data-materials]")).to_contain_text("居民户口簿")
    expect(ticket.locator("[data-wait]")).to_have_text("5分钟以内")  # the paper's rounded range
    expect(ticket.locator("[data-print]")).to_have_text("请取票", timeout=15_000)
    page.wait_for_function("() => document.querySelector('#ticket [data-qr]').naturalWidth > 0")
    page.screenshot(path=str(SHOTS / "kiosk-ticket.png"))
    assert b"K001" in agent.wait_for_jobs(1)[0]


def test_refusal_says_what_happened_and_what_to_do_instead(page: Page, hall: tuple[ServerProcess, str]) -> None:
    server, token = hall
    first = requests.post(f"{server.url}/api/v1/halls/cxz/tickets", timeout=10,
                          json={"service": "crj", "id_number": "53230119800101002X"},
                          headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == 201

    page.goto(f"{server.url}/kiosk/cxz/service/crj")
    for key in "53230119800101002X":
        page.click(f'.keypad [data-key="{key}"]')
    page.click("[data-confirm]")

    refusal = page.locator("#refusal")
    expect(refusal).to_be_visible()
    expect(refusal.locator("[data-title]")).to_have_text("已达到每人取号上限")
    expect(refusal.locator("[data-hint]")).to_contain_text("您今天已取过号")
    expect(page.locator("#ticket")).to_be_hidden()


def test_guide_opens_from_a_pinyin_initials_search_with_a_ticket_button(page: Page) -> None:
    page.fill("input[name=q]", "bdcdj")
    page.click("button[type=submit]")
    page.click("[data-guide='530000-bdczy'] a.name")

    expect(page.locator("[data-guide-name]")).to_have_text("不动产转移登记")
    expect(page.locator(".guide dt").first).to_have_text("事项类型")
    expect(page.locator("[data-take]")).to_be_visible()
    page.screenshot(path=str(SHOTS / "kiosk-guide.png"))


def test_large_text_and_english_switches_stay_on_the_kiosk(page: Page) -> None:
    page.click("[data-large]")
    page.click("[data-lang]")

    expect(page.locator("body")).to_have_class(LARGE)
    expect(page.locator("[data-tile=take]")).to_contain_text("Take a ticket")


def test_every_touch_target_is_at_least_64_px_in_portrait_and_landscape(
    browser: Any, hall: tuple[ServerProcess, str]
) -> None:
    server, token = hall
    for width, height in ((1080, 1920), (1920, 1080)):
        context = browser.new_context(viewport={"width": width, "height": height})
        pg = context.new_page()
        pair_kiosk(pg, "cxz", token)
        pg.goto(f"{server.url}/kiosk/")
        pg.wait_for_url("**/kiosk/cxz/")
        for path in ("/kiosk/cxz/", "/kiosk/cxz/service/bdczy", "/kiosk/cxz/checkin"):
            pg.goto(server.url + path)
            small = pg.eval_on_selector_all(
                "a.btn, button, a.tile, a.row, a.chip",
                "els => els.filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 64)"
                ".map(e => e.textContent.trim())")
            assert small == [], (width, path, small)
        tiles = pg.locator("a.tile")
        pg.goto(server.url + "/kiosk/cxz/")
        for i in range(tiles.count()):
            assert tiles.nth(i).is_visible()
            box = tiles.nth(i).bounding_box()
            assert box is not None and box["y"] + box["height"] <= height  # no scrolling to reach a tile
        context.close()


def test_an_unattended_page_returns_home(page: Page, hall: tuple[ServerProcess, str]) -> None:
    server, _ = hall
    page.clock.install()
    page.goto(f"{server.url}/kiosk/cxz/guides")

    page.clock.run_for(91_000)

    page.wait_for_url("**/kiosk/cxz/")


def _book_jzz(server: ServerProcess, code: str, starts_in_min: int, phone: str | None = None) -> None:
    """A 30-minute 居住证办理 booking of hall cxz written straight into the server's database, starting
    `starts_in_min` from now (the server runs on the real clock); with `phone`, hashed with the server's own key,
    so the kiosk finds it by that number."""
    from datetime import UTC
    from datetime import datetime
    from datetime import timedelta

    from sqlalchemy import select

    from queue_server.engine.queue import numbering
    from queue_server.person_keys import KeySource
    from queue_server.storage.models import Appointment
    from queue_server.storage.models import Hall
    from queue_server.storage.models import Service
    from queue_server.storage.store import make_store

    store = make_store(server.env["HALLQ_DATABASE_URL"])
    start = datetime.now(UTC) + timedelta(minutes=starts_in_min)
    with store.transaction() as s:
        cxz = s.scalar(select(Hall).where(Hall.code == "cxz"))
        assert cxz is not None
        jzz = s.scalar(select(Service).where(Service.hall_id == cxz.id, Service.code == "jzz"))
        assert jzz is not None
        person: dict[str, str] = {}
        if phone is not None:
            ring = KeySource(server.instance, server.env).ring()
            person = {"person_hash": numbering.person_digests(cxz, phone, ring)[ring.current_id],
                      "person_masked": f"{phone[:3]}****{phone[-4:]}"}
        s.add(Appointment(hall_id=cxz.id, service_id=jzz.id, code=code, slot_start=start,
                          slot_end=start + timedelta(minutes=30), **person))
    store.dispose()


def test_appointment_check_in_by_code_issues_the_booked_service(page: Page, hall: tuple[ServerProcess, str]) -> None:
    _book_jzz(hall[0], "880021", starts_in_min=-5)

    page.click("[data-tile=checkin]")
    for key in "880021":
        page.click(f'.keypad [data-key="{key}"]')
    page.click("[data-checkin]")

    expect(page.locator("#ticket [data-service]")).to_have_text("居住证办理")
    expect(page.locator("#ticket [data-number]")).to_have_text("M001")


def test_appointment_check_in_by_mobile_number_finds_todays_booking(page: Page,
                                                                   hall: tuple[ServerProcess, str]) -> None:
    _book_jzz(hall[0], "880031", starts_in_min=20, phone="13900139000")

    page.click("[data-tile=checkin]")
    expect(page.locator("#checkin")).to_contain_text("身份证号或手机号")
    for key in "13900139001":  # a number with no booking: said so, with the number masked
        page.click(f'.keypad [data-key="{key}"]')
    page.click("[data-checkin]")
    expect(page.locator("#refusal [data-title]")).to_have_text("今天没有预约")
    page.click('#refusal [data-close]')
    page.click('.keypad [data-key="del"]')
    page.click('.keypad [data-key="0"]')
    page.click("[data-checkin]")

    expect(page.locator("#ticket [data-service]")).to_have_text("居住证办理")
    expect(page.locator("#ticket [data-number]")).to_have_text(re.compile(r"^M\d{3}$"))


def test_unknown_appointment_code_is_refused_with_advice(page: Page) -> None:
    page.click("[data-tile=checkin]")
    for key in "999999":
        page.click(f'.keypad [data-key="{key}"]')
    page.click("[data-checkin]")

    expect(page.locator("#refusal [data-title]")).to_have_text("预约不存在")
    expect(page.locator("#refusal [data-hint]")).to_contain_text("请核对预约码")


def test_guides_can_be_browsed_by_department_theme_and_type(page: Page) -> None:
    page.click("[data-tile=guides]")
    page.click("text=州住房公积金管理中心")

    names = page.locator(".list .row .name")
    expect(names).to_have_count(3)
    expect(names.first).to_contain_text("住房公积金")

    page.click("text=行政给付")
    expect(page.locator(".list .row").first).to_be_visible()


# -- printing that fails, and issuing through network trouble (issue 19) -----------------------------------------

REPRINT_MARK = "补打".encode("gbk")


def waiting(server: ServerProcess, service: str) -> int:
    services = requests.get(f"{server.url}/api/v1/halls/cxz/services", timeout=10).json()
    return next(s["waiting"] for s in services if s["code"] == service)  # type: ignore[no-any-return]


def take(page: Page, server: ServerProcess, service: str) -> None:
    page.goto(f"{server.url}/kiosk/cxz/service/{service}")
    page.click("[data-confirm]")


def test_paper_out_says_why_offers_a_reprint_and_the_reprint_prints_once(
    page: Page, hall: tuple[ServerProcess, str], agent: VirtualPrinter
) -> None:
    server, _ = hall
    agent.paper_out = True
    take(page, server, "sbdj")
    status = page.locator("#ticket [data-print]")
    reprint = page.locator("#ticket [data-reprint]")

    expect(status).to_have_text("打印失败：打印机缺纸。请拍下二维码或联系工作人员", timeout=15_000)
    expect(reprint).to_be_visible()
    page.screenshot(path=str(SHOTS / "kiosk-print-failed.png"))
    agent.paper_out = False
    reprint.click()

    expect(status).to_have_text("请取票（补打）", timeout=15_000)
    expect(reprint).to_be_hidden()
    assert agent.numbers().count("P001") == 1
    (paper,) = [job for job in agent.jobs if b"P001" in job]
    assert REPRINT_MARK in paper


def test_with_no_print_agent_the_page_says_print_failed_at_the_deadline_and_nothing_prints_later(
    page: Page, hall: tuple[ServerProcess, str], tmp_path: Path
) -> None:
    server, token = hall
    take(page, server, "sbk")
    status = page.locator("#ticket [data-print]")
    expect(status).to_have_text("正在打印，请稍候…")

    expect(status).to_have_text("打印失败：请拍下二维码或联系工作人员", timeout=25_000)
    with virtual_printer() as device:  # the agent comes back after the citizen was told
        late = PrintAgent(AgentConfig(server=server.url, token=token, state_dir=tmp_path / "late", wait_s=0,
                                      retry_s=0.1, status_every_s=0, printer=PrinterConfig(url=device.url)))
        late.step()
        late.step()

        assert "T001" not in device.numbers() and device.torn == []
    expect(page.locator("#ticket [data-reprint]")).to_be_visible()


def test_a_lost_answer_is_retried_by_itself_and_gives_one_ticket_never_a_print_failure(
    page: Page, hall: tuple[ServerProcess, str]
) -> None:
    server, _ = hall
    before = waiting(server, "gjjtq")
    lost: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        if not lost:  # the server issues the ticket; its answer never reaches the kiosk
            route.fetch()
            lost.append(route.request.headers["idempotency-key"])
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/api/v1/halls/cxz/tickets", lose_the_first_answer)
    take(page, server, "gjjtq")

    expect(page.locator("#ticket [data-number]")).to_have_text("U001", timeout=15_000)
    assert waiting(server, "gjjtq") == before + 1
    assert lost and lost[0].startswith("kiosk-")
    expect(page.locator("#refusal")).to_be_hidden()


def test_a_proxys_502_is_retried_with_a_message_saying_so(page: Page, hall: tuple[ServerProcess, str]) -> None:
    server, _ = hall
    answered: list[int] = []

    def bad_gateway_twice(route: Any) -> None:
        if len(answered) < 2:  # nginx with no upstream: an HTML page, not problem+json
            answered.append(502)
            route.fulfill(status=502, content_type="text/html", body="<html><body>502 Bad Gateway</body></html>")
        else:
            route.continue_()

    page.route("**/api/v1/halls/cxz/tickets", bad_gateway_twice)
    take(page, server, "gjjdk")

    retrying = page.locator("#issuing [data-issuing]")
    expect(retrying).to_have_text("网络或系统繁忙，正在为您重新取号，请稍候…（不会重复取号）")
    expect(page.locator("#ticket [data-number]")).to_have_text("V001", timeout=15_000)
    expect(page.locator("#issuing")).to_be_hidden()
    expect(page.locator("#ticket [data-print]")).not_to_contain_text("打印失败")


def test_when_retries_run_out_the_page_says_it_cannot_tell_and_pressing_again_finds_the_same_ticket(
    page: Page, hall: tuple[ServerProcess, str]
) -> None:
    server, _ = hall
    before = waiting(server, "qybg")
    keys: list[str] = []

    def answer_never_arrives(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        try:
            route.fetch()  # the first one issues; the retries find it by its key; none of the answers arrive
            route.abort("connectionreset")
        except Exception:  # noqa: BLE001 - the page gave up on this request itself (its own timeout)
            pass

    page.clock.install()
    page.route("**/api/v1/halls/cxz/tickets", answer_never_arrives)
    take(page, server, "qybg")
    page.wait_for_function("() => document.querySelector('#issuing').classList.contains('on')")
    page.clock.run_for(31_000)  # the kiosk retries for 30 s

    refusal = page.locator("#refusal")
    expect(refusal.locator("[data-title]")).to_have_text("暂时无法取号")
    expect(refusal.locator("[data-hint]")).to_have_text("请稍后再按「确认取号」（不会重复取号），或联系工作人员")
    expect(page.locator("#ticket")).to_be_hidden()
    page.unroute("**/api/v1/halls/cxz/tickets")
    page.click("[data-close=refusal]")
    page.click("[data-confirm]")

    expect(page.locator("#ticket [data-number]")).to_have_text("B001", timeout=15_000)
    assert len(set(keys)) == 1 and len(keys) >= 2  # retried by itself, always with the one key
    assert waiting(server, "qybg") == before + 1


def test_the_citizen_asks_for_a_reprint_from_the_phone_and_it_prints_once_at_the_kiosk(
    browser: Any, hall: tuple[ServerProcess, str], agent: VirtualPrinter
) -> None:
    server, token = hall
    agent.paper_out = True
    ticket = requests.post(f"{server.url}/api/v1/halls/cxz/tickets", json={"service": "sbzy"}, timeout=10,
                           headers={"Authorization": f"Bearer {token}"}).json()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(ticket["track_url"])  # scanned from the kiosk's screen while it tries to print
    expect(phone.locator("#paper-status")).to_contain_text("纸质号票未能打印", timeout=15_000)
    agent.paper_out = False
    phone.on("dialog", lambda dialog: dialog.accept())

    phone.click("#reprint")

    expect(phone.locator("#paper-status")).to_contain_text("已在一楼取号机1补打，请取票", timeout=15_000)
    phone.screenshot(path=str(SHOTS / "phone-reprint.png"))
    context.close()
    assert agent.numbers().count(ticket["number"]) == 1
    (paper,) = [j for j in agent.jobs if ticket["number"].encode() in j]
    assert REPRINT_MARK in paper
