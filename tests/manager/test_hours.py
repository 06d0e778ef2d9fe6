"""Opening hours and the holiday calendar from the manager console: they apply to issuing at once, are checked
with a Chinese message, audited and announced. The test clock starts Monday 2026-03-02 09:00 in Chuxiong."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.conftest import Recorder
from tests.factories import basic_hall
from tests.factories import bearer


def _issue(client: Any, kiosk: str) -> Any:
    return client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(kiosk))


def test_afternoon_only_hours_close_issuing_this_morning_at_once(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    resp = client.put("/api/v1/halls/t1/hours", json={"opening_hours": {"1": [["13:00", "17:00"]]}},
                      headers=bearer(hall.manager))

    assert resp.status_code == 200 and resp.get_json()["opening_hours"]["1"] == [["13:00", "17:00"]]
    assert resp.get_json()["opening_hours"]["7"] == []
    assert _issue(client, hall.kiosk).get_json()["code"] == "hall_closed"
    assert published.types()[-1] == "hall.updated"


def test_overlapping_or_reversed_hours_are_refused_in_chinese(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)

    reversed_ = client.put("/api/v1/halls/t1/hours", json={"opening_hours": {"2": [["12:00", "08:30"]]}},
                           headers=bearer(hall.manager))
    overlap = client.put("/api/v1/halls/t1/hours", json={"opening_hours": {
        "3": [["08:30", "12:00"], ["11:00", "17:00"]]}}, headers=bearer(hall.manager))

    assert reversed_.status_code == 422 and reversed_.get_json()["title"] == "办理时间格式不正确"
    assert "星期 2" in reversed_.get_json()["detail"]
    assert overlap.status_code == 422 and "星期 3" in overlap.get_json()["detail"]
    assert _issue(client, hall.kiosk).status_code == 201  # the old hours still hold


def test_a_holiday_today_closes_issuing_until_cleared_and_both_are_audited(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    closed = client.post("/api/v1/halls/t1/calendar-days", json={"day": "2026-03-02", "kind": "holiday",
                                                                 "name": "临时闭厅"}, headers=bearer(hall.manager))
    refused = _issue(client, hall.kiosk)
    listed = client.get("/api/v1/halls/t1/hours", headers=bearer(hall.manager)).get_json()["calendar"]
    client.post("/api/v1/halls/t1/calendar-days", json={"day": "2026-03-02", "kind": None},
                headers=bearer(hall.manager))
    reopened = _issue(client, hall.kiosk)

    assert closed.status_code == 200 and refused.get_json()["code"] == "hall_closed"
    assert listed == [{"day": "2026-03-02", "kind": "holiday", "name": "临时闭厅"}]
    assert reopened.status_code == 201
    with store.read_session() as s:
        audit = [(a.action, a.data["after"]["kind"]) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert audit == [("hall.set_calendar_day", "holiday"), ("hall.set_calendar_day", None)]
