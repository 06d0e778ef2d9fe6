"""Live == reloaded: a wall display fed events shows the same board as one freshly loaded from the snapshot."""

from __future__ import annotations

from typing import Any

from tests.browser.test_display_pages import open_wall
from tests.factories import BasicHall
from tests.realtime.server import Server

# textContent, not innerText: a newly called number is hidden every other half second while it flashes.
BOARD = ("() => ['#latest', '#recent', '#windows', '#services', '#notices']"
         ".map(s => document.querySelector(s).textContent)")


def test_a_display_fed_events_matches_the_same_display_reloaded(browser: Any, server: Server,
                                                                  tokens: BasicHall) -> None:
    live_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    fresh_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        live = live_ctx.new_page()
        open_wall(live, server, tokens)

        for service in ("a", "a", "b", "b", "a"):
            server.issue("t1", tokens.kiosk, service)
        first = server.call_next("t1", tokens.staff1, window=1)
        server.call_next("t1", tokens.staff2, window=2)
        server.finish(tokens.staff1, first["id"])
        server.call_next("t1", tokens.staff1, window=1)
        server.post("/api/v1/halls/t1/notices", tokens.manager, {"notices": ["今日 16:30 停止取号"]})
        server.post("/api/v1/halls/t1/windows/3/pause", tokens.manager, {"reason": "午休"})
        live.wait_for_function("() => document.querySelector('.window-card[data-window=\"3\"] .w-current')"
                               "?.textContent === '暂停服务'", timeout=5000)

        fresh = fresh_ctx.new_page()
        open_wall(fresh, server, tokens)

        assert live.evaluate(BOARD) == fresh.evaluate(BOARD)
        assert "A002" in live.locator("#latest").text_content()  # textContent: the number may be mid-flash
        assert live.locator("#notices").text_content() == "今日 16:30 停止取号"
    finally:
        live_ctx.close()
        fresh_ctx.close()
