"""Hall set-up from the settings page: the announcement template and repeats, the time zone and priority ratio,
departments and priority categories. Each change is checked with a Chinese message, audited with before and
after, and announced as hall.updated; a refused change writes nothing."""

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


def test_a_new_announcement_template_shows_how_the_next_call_will_sound_and_is_audited(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    resp = client.put("/api/v1/halls/t1/voice", json={"template": "{ticket}号请到{window}号窗口", "repeats": 3},
                      headers=bearer(hall.manager))

    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["template"], body["repeats"]) == ("{ticket}号请到{window}号窗口", 3)
    assert body["example"] == {"text": "A001 号请到 3 号窗口", "speech": "A 零零一 号请到 三 号窗口"}
    assert published.envelopes[-1].type == "hall.updated"
    assert published.envelopes[-1].data["announcement"]["template"] == "{ticket}号请到{window}号窗口"
    ((actor, action, target, data),) = _audit(store)
    assert (actor, action, target) == ("m1", "hall.set_voice", "t1")
    assert data == {"before": {"template": None, "repeats": None},
                    "after": {"template": "{ticket}号请到{window}号窗口", "repeats": 3}}


def test_without_its_own_template_the_hall_uses_the_servers_default(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    client.put("/api/v1/halls/t1/voice", json={"template": "{ticket}号请到{window}号窗口", "repeats": 1},
               headers=bearer(hall.manager))

    reset = client.put("/api/v1/halls/t1/voice", json={"template": None, "repeats": None},
                       headers=bearer(hall.manager)).get_json()

    assert (reset["template"], reset["repeats"]) == (None, None)
    assert reset["default_template"] == "请{ticket}号到{window}号窗口办理" and reset["default_repeats"] == 2
    assert reset["example"]["text"] == "请 A001 号到 3 号窗口办理"


def test_a_template_without_the_window_or_with_a_stray_placeholder_is_refused_in_chinese(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    before = footprint(store)

    answers = [client.put("/api/v1/halls/t1/voice", json={"template": template, "repeats": 2},
                          headers=bearer(hall.manager)).get_json()
               for template in ("请{ticket}号办理", "请{ticket}号到{window}号窗口找{name}", "请{ticket号到{window}",
                                "请{ticket}{ticket}到{window}号窗口")]

    assert {a["code"] for a in answers} == {"bad_voice_template"}
    assert answers[0]["title"] == "播报模板不正确"
    assert answers[0]["detail"] == ("播报模板须各含一次 {ticket}（票号）和 {window}（窗口号），不能有其他花括号，"
                                    "最多 64 个字符。")
    assert footprint(store) == before and _audit(store) == []


def test_more_than_three_repeats_is_refused_with_the_range_in_english_too(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    resp = client.put("/api/v1/halls/t1/voice", json={"template": None, "repeats": 5},
                      headers={**bearer(hall.manager), "Accept-Language": "en"})

    assert resp.status_code == 422 and resp.get_json()["code"] == "setting_out_of_range"
    assert resp.get_json()["detail"] == "播报次数 must be a whole number from 1 to 3."


def test_the_priority_ratio_changes_how_often_a_window_calls_a_priority_ticket(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)
    for priority in (None, None, "laonian"):
        client.post("/api/v1/halls/t1/tickets", json={"service": "a", "priority": priority},
                    headers=bearer(hall.kiosk))

    resp = client.patch("/api/v1/halls/t1/settings", json={"priority_ratio": 1}, headers=bearer(hall.manager))
    first = client.post("/api/v1/halls/t1/windows/1/call-next", headers=bearer(hall.staff1)).get_json()
    client.post(f"/api/v1/tickets/{first['ticket']['id']}/finish", json={"outcome": "done"},
                headers=bearer(hall.staff1))
    second = client.post("/api/v1/halls/t1/windows/1/call-next", headers=bearer(hall.staff1)).get_json()

    assert resp.status_code == 200 and resp.get_json()["priority_ratio"] == 1
    # The priority ticket came third; with one normal call per priority call it is served second.
    assert [first["ticket"]["number"], second["ticket"]["number"]] == ["A001", "A003"]
    assert "hall.updated" in published.types()
    assert [(a, d["after"]["priority_ratio"]) for _, a, _, d in _audit(store)] == [("hall.update", 1)]


def test_an_unknown_time_zone_or_a_ratio_of_zero_is_refused(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)

    zone = client.patch("/api/v1/halls/t1/settings", json={"timezone": "Asia/Chuxiong"}, headers=bearer(hall.manager))
    ratio = client.patch("/api/v1/halls/t1/settings", json={"priority_ratio": 0}, headers=bearer(hall.manager))

    assert zone.status_code == 422
    assert zone.get_json()["detail"] == "Asia/Chuxiong 不是有效的时区（例如 Asia/Shanghai）。"
    assert ratio.status_code == 422 and ratio.get_json()["code"] == "setting_out_of_range"
    assert client.get("/api/v1/halls/t1/settings", headers=bearer(hall.manager)).get_json()["timezone"] == (
        "Asia/Shanghai")


def test_a_department_is_added_renamed_and_taken_out_of_use_with_each_step_audited(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    hall = basic_hall(store, clock)

    created = client.post("/api/v1/halls/t1/departments", json={"code": "bdc", "name": "不动产登记中心"},
                          headers=bearer(hall.manager))
    renamed = client.patch("/api/v1/halls/t1/departments/bdc", json={"name": "州不动产登记中心"},
                           headers=bearer(hall.manager))
    retired = client.patch("/api/v1/halls/t1/departments/bdc", json={"active": False}, headers=bearer(hall.manager))
    listed = client.get("/api/v1/halls/t1/departments", headers=bearer(hall.manager)).get_json()

    assert created.status_code == 201 and renamed.status_code == 200 and retired.status_code == 200
    assert listed == {"departments": [{"code": "bdc", "name": "州不动产登记中心", "active": False}]}
    assert published.types()[-3:] == ["hall.updated"] * 3
    assert published.envelopes[-1].data["department"] == {"code": "bdc", "name": "州不动产登记中心", "active": False}
    assert [(a, t) for _, a, t, _ in _audit(store)] == [("department.create", "department:bdc"),
                                                        ("department.update", "department:bdc"),
                                                        ("department.update", "department:bdc")]


def test_a_department_code_is_checked_and_unique(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    client.post("/api/v1/halls/t1/departments", json={"code": "bdc", "name": "不动产"}, headers=bearer(hall.manager))

    bad = client.post("/api/v1/halls/t1/departments", json={"code": "不动产", "name": "不动产"},
                      headers=bearer(hall.manager))
    twice = client.post("/api/v1/halls/t1/departments", json={"code": "bdc", "name": "又一个"},
                        headers=bearer(hall.manager))
    unnamed = client.patch("/api/v1/halls/t1/departments/bdc", json={"name": " "}, headers=bearer(hall.manager))
    missing = client.patch("/api/v1/halls/t1/departments/zz", json={"active": False}, headers=bearer(hall.manager))

    assert bad.status_code == 422 and bad.get_json()["title"] == "编码格式不正确"
    assert twice.status_code == 409 and twice.get_json()["detail"] == "编码 bdc 已被使用。"
    assert unnamed.status_code == 422 and unnamed.get_json()["code"] == "name_required"
    assert missing.status_code == 404 and missing.get_json()["code"] == "department_not_found"


def test_a_heavier_priority_category_is_called_before_a_lighter_one(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    created = client.post("/api/v1/halls/t1/priorities", json={"code": "junren", "name": "军人依法优先", "weight": 5},
                          headers=bearer(hall.manager))
    client.post("/api/v1/halls/t1/tickets", json={"service": "a", "priority": "laonian"}, headers=bearer(hall.kiosk))
    client.post("/api/v1/halls/t1/tickets", json={"service": "a", "priority": "junren"}, headers=bearer(hall.kiosk))

    called = client.post("/api/v1/halls/t1/windows/1/call-next", headers=bearer(hall.staff1)).get_json()

    assert created.status_code == 201 and created.get_json() == {"code": "junren", "name": "军人依法优先", "weight": 5}
    assert called["ticket"]["number"] == "A002"
    listed = client.get("/api/v1/halls/t1/priorities", headers=bearer(hall.manager)).get_json()["priorities"]
    assert [p["code"] for p in listed] == ["junren", "laonian"]


def test_a_priority_weight_out_of_range_is_refused_and_a_valid_one_is_audited(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)

    refused = client.patch("/api/v1/halls/t1/priorities/laonian", json={"weight": 0}, headers=bearer(hall.manager))
    changed = client.patch("/api/v1/halls/t1/priorities/laonian", json={"weight": 7, "name": "老年人"},
                           headers=bearer(hall.manager))

    assert refused.status_code == 422 and refused.get_json()["detail"] == "优先级权重须为 1 到 9 之间的整数。"
    assert changed.get_json() == {"code": "laonian", "name": "老年人", "weight": 7}
    ((_, action, _, data),) = _audit(store)
    assert action == "priority.update" and (data["before"]["weight"], data["after"]["weight"]) == (3, 7)
