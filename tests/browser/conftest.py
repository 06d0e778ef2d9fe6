"""Playwright on Debian's Chromium against a live server (tests/realtime/server.py) with a small hall.

Chromium starts with --autoplay-policy=no-user-gesture-required, exactly as the wall display's kiosk browser
must (docs/voice.md); Playwright cannot download browsers here, so /usr/bin/chromium is required.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from queue_server.catalogue import index
from queue_server.clock import SystemClock
from queue_server.demo import guides
from queue_server.demo.halls import SERVICES
from queue_server.demo.halls import WINDOWS
from queue_server.demo.halls import DemoCredentials
from queue_server.demo.halls import load_demo
from queue_server.queries import snapshots
from queue_server.storage.models import HallNotice
from queue_server.storage.models import Staff
from queue_server.storage.store import make_store
from tests import factories
from tests.conftest import stop_after_pages
from tests.realtime.server import Server
from tests.realtime.server import make_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def hall(sqlite_template: Path, tmp_path: Path) -> tuple[str, factories.BasicHall]:
    """Hall t1 (services a, b; windows 1 and 2) plus windows 3-6 and a notice, so screens look like a hall."""
    path = tmp_path / "hallq.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    store = make_store(url)
    tokens = factories.basic_hall(store, SystemClock())
    with store.transaction() as s:
        t1 = snapshots.hall_by_code(s, "t1")
        services = {sv.code: sv for sv in t1.services}
        for n in range(3, 7):
            factories.window(s, t1, n, [services["a"], services["b"]])
        for window in t1.windows[:2]:  # clerks u1 and u2 signed in at windows 1 and 2: screens show their 工号
            window.staff_id = s.scalar(select(Staff.id).where(Staff.user_no == f"u{window.number}"))
        s.add(HallNotice(hall_id=t1.id, text="请携带身份证原件办理业务 Please bring your ID card", position=0,
                         created_at=SystemClock().now()))
    store.dispose()
    return url, tokens


@pytest.fixture
def server(hall: tuple[str, factories.BasicHall], tmp_path: Path, browser: Any) -> Iterator[Server]:
    srv = make_server(hall[0], tmp_path / "instance").start()
    yield srv
    stop_after_pages(browser, srv)


@pytest.fixture
def tokens(hall: tuple[str, factories.BasicHall]) -> factories.BasicHall:
    return hall[1]


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))


def load_demo_catalogue(database_url: str, *, disclosures: bool = False) -> None:
    """The demo's 办事指南 items (and 政务公开 documents) in the test hall's database, as `hallq demo` loads them."""
    store = make_store(database_url)
    try:
        with store.transaction() as s:
            index.import_guides(s, guides.guides())
            if disclosures:
                index.import_disclosures(s, guides.disclosures())
    finally:
        store.dispose()


@dataclass(frozen=True)
class FullHall:
    """The demo hall cxz at its real size (24 windows, 30 services) on a live server."""

    server: Server
    creds: DemoCredentials
    services: tuple[str, ...]
    zones: dict[int, str]  # window number -> zone
    serving: dict[int, int] = field(default_factory=dict)  # window number -> id of the ticket it called

    def issue(self, service: str, n: int) -> dict[str, object]:
        # Four services limit tickets per person: each ticket has its own (made-up) mobile number.
        return self.server.post("/api/v1/halls/cxz/tickets", self.creds.kiosk_token,
                                {"service": service, "phone": f"139{n:08d}"}).json()  # type: ignore[no-any-return]

    def call(self, window: int) -> dict[str, Any]:
        """Finish the window's ticket, if any, and call its next (as its clerk would with F1)."""
        # The hall manager may act at any window (the demo has no staff token per window).
        if window in self.serving:
            self.server.finish(self.creds.manager_token, self.serving.pop(window))
        resp = self.server.post(f"/api/v1/halls/cxz/windows/{window}/call-next", self.creds.manager_token)
        ticket: dict[str, Any] = resp.json()["ticket"]
        self.serving[window] = int(ticket["id"])
        return ticket


def start_full_hall(sqlite_template: Path, folder: Path, env: dict[str, str] | None = None) -> FullHall:
    """`hallq demo`'s hall cxz in a fresh database, served; every service has people waiting."""
    path = folder / "hallq.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    store = make_store(url)
    with store.transaction() as s:
        creds = load_demo(s, SystemClock().now())
    store.dispose()
    assert creds is not None
    server = make_server(url, folder / "instance", env=env).start()
    hall = FullHall(server=server, creds=creds, services=tuple(code for code, *_ in SERVICES),
                    zones={number: zone for number, _, zone, _ in WINDOWS})
    for n, service in enumerate(hall.services * 3):
        hall.issue(service, n)
    return hall
