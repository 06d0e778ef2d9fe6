"""The halls page (/manager/halls) in Chromium against a live server, on SQLite and PostgreSQL: an admin creates a
hall, downloads another hall's workbook, uploads an edited one with mistakes (every bad cell listed in the page,
readable at every screen size, nothing written), checks and imports the corrected one, imports it again for no
change, renames and retires the hall."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func
from sqlalchemy import select

from queue_server.access.credentials import hash_password
from queue_server.clock import SystemClock
from queue_server.demo.halls import load_demo
from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.store import Store
from tests.browser.conftest import screenshot
from tests.browser.sight import seen
from tests.conftest import stop_after_pages
from tests.halls.workbooks import edit
from tests.realtime.server import Server
from tests.realtime.server import make_server

TIMEOUT_MS = 20_000
PASSWORD = "admin-password-1"
SIZES = [(1366, 768), (1920, 1080), (1080, 1920), (3840, 2160)]


@pytest.fixture
def site(database_url: str, store: Store, tmp_path: Path, browser: Any) -> Iterator[Server]:
    """The demo halls and a site admin of our own, served."""
    with store.transaction() as s:
        load_demo(s, SystemClock().now())
        s.add(Staff(hall_id=None, user_no="adm", name="信息科", role=Role.ADMIN,
                    password_hash=hash_password(PASSWORD)))
    server = make_server(database_url, tmp_path / "instance").start()
    yield server
    stop_after_pages(browser, server)


def _upload(page: Any, hall: str, book: Path, *, dry_run: bool = False) -> None:
    row = page.locator(f'#hall-list tr[data-hall="{hall}"]')
    row.locator("input[type=file]").set_input_files(str(book))
    if dry_run:
        row.locator("input[name=dry_run]").check()
    row.get_by_role("button", name="导入 Import").click()


def test_an_admin_creates_a_hall_and_fills_it_from_a_workbook_on_the_halls_page(
    page: Any, site: Server, store: Store, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{site.url}/manager/login")
    page.fill("#user_no", "adm")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.click("text=大厅管理 Halls")
    expect(page.locator('#hall-list tr[data-hall="cxz"]')).to_be_visible(timeout=TIMEOUT_MS)

    page.fill("#create-hall input[name=code]", "new")
    page.fill("#create-hall input[name=name]", "新大厅")
    page.click("#create-hall button[type=submit]")
    expect(page.locator("#halls-message")).to_contain_text("已创建大厅 new 新大厅", timeout=TIMEOUT_MS)
    expect(page.locator('#hall-list tr[data-hall="new"] .hall-name')).to_have_text("新大厅")

    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator('#hall-list tr[data-hall="cxz"] a.download').click()
    book = tmp_path / "cxz.xlsx"
    download.value.save_as(str(book))
    for row in range(2, 28):  # 工号 are unique across halls: the new hall's staff get their own
        edit(book, "工作人员", row, "工号", f"n{row}")
    bad = edit(book, "事项", 2, "号码前缀", "a1", out=tmp_path / "bad.xlsx")
    edit(bad, "窗口", 5, "窗口号", "五")

    _upload(page, "new", bad)

    errors = page.locator("#cell-errors tbody tr")
    expect(errors).to_have_count(2, timeout=TIMEOUT_MS)
    expect(errors.nth(0)).to_contain_text("事项2号码前缀号票前缀须为 1 到 4 个大写字母")
    expect(errors.nth(1)).to_contain_text("窗口5窗口号“五”不是整数")
    expect(page.locator("#halls-error")).to_contain_text("工作簿中有 2 处单元格有误，未导入任何内容")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        errors.nth(1).scroll_into_view_if_needed()
        assert len(seen(page, "#cell-errors tbody tr td")) >= 4, f"error cells hidden at {width}x{height}"
        screenshot(page, f"manager-halls-errors-{width}x{height}.png")
    page.set_viewport_size({"width": 1366, "height": 768})
    with store.read_session() as s:
        new = snapshots.hall_by_code(s, "new")
        assert s.scalar(select(func.count()).select_from(Service).where(Service.hall_id == new.id)) == 0

    _upload(page, "new", book, dry_run=True)
    expect(page.locator("#import-result")).to_contain_text("检查通过", timeout=TIMEOUT_MS)
    expect(page.locator("#import-result")).to_contain_text("事项：将新增 30")
    _upload(page, "new", book)
    expect(page.locator("#import-result")).to_contain_text("已导入", timeout=TIMEOUT_MS)
    expect(page.locator("#import-result")).to_contain_text("窗口：新增 24")
    _upload(page, "new", book)
    expect(page.locator("#import-result")).to_contain_text("没有变化", timeout=TIMEOUT_MS)
    screenshot(page, "manager-halls-1366x768.png")

    row = page.locator('#hall-list tr[data-hall="new"]')
    row.locator("input[name=name]").fill("新大厅（二期）")
    row.get_by_role("button", name="改名 Rename").click()
    expect(page.locator('#hall-list tr[data-hall="new"] .hall-name')).to_have_text("新大厅（二期）",
                                                                                  timeout=TIMEOUT_MS)
    row = page.locator('#hall-list tr[data-hall="new"]')
    row.locator("input[name=confirm]").fill("new")
    row.get_by_role("button", name="撤销 Retire").click()
    expect(page.locator('#hall-list tr[data-hall="new"] .state')).to_have_text("已撤销 retired", timeout=TIMEOUT_MS)
    with store.read_session() as s:
        new = snapshots.hall_by_code(s, "new")
        assert new.retired_at is not None and new.name == "新大厅（二期）"
        assert s.scalar(select(func.count()).select_from(Service).where(Service.hall_id == new.id)) == 30
