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


def test_attention_leads_with_long_waits_then_paused_windows_then_printers(
    store: Store, runtime: Runtime, clock: FrozenClock
) -> None:
    from queue_server.storage.models import Device

    _hall(store)
    with store.transaction() as s:
        hall = snapshots.hall_by_code(s, "t1")
        s.add(Device(hall_id=hall.id, kind="kiosk", name="一楼取号机1", printer={"paper_mm": 80}))
    desk = Desk(runtime)
    with store.read_session() as s:
        kiosk_id = monitor.kiosks(s, snapshots.hall_by_code(s, "t1"))[0]["id"]
    desk.do(engine.report_printer_state, device_id=kiosk_id, state="paper_out")
    desk.issue("a")
    desk.do(engine.pause_window, window_number=1, reason="会议")
    clock.advance(minutes=10)
    calm = _monitor(store, clock)["attention"]
    clock.advance(minutes=25)  # the ticket has waited 35 min (limit 30), window 1 paused 35 min (limit 20)

    view = _monitor(store, clock)

    assert [a["kind"] for a in calm] == ["printer_trouble"]
    assert [a["kind"] for a in view["attention"]] == ["ticket_wait_long", "window_paused_long", "printer_trouble"]
    paused = view["attention"][1]["data"]
    assert paused["window_label"] == "1号 1号窗口" and paused["minutes"] == 35
    assert view["windows"][0]["label"] == "1号 1号窗口"


def test_the_prefecture_counts_only_staffed_windows_of_open_halls(
    store: Store, runtime: Runtime, clock: FrozenClock
) -> None:
    _hall(store)  # t1 open all day: window 1 has its clerk, window 2 nobody
    with store.transaction() as s:
        county = factories.hall(s, "t2", hours=factories.OFFICE_HOURS)
        b = factories.service(s, county, "b", "B")
        clerk = factories.staff(s, county, "c1")
        factories.window(s, county, 1, [b], staff_id=clerk.id)  # left signed in overnight
        factories.window(s, county, 2, [b])
    clock.advance(hours=10)  # 19:00 Monday: the county hall (09:00-17:00) is closed

    with store.read_session() as s:
        halls = [snapshots.hall_by_code(s, "t1"), snapshots.hall_by_code(s, "t2")]
        lines = {h["hall"]: h for h in monitor.prefecture(s, halls, clock.now())}

    assert (lines["t1"]["open"], lines["t1"]["open_windows"]) == (True, 1)
    assert (lines["t2"]["open"], lines["t2"]["open_windows"]) == (False, 0)
    assert lines["t2"]["hours_today"] == "09:00-12:00, 13:00-17:00"
