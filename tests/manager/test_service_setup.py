"""Services and windows set up from the settings page: a new service with every field of the core is issued
from at once, every field can be changed with a Chinese refusal naming it, and new or renamed windows are
announced. Everything is audited; a refused change writes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.catalogue import index
from queue_server.clock import FrozenClock
from queue_server.demo import guides
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.api.footprint import footprint
from tests.conftest import Recorder
from tests.factories import basic_hall
from tests.factories import bearer

NEW_SERVICE = {
    "code": "bdc", "name": "不动产登记", "prefix": "D", "number_start": 101, "number_end": 199, "number_wrap": True,
    "daily_cap": 80, "slot_quotas": [{"start": "08:30", "end": "12:00", "limit": 40}],
    "opening_hours": None, "stop_issue_before_close_min": 15, "warning_threshold": 12, "standard_duration_s": 900,
    "green_channel": False, "person_limit": 2, "department": "bdczx",
}


def _audit(store: Store) -> list[tuple[str, str]]:
    with store.read_session() as s:
        return [(a.action, a.target) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _department(client: Any, manager: str) -> None:
    client.post("/api/v1/halls/t1/departments", json={"code": "bdczx", "name": "不动产登记中心"},
                headers=bearer(manager))


def test_a_new_service_with_every_field_is_issued_from_at_once_and_announced(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)
    _department(client, hall.manager)

    created = client.post("/api/v1/halls/t1/services", json=NEW_SERVICE, headers=bearer(hall.manager))
    ticket = client.post("/api/v1/halls/t1/tickets", json={"service": "bdc", "phone": "13800001234"},
                         headers=bearer(hall.kiosk))

    body = created.get_json()
    assert created.status_code == 201
    assert {k: body[k] for k in NEW_SERVICE} == {**NEW_SERVICE, "opening_hours": None}
    assert body["active"] is True and body["guide_code"] is None
    assert ticket.status_code == 201 and ticket.get_json()["number"] == "D101"
    service_events = [e for e in published.envelopes if e.type == "service.updated"]
    assert service_events[0].data["service"]["code"] == "bdc"
    assert ("service.create", "service:bdc") in _audit(store)
    listed = client.get("/api/v1/halls/t1/service-settings", headers=bearer(hall.manager)).get_json()["services"]
    assert [s["code"] for s in listed] == ["a", "b", "bdc"]


def test_a_new_service_needs_a_free_code_and_prefix_and_a_sane_range(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    before = footprint(store)

    def create(**fields: Any) -> dict[str, Any]:
        answer = client.post("/api/v1/halls/t1/services", json={"code": "new", "name": "新事项", "prefix": "N",
                                                                 **fields}, headers=bearer(hall.manager))
        return {"status": answer.status_code, **answer.get_json()}

    taken_code = create(code="a")
    taken_prefix = create(prefix="A")
    bad_prefix = create(prefix="n1")
    no_prefix = create(prefix=None)
    bad_range = create(number_start=500, number_end=100)
    no_name = create(name=" ")
    inactive_department = create(department="zz")

    assert (taken_code["status"], taken_code["code"]) == (409, "code_taken")
    assert taken_prefix["detail"] == "前缀 A 已被“事项a”使用，两个事项会打出相同的号码。"
    assert bad_prefix["title"] == "号票前缀不正确" and no_prefix["code"] == "bad_prefix"
    assert bad_range["detail"] == "号段起始号须不小于 0，结束号须大于起始号且不超过 9999。"
    assert no_name["code"] == "name_required"
    assert (inactive_department["status"], inactive_department["code"]) == (404, "department_not_found")
    assert footprint(store) == before


def test_time_slot_quotas_set_on_a_service_limit_issuing_in_that_slot(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)  # the clock stands at 09:00 local

    resp = client.patch("/api/v1/halls/t1/services/a", json={"slot_quotas": [
        {"start": "08:30", "end": "10:00", "limit": 1}]}, headers=bearer(hall.manager))
    first = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))
    second = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    assert resp.status_code == 200 and resp.get_json()["slot_quotas"] == [
        {"start": "08:30", "end": "10:00", "limit": 1}]
    assert first.status_code == 201
    assert second.status_code == 409 and second.get_json()["code"] == "slot_quota_reached"


def test_overlapping_slots_or_bad_own_hours_are_refused_in_chinese(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    slots = client.patch("/api/v1/halls/t1/services/a", json={"slot_quotas": [
        {"start": "08:30", "end": "10:00", "limit": 5}, {"start": "09:30", "end": "11:00", "limit": 5}]},
        headers=bearer(hall.manager))
    hours = client.patch("/api/v1/halls/t1/services/a", json={"opening_hours": {"2": [["12:00", "09:00"]]}},
                         headers=bearer(hall.manager))

    assert slots.status_code == 422 and slots.get_json()["title"] == "分时段限额不正确"
    assert hours.status_code == 422 and "星期 2" in hours.get_json()["detail"]
    assert _audit(store) == []


def test_a_services_own_hours_close_it_while_the_hall_stays_open(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)  # Monday 09:00

    resp = client.patch("/api/v1/halls/t1/services/a", json={"opening_hours": {"1": [["14:00", "17:00"]]},
                                                             "green_channel": True}, headers=bearer(hall.manager))
    a = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))
    b = client.post("/api/v1/halls/t1/tickets", json={"service": "b"}, headers=bearer(hall.kiosk))

    assert resp.get_json()["opening_hours"]["1"] == [["14:00", "17:00"]] and resp.get_json()["green_channel"]
    assert a.status_code == 409 and a.get_json()["code"] == "service_closed"
    assert b.status_code == 201


def test_a_service_is_linked_to_an_existing_guide_and_a_department(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)
    with store.transaction() as s:
        index.import_guides(s, guides.guides()[:1])
        guide = guides.guides()[0]["code"]
    _department(client, hall.manager)

    missing = client.patch("/api/v1/halls/t1/services/a", json={"guide_code": "no-such-guide"},
                           headers=bearer(hall.manager))
    linked = client.patch("/api/v1/halls/t1/services/a", json={"guide_code": guide, "department": "bdczx"},
                          headers=bearer(hall.manager))
    client.patch("/api/v1/halls/t1/departments/bdczx", json={"active": False}, headers=bearer(hall.manager))
    refused = client.patch("/api/v1/halls/t1/services/b", json={"department": "bdczx"}, headers=bearer(hall.manager))

    assert missing.status_code == 404 and missing.get_json()["code"] == "guide_not_found"
    assert (linked.get_json()["guide_code"], linked.get_json()["department"]) == (guide, "bdczx")
    assert published.envelopes[-2].data["service"]["department"] == "bdczx"
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == "部门 不动产登记中心 已停用，请选择启用中的部门。"


def test_a_new_window_is_closed_until_a_clerk_signs_in_and_is_announced(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    created = client.post("/api/v1/halls/t1/windows", json={"number": 12, "name": "不动产综合窗口", "zone": "二楼",
                                                            "services": [{"service": "a"}, {"service": "b"}]},
                          headers=bearer(hall.manager))
    twice = client.post("/api/v1/halls/t1/windows", json={"number": 12, "name": "又一个", "services": [
        {"service": "a"}]}, headers=bearer(hall.manager))
    listed = {w["number"]: w for w in client.get("/api/v1/halls/t1/windows", headers=bearer(hall.manager)).get_json()}

    assert created.status_code == 201
    assert created.get_json() == {"number": 12, "name": "不动产综合窗口", "zone": "二楼", "services": ["a", "b"]}
    assert twice.status_code == 409 and twice.get_json()["detail"] == "窗口 12 已存在。"
    assert (listed[12]["state"], listed[12]["zone"]) == ("closed", "二楼")
    assert published.envelopes[-1].type == "window.updated"
    assert published.envelopes[-1].data["window"]["number"] == 12
    assert ("window.create", "window:12") in _audit(store)


def test_a_window_is_renamed_and_moved_to_another_zone(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    resp = client.patch("/api/v1/halls/t1/windows/2", json={"name": "社保窗口", "zone": "一楼东"},
                        headers=bearer(hall.manager))
    empty = client.patch("/api/v1/halls/t1/windows/2", json={"name": ""}, headers=bearer(hall.manager))

    assert resp.get_json() == {"number": 2, "name": "社保窗口", "zone": "一楼东", "services": ["b"]}
    assert published.envelopes[-1].data["window"]["name"] == "社保窗口"
    assert empty.status_code == 422 and empty.get_json()["code"] == "name_required"
    with store.read_session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "window.update")).one()
    assert entry.data["before"]["name"] == "2号窗口" and entry.data["after"]["zone"] == "一楼东"
