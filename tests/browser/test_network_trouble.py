"""The wall display through a server restart: offline badge, reconnect, catch-up without a page reload, and
only fresh replayed calls announced."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from queue_server import engine
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import make_store
from tests.browser.test_display_pages import open_wall
from tests.factories import BasicHall
from tests.realtime.server import Server


class ShiftedClock:
    """The wall clock moved by `offset`: events written now but stamped in the past."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def test_the_wall_display_goes_offline_and_catches_up_after_a_restart_without_reloading(
    page: Any, server: Server, tokens: BasicHall
) -> None:
    server.issue("t1", tokens.kiosk, "a")
    server.issue("t1", tokens.kiosk, "b")
    open_wall(page, server, tokens)
    page.evaluate("window.loadedOnce = true")

    server.stop()
    page.wait_for_selector("#offline", state="visible", timeout=15000)
    store = make_store(server.database_url)  # while the server is down, another process keeps calling
    Runtime(store, ShiftedClock(timedelta(minutes=-2))).execute(engine.call_next, hall="t1", window_number=1)
    Runtime(store, ShiftedClock(timedelta(0))).execute(engine.call_next, hall="t1", window_number=2)
    store.dispose()
    server.start()
    page.wait_for_function("() => document.querySelector('#latest .number')?.textContent === 'B001'", timeout=20000)
    page.wait_for_selector("#offline", state="hidden", timeout=5000)  # online again once the subscribe is acked
    announced = page.evaluate("window.hallqAnnouncer.items.concat(window.hallqAnnouncer.log).map(v => v.text)")

    assert page.evaluate("window.loadedOnce") is True  # caught up in place, no full-page reload
    assert page.locator("#recent .number").all_text_contents() == ["B001", "A001"]
    assert announced == ["请 B001 号到 2 号窗口办理"]  # the two-minute-old call is shown, not announced
    # The display's reconnect during the stop (long-polling on a kept-alive connection) was refused, not given a
    # session that held the stop until gunicorn killed the worker at its graceful timeout.
    assert "SIGKILL" not in server.log()
