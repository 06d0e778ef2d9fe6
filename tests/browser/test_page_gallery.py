"""Every page of the product on the demo hall (24 windows, 30 services, people waiting) at each of the hall's
screen sizes — 1366×768, 1920×1080, 1080×1920 and 3840×2160: it loads without a script error or a refusal of the
security policy, nothing on it is wider than the screen (no sideways scrolling on a touch screen or a wall
display), its main content is in view, and a picture of it goes to docs/screenshots/gallery/ for people to look at.

The detailed behaviour of each page is tested beside it (test_kiosk_touch, test_display_scale, test_staff_console_hall,
test_manager_overview, test_booking_pages...); this is the one place that walks all of them at every size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.demo.halls import DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS
from tests.browser.conftest import FullHall
from tests.browser.conftest import start_full_hall
from tests.device_pairing import pair_display
from tests.device_pairing import pair_kiosk

SIZES = [(1366, 768), (1920, 1080), (1080, 1920), (3840, 2160)]
GALLERY = SCREENSHOTS / "gallery"
TIMEOUT_MS = 15_000
# Wider than the screen by more than this is a page a person must scroll sideways (a scrollbar's rounding aside).
SLACK_PX = 1
WIDEST = """() => Math.max(document.documentElement.scrollWidth, document.body ? document.body.scrollWidth : 0)"""
# What sticks out on the right: the innermost elements past the screen's edge, named so the report says what to fix.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1
          && ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '')
                   + ' ' + Math.round(e.getBoundingClientRect().right))"""

# page name -> (who opens it, path, an element that is its main content)
PAGES: dict[str, tuple[str, str, str]] = {
    "kiosk-home": ("kiosk", "/kiosk/cxz/", "main"),
    "kiosk-take": ("kiosk", "/kiosk/cxz/take", "main"),
    "kiosk-service": ("kiosk", "/kiosk/cxz/service/bdczy", "main"),
    "kiosk-guides": ("kiosk", "/kiosk/cxz/guides", "main"),
    "kiosk-disclosures": ("kiosk", "/kiosk/cxz/disclosures", "main"),
    "kiosk-guide": ("kiosk", "/kiosk/cxz/guides/530000-bdczy", "main"),
    "kiosk-disclosure": ("kiosk", "/kiosk/cxz/disclosures/1", "main"),
    "kiosk-checkin": ("kiosk", "/kiosk/cxz/checkin", "main"),
    "wall-display": ("display", "/display/cxz", "body"),
    "window-screen": ("display", "/display/cxz/window/3", "body"),
    "phone-ticket": ("citizen", "/t/{track}", "main"),
    "phone-booking": ("citizen", "/book/cxz", "main"),
    "phone-take": ("citizen", "/take/cxz", "main"),
    "staff-login": ("citizen", "/staff/login?hall=cxz", "form"),
    "staff-console": ("clerk", "/staff", "body"),
    "manager-monitor": ("manager", "/manager/cxz", "main"),
    "manager-settings": ("manager", "/manager/cxz/settings", "main"),
    "manager-cases": ("manager", "/manager/cxz/cases", "main"),
    "manager-reports": ("manager", "/manager/cxz/reports", "section.controls"),
    "manager-audit": ("manager", "/manager/cxz/audit", "main"),
    "manager-entrance": ("manager", "/manager/cxz/entrance", "main"),
}


@pytest.fixture(scope="module")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FullHall]:
    hall = start_full_hall(sqlite_template, tmp_path_factory.mktemp("gallery"))
    yield hall
    hall.server.stop()


@pytest.fixture(scope="module")
def track(demo: FullHall) -> str:
    issued = demo.issue("qysl", 9999)
    return str(issued["track_token"])


def _open_as(browser: Any, demo: FullHall, who: str, size: tuple[int, int]) -> Any:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A style="" attribute or inline script the policy refuses leaves the page unstyled or dead: Chromium says so
    # on the console (docs/security.md).
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.js_errors = errors
    base = demo.server.url
    if who == "kiosk":
        pair_kiosk(page, "cxz", demo.creds.kiosk_token)
    elif who == "display":
        pair_display(page, "cxz", demo.creds.display_token)
    elif who == "manager":
        page.goto(f"{base}/manager/login")
        page.fill("#user_no", "cxmgr")
        page.fill("#password", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/manager/cxz")
    elif who == "clerk":
        page.goto(f"{base}/staff/login?hall=cxz")
        page.fill("#user_no", "cx1005")
        page.fill("#password", DEMO_PASSWORD)
        page.check('.window-choice[data-window="5"] input')
        page.click("form button[type=submit]")
        page.locator("body[data-ready]").wait_for()
    return page


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_page_fits_its_screen_at_every_size(browser: Any, demo: FullHall, track: str,
                                                  size: tuple[int, int]) -> None:
    GALLERY.mkdir(parents=True, exist_ok=True)
    too_wide, unseen, broken = {}, [], {}
    pages: dict[str, Any] = {}
    try:
        for name, (who, path, main) in PAGES.items():
            if who not in pages:
                pages[who] = _open_as(browser, demo, who, size)
            page = pages[who]
            response = page.goto(demo.server.url + path.format(track=track))
            assert response is not None and response.ok, f"{name}: {response.status if response else 'no answer'}"
            page.wait_for_load_state("load")
            page.locator(main).first.wait_for()
            widest = page.evaluate(WIDEST)
            if widest > size[0] + SLACK_PX:
                too_wide[name] = (widest, page.evaluate(STICKING_OUT))
            if not page.locator(main).first.is_visible():
                unseen.append(name)
            if page.js_errors:
                broken[name] = list(page.js_errors)
                page.js_errors.clear()
            page.screenshot(path=str(GALLERY / f"{name}-{size[0]}x{size[1]}.jpg"), type="jpeg", quality=55)
    finally:
        for page in pages.values():
            page.context.close()

    assert too_wide == {}, f"wider than the {size[0]} px screen: {too_wide}"
    assert unseen == [] and broken == {}, (unseen, broken)

