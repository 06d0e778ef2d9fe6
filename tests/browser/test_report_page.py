"""The manager report page in Chromium: the hand-computed morning (tests/reports/scenario.py) shows in the cards,
table and chart, and the XLSX export downloads and holds the same totals."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import make_store
from tests import factories
from tests.browser.conftest import screenshot
from tests.conftest import START
from tests.realtime.server import Server
from tests.reports.scenario import play
from tests.reports.scenario import scenario_hall

LOAD_TIMEOUT_MS = 15_000
FIRST_CELLS = "#report-table tbody tr td:first-child"


@pytest.fixture
def hall(sqlite_template: Path, tmp_path: Path) -> tuple[str, factories.BasicHall]:
    """Overrides the browser suite's hall: the scenario's hall t1 after its morning, played through the engine."""
    path = tmp_path / "hallq.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    store = make_store(url)
    clock = FrozenClock(START)
    tokens = scenario_hall(store, clock)
    play(Runtime(store, clock, lambda envelopes: None), clock)
    store.dispose()
    return url, tokens


def _sign_in(page: Any, server: Server, user_no: str = "m1") -> None:
    page.goto(f"{server.url}/manager/login")
    page.fill("#user_no", user_no)
    page.fill("#password", "pw-12345678")  # tests.factories.staff's password
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/manager/t1", timeout=LOAD_TIMEOUT_MS)


def _open(page: Any, server: Server, by: str = "window") -> None:
    """The report page as the hall's manager opens it: signed in to the console, no token in any address."""
    _sign_in(page, server)
    page.goto(f"{server.url}/manager/t1/reports?period=month&date=2026-03-02&by={by}")
    page.wait_for_selector("body[data-loaded*='by=" + by + "']", timeout=LOAD_TIMEOUT_MS)


def test_report_page_shows_the_figures_and_the_chart(page: Any, server: Server, tokens: factories.BasicHall) -> None:
    _open(page, server)

    assert page.text_content("#period-label").startswith("2026-03-01 至 2026-03-31")
    assert page.text_content("#sum-tickets") == "6" and page.text_content("#sum-served") == "4"
    assert page.text_content("#sum-wait") == "7.0 分" and page.text_content("#sum-rating-rate") == "75.0%"
    labels = page.eval_on_selector_all(FIRST_CELLS, "cells => cells.map(c => c.textContent)")
    assert labels == ["1号窗口", "2号窗口", "未分配 unassigned"]
    assert page.text_content("#window-ranking tbody tr:first-child td:nth-child(2)") == "2号窗口"
    served = page.evaluate("Chart.getChart('chart').data.datasets[0].data")
    assert served == [1, 3, 0]
    assert not page.is_visible("#acted-section")  # no manager called at a window this month
    # The morning's two phone tickets are its remote tickets; nobody booked.
    assert page.eval_on_selector_all("#citizens tfoot td", "cells => cells.map(c => c.textContent)") == [
        "合计 total", "", "0", "0", "0", "0", "2"]
    screenshot(page, "manager-reports.png")


def test_a_managers_call_at_a_window_shows_apart_and_counts_for_the_clerk(
        page: Any, server: Server, tokens: factories.BasicHall, hall: tuple[str, factories.BasicHall]) -> None:
    store = make_store(hall[0])
    runtime = Runtime(store, FrozenClock(START + timedelta(hours=5)), lambda envelopes: None)
    ticket = runtime.execute(engine.issue_ticket, hall="t1", service_code="a").value.ticket
    runtime.execute(engine.call_next, hall="t1", window_number=1, acted_by="manager:m1")
    runtime.execute(engine.finish, hall="t1", ticket_id=ticket.id)
    store.dispose()

    _open(page, server, by="staff")

    assert page.is_visible("#acted-section")
    assert page.eval_on_selector_all("#acted tbody tr td", "cells => cells.map(c => c.textContent)") == [
        "1号窗口", "manager:m1", "1", "1"]
    staff = page.eval_on_selector_all("#staff-ranking tbody tr td:nth-child(2)",
                                      "cells => cells.map(c => c.textContent)")
    assert all(not label.startswith("m1") for label in staff)  # credited to the clerk at 1号, not the manager
    screenshot(page, "manager-reports-acted.png")


def test_switching_to_by_service_reloads_the_table(page: Any, server: Server, tokens: factories.BasicHall) -> None:
    _open(page, server)

    page.click("#by-tabs button[data-by='service']")
    page.wait_for_selector("body[data-loaded*='by=service']", timeout=LOAD_TIMEOUT_MS)

    labels = page.eval_on_selector_all(FIRST_CELLS, "cells => cells.map(c => c.textContent)")
    assert labels == ["事项a", "事项b"]
    assert "by=service" in page.url


def test_xlsx_export_downloads_with_the_same_totals(
    page: Any, server: Server, tokens: factories.BasicHall, tmp_path: Path
) -> None:
    _open(page, server)

    with page.expect_download(timeout=LOAD_TIMEOUT_MS) as info:
        page.click("#export-xlsx")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)

    assert saved.name == "hallq-report-t1-2026-03-01-2026-03-31-window.xlsx"
    rows = list(load_workbook(saved)["报表 report"].iter_rows(values_only=True))
    figures = dict(zip(rows[1], rows[-1], strict=True))
    assert rows[-1][0] == "合计 total"
    assert figures["取号量 tickets"] == int(page.text_content("#sum-tickets")) == 6
    assert figures["办理 served"] == int(page.text_content("#sum-served")) == 4
    assert figures["空号 no-show"] == int(page.text_content("#sum-no-show")) == 1


def test_without_a_console_sign_in_the_page_says_how_to_open_it(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/manager/t1/reports")

    page.wait_for_selector("#need-token:not([hidden])", timeout=LOAD_TIMEOUT_MS)


def test_a_manager_signed_in_to_the_console_opens_the_reports_without_a_token(page: Any, server: Server) -> None:
    page.goto(f"{server.url}/manager/login")
    page.fill("#user_no", "m1")
    page.fill("#password", "pw-12345678")  # tests.factories.staff's password
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/manager/t1", timeout=LOAD_TIMEOUT_MS)

    page.click("text=统计报表 Reports")
    page.wait_for_url("**/manager/t1/reports**", timeout=LOAD_TIMEOUT_MS)
    page.goto(f"{server.url}/manager/t1/reports?period=month&date=2026-03-02&by=window")
    page.wait_for_selector("body[data-loaded*='by=window']", timeout=LOAD_TIMEOUT_MS)

    assert page.text_content("#sum-tickets") == "6"
    assert page.is_hidden("#need-token")
