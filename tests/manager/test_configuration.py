"""Hall configuration through /api/v1: each change validated with a Chinese message naming the setting, written
to the audit log with before and after, and announced as an event; refused changes write nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.api.footprint import footprint
from tests.conftest import Recorder
from tests.factories import basic_hall
from tests.factories import bearer


def _audit(store: Store) -> list[tuple[str, str, str, dict[str, Any]]]:
    with store.read_session() as s:
        return [(a.actor, a.action, a.target, a.data) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_closing_a_service_for_the_day_stops_issuing_is_audited_and_announced(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    resp = client.patch("/api/v1/halls/t1/services/a", json={"active": False}, headers=bearer(hall.manager))
    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert issued.status_code == 409 and issued.get_json()["code"] == "service_closed"
    assert published.envelopes[-1].type == "service.updated"
    assert published.envelopes[-1].data["service"]["active"] is False
    ((actor, action, target, data),) = _audit(store)
    assert (actor, action, target) == ("m1", "service.update", "service:a")
    assert data["before"]["active"] is True and data["after"]["active"] is False


def test_a_warning_threshold_out_of_range_is_refused_in_chinese_and_writes_nothing(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    before = footprint(store)

    resp = client.patch("/api/v1/halls/t1/services/a", json={"warning_threshold": 0}, headers=bearer(hall.manager))

    body = resp.get_json()
    assert resp.status_code == 422 and body["code"] == "setting_out_of_range"
    assert body["detail"] == "等候人数预警值须为 1 到 999 之间的整数。"
    assert footprint(store) == before and _audit(store) == []


def test_a_daily_cap_below_todays_tickets_is_refused(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    for _ in range(3):
        client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    resp = client.patch("/api/v1/halls/t1/services/a", json={"daily_cap": 2}, headers=bearer(hall.manager))

    assert resp.status_code == 409 and resp.get_json()["detail"] == "今日已取号 3 张，单日排队上限不能设为 2。"


def test_an_empty_service_name_is_refused(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)

    resp = client.patch("/api/v1/halls/t1/services/a", json={"name": "  "}, headers=bearer(hall.manager))

    assert resp.status_code == 422 and resp.get_json()["title"] == "请填写名称"


def test_moving_a_windows_services_changes_what_it_calls_and_is_audited(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)
    client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    resp = client.put("/api/v1/halls/t1/windows/2/services", json={"services": [{"service": "a"}, {"service": "b"}]},
                      headers=bearer(hall.manager))
    called = client.post("/api/v1/halls/t1/windows/2/call-next", headers=bearer(hall.staff2))

    assert resp.status_code == 200
    assert resp.get_json()["services"] == [{"service": "a", "weight": 1, "name": "事项a"},
                                           {"service": "b", "weight": 1, "name": "事项b"}]
    assert called.status_code == 200 and called.get_json()["ticket"]["number"] == "A001"
    window_events = [e for e in published.envelopes if e.type == "window.updated"]
    assert window_events[0].data["window"]["services"] == ["a", "b"]
    ((_, action, target, data),) = _audit(store)
    assert (action, target) == ("window.set_services", "window:2")
    assert data["before"] == [{"service": "b", "weight": 1}]


def test_a_window_without_services_or_with_an_unknown_one_is_refused(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    empty = client.put("/api/v1/halls/t1/windows/2/services", json={"services": []}, headers=bearer(hall.manager))
    unknown = client.put("/api/v1/halls/t1/windows/2/services", json={"services": [{"service": "zz"}]},
                         headers=bearer(hall.manager))

    assert empty.status_code == 422 and empty.get_json()["detail"] == "每个窗口至少要办理一个事项。"
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "service_not_found"
    assert _audit(store) == []


def test_alert_limits_are_checked_and_the_english_message_is_available(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    resp = client.put("/api/v1/halls/t1/alert-limits", json={"limits": {"pause_min": 9999}},
                      headers={**bearer(hall.manager), "Accept-Language": "en"})

    assert resp.status_code == 422
    assert resp.get_json()["detail"] == "Alert limit pause_min must be a whole number from 1 to 480."


def test_a_service_closed_for_today_refuses_tickets_and_reopens_by_itself_tomorrow(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    closed = client.post("/api/v1/halls/t1/services/a/close-for-today", headers=bearer(hall.manager))
    today = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))
    listed = client.get("/api/v1/halls/t1/services").get_json()
    clock.advance(days=1)
    tomorrow = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    assert closed.status_code == 200 and closed.get_json()["closed_on"] == "2026-03-02"
    assert today.status_code == 409 and today.get_json()["code"] == "service_closed"
    assert {s["code"]: s["active"] for s in listed} == {"a": False, "b": True}
    assert tomorrow.status_code == 201
    assert [a for _, a, _, _ in _audit(store)] == ["service.close_today"]
    assert "service.updated" in published.types()


def test_a_service_closed_for_today_can_be_reopened_now(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    client.post("/api/v1/halls/t1/services/a/close-for-today", headers=bearer(hall.manager))

    reopened = client.post("/api/v1/halls/t1/services/a/reopen", headers=bearer(hall.manager))
    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    assert reopened.get_json()["closed_on"] is None and issued.status_code == 201
