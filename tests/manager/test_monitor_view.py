"""The monitor's read model on a FrozenClock: per-service figures, window activity and the quarter-hour chart
are what a manager watching the hall would count by hand."""

from __future__ import annotations

from typing import Any

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.queries import monitor
from queue_server.queries import snapshots
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.engine.desk import Desk


def _monitor(store: Store, clock: FrozenClock) -> dict[str, Any]:
    with store.read_session() as s:
        return monitor.monitor(s, snapshots.hall_by_code(s, "t1"), clock.now())


def _hall(store: Store) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        clerk = factories.staff(s, h, "u1")
        factories.window(s, h, 1, [a], staff_id=clerk.id)
        factories.window(s, h, 2, [a])


def test_the_chart_counts_arrivals_and_waiting_per_quarter_hour(
    store: Store, runtime: Runtime, clock: FrozenClock
) -> None:
    _hall(store)
    desk = Desk(runtime)  # the clock starts at 09:00 in Chuxiong
    desk.issue("a")
    clock.advance(minutes=5)
    desk.issue("a")
    clock.advance(minutes=15)  # 09:20
    desk.call(1)
    clock.advance(minutes=15)  # 09:35
    desk.issue("a")
    clock.advance(minutes=5)  # 09:40

    chart = _monitor(store, clock)["chart"]

    assert chart == [{"at": "09:00", "arrivals": 2, "waiting": 2}, {"at": "09:15", "arrivals": 0, "waiting": 1},
                     {"at": "09:30", "arrivals": 1, "waiting": 2}]


def test_services_and_windows_show_what_is_happening_now(
    store: Store, runtime: Runtime, clock: FrozenClock
) -> None:
    _hall(store)
    desk = Desk(runtime)
    first = desk.issue("a")
    desk.issue("a")
    clock.advance(minutes=3)
    desk.call(1)
    desk.do(engine.start, ticket_id=first.id)
    clock.advance(minutes=2)
    desk.do(engine.pause_window, window_number=2, reason="会议")
    clock.advance(minutes=1)

    view = _monitor(store, clock)

    (service,) = view["services"]
    assert (service["waiting"], service["issued_today"], service["served_today"]) == (1, 2, 0)
    assert service["longest_wait_s"] == 6 * 60
    one, two = view["windows"]
    assert (one["activity"], one["current"]["number"], one["staff"], one["for_s"]) == ("serving", "A001", "u1", 180)
    assert (two["activity"], two["reason"], two["for_s"]) == ("paused", "会议", 60)


def test_each_kiosk_shows_its_printers_last_reported_state(
    store: Store, runtime: Runtime, clock: FrozenClock
) -> None:
    from queue_server.storage.models import Device

    _hall(store)
    with store.transaction() as s:
        hall = snapshots.hall_by_code(s, "t1")
        s.add_all([Device(hall_id=hall.id, kind="kiosk", name="一楼取号机1", printer={"paper_mm": 80}),
                   Device(hall_id=hall.id, kind="kiosk", name="二楼查询机", printer=None),
                   Device(hall_id=hall.id, kind="display", name="综合屏")])
    with store.read_session() as s:
        kiosk_id = next(k["id"] for k in monitor.kiosks(s, snapshots.hall_by_code(s, "t1")) if k["printer"])
    Desk(runtime).do(engine.report_printer_state, device_id=kiosk_id, state="paper_out")

    kiosks = _monitor(store, clock)["kiosks"]

    assert [(k["name"], k["printer"], k["printer_state"]) for k in kiosks] == [
        ("一楼取号机1", True, "paper_out"), ("二楼查询机", False, None)]
    assert kiosks[0]["last_seen_at"] == clock.now().isoformat()
