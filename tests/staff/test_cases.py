"""差评 cases: assignment to the service's department, a deadline in working days that skips weekends and
holidays and counts 调休 days, the follow-up steps, appeals that exclude a malicious rating, overdue alerts."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import mint_token
from queue_server.clock import FrozenClock
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.factories import bearer
from tests.staff.rating_setup import RatingHall
from tests.staff.rating_setup import rate
from tests.staff.rating_setup import rating_hall
from tests.staff.rating_setup import serve_one


def mark_days(store: Store, **days: str) -> None:
    """mark_days(store, d2026_03_09="holiday") -> CalendarDay rows for hall t1."""
    with store.transaction() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert hall is not None
        for key, kind in days.items():
            y, m, d = (int(p) for p in key[1:].split("_"))
            s.add(CalendarDay(hall_id=hall.id, day=date(y, m, d), kind=kind))


def bad_rating(rh: RatingHall, client: Any) -> dict[str, Any]:
    serve_one(rh, client)
    resp = rate(client, rh.rater, 5, tags=["态度不好"], text="窗口人员态度冷淡")
    assert resp.status_code == 201
    case = client.get("/api/v1/halls/t1/evaluation-cases", headers=bearer(rh.hall.manager)).get_json()[-1]
    assert case["rating"]["id"] == resp.get_json()["id"]
    return case  # type: ignore[no-any-return]


def test_deadline_skips_a_weekend_and_a_holiday(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    mark_days(store, d2026_03_09="holiday")
    clock.advance(days=3)  # Thursday 5 March 2026
    rh.console.login("u1", 1)  # a new working day: yesterday's session has ended

    case = bad_rating(rh, client)

    # Fri 6 (1), Sat 7 and Sun 8 skipped, Mon 9 holiday, Tue 10 (2), Wed 11 (3), Thu 12 (4), Fri 13 (5).
    assert case["due_on"] == "2026-03-13" and case["status"] == "open"


def test_deadline_counts_an_adjusted_working_saturday(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    mark_days(store, d2026_03_07="workday", d2026_03_09="holiday")
    clock.advance(days=3)
    rh.console.login("u1", 1)  # a new working day: yesterday's session has ended

    case = bad_rating(rh, client)

    # Fri 6 (1), Sat 7 调休 (2), Tue 10 (3), Wed 11 (4), Thu 12 (5).
    assert case["due_on"] == "2026-03-12"


def test_deadline_length_is_a_hall_setting(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client, case_deadline_days=7)

    case = bad_rating(rh, client)

    # Monday 2 March + 7 working days = Wednesday 11 March.
    assert case["due_on"] == "2026-03-11"


def test_case_is_assigned_to_the_department_handling_the_service(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)
    with store.transaction() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        dept = Department(hall_id=hall.id, code="zrzy", name="自然资源局")  # type: ignore[union-attr]
        s.add(dept)
        s.flush()
        s.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == "a")).department_id = dept.id  # type: ignore[union-attr]

    case = bad_rating(rh, client)

    assert case["department"] == "自然资源局"


def test_case_goes_through_follow_up_fix_and_feedback_to_closed(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)

    early = client.post(f"/api/v1/evaluation-cases/{case['id']}/feedback", json={"note": "x"}, headers=auth)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/follow-up", json={"note": "电话回访，情况属实"}, headers=auth)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/rectify", json={"note": "窗口人员培训"}, headers=auth)
    done = client.post(f"/api/v1/evaluation-cases/{case['id']}/feedback", json={"note": "已告知办事人"},
                       headers=auth).get_json()

    assert early.status_code == 409 and early.get_json()["code"] == "case_action_refused"
    assert done["status"] == "closed" and done["closed_at"] is not None
    assert [a["kind"] for a in done["actions"]] == ["follow_up", "rectify", "feedback"]
    assert done["actions"][0]["actor"] == "m1"


def test_upheld_appeal_excludes_the_malicious_rating_from_reporting(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)

    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "办事人未到窗口即评价"}, headers=auth)
    decided = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                          json={"note": "监控核实，恶意差评", "upheld": True}, headers=bearer(rh.hall.admin)).get_json()
    outbox = client.get("/api/v1/halls/t1/ratings/outbox", headers=auth).get_json()

    assert decided["status"] == "excluded" and decided["rating"]["excluded"] is True
    assert outbox == []


def test_rejected_appeal_reopens_the_case(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)

    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "申诉"}, headers=auth)
    decided = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                          json={"note": "证据不足", "upheld": False}, headers=bearer(rh.hall.admin)).get_json()

    assert decided["status"] == "open" and decided["rating"]["excluded"] is False


def test_overdue_case_is_listed_and_alerted_once(
    store: Store, clock: FrozenClock, client: Any, published: Recorder
) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)

    on_time = client.get("/api/v1/halls/t1/evaluation-cases?overdue=true", headers=auth).get_json()
    clock.advance(days=8)  # Tuesday 10 March: past the due Monday 9 March
    late = client.get("/api/v1/halls/t1/evaluation-cases?overdue=true", headers=auth).get_json()
    first = client.post("/api/v1/halls/t1/evaluation-cases/alert-overdue", headers=auth).get_json()
    second = client.post("/api/v1/halls/t1/evaluation-cases/alert-overdue", headers=auth).get_json()

    assert case["due_on"] == "2026-03-09" and on_time == []
    assert [c["id"] for c in late] == [case["id"]] and late[0]["overdue"] is True
    assert [c["id"] for c in first] == [case["id"]] and second == []
    assert published.types().count("evaluation.case_overdue") == 1


def test_clerk_cannot_see_or_work_cases(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)

    listing = rh.console.client.get("/api/v1/halls/t1/evaluation-cases")
    step = rh.console.post(f"/evaluation-cases/{case['id']}/appeal", {"note": "删掉它"})

    assert listing.status_code == 403 and step.status_code == 403


def _second_account(store: Store, clock: FrozenClock, user_no: str, role: Role, *, all_halls: bool = False
                    ) -> str:
    with store.transaction() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert hall is not None
        person = factories.staff(s, None if all_halls else hall, user_no, role)
        return mint_token(s, clock.now(), role=role, hall=None if all_halls else hall, staff=person)


def test_the_manager_who_appealed_cannot_decide_the_appeal(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "恶意差评"}, headers=auth)

    own = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                      json={"note": "同意", "upheld": True}, headers=auth)
    listed = client.get("/api/v1/halls/t1/evaluation-cases", headers=auth).get_json()[-1]

    assert own.status_code == 403
    assert own.headers["Content-Type"].startswith("application/problem+json")
    assert own.get_json()["code"] == "appeal_own_decision"
    assert own.get_json()["title"] == "不能复核本人提出的申诉"
    assert listed["status"] == "appealed" and listed["rating"]["excluded"] is False


def test_another_manager_of_the_same_rank_cannot_decide(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    colleague = _second_account(store, clock, "m2", Role.MANAGER)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "恶意差评"},
                headers=bearer(rh.hall.manager))

    peer = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                       json={"note": "同意", "upheld": True}, headers=bearer(colleague))

    assert peer.status_code == 403 and peer.get_json()["code"] == "appeal_rank_too_low"
    assert "m1" in peer.get_json()["detail"]


def test_a_hall_admins_appeal_goes_to_an_admin_of_every_hall(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    hall_admin = _second_account(store, clock, "a1", Role.ADMIN)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "恶意差评"},
                headers=bearer(hall_admin))

    by_manager = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                             json={"note": "同意", "upheld": True}, headers=bearer(rh.hall.manager))
    by_top = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                         json={"note": "同意", "upheld": True}, headers=bearer(rh.hall.admin))

    assert by_manager.status_code == 403 and by_manager.get_json()["code"] == "appeal_rank_too_low"
    assert by_top.status_code == 200 and by_top.get_json()["status"] == "excluded"
    assert [a["kind"] for a in by_top.get_json()["actions"]] == ["appeal", "appeal_upheld"]


def test_engine_refuses_the_filer_whatever_the_adapter(
    store: Store, clock: FrozenClock, client: Any, runtime: Runtime
) -> None:
    """The rule lives in the engine: a caller passing the filer's key is refused even with a high rank."""
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    runtime.execute(engine.case_step, hall="t1", case_id=case["id"], action="appeal", note="x", actor="m1",
                    actor_key="staff:1", actor_rank=1)

    with pytest.raises(errors.AppealOwnDecision):
        runtime.execute(engine.decide_appeal, hall="t1", case_id=case["id"], upheld=True, note="y", actor="m1",
                        actor_key="staff:1", actor_rank=3)


def test_a_rejected_appeal_keeps_the_follow_up_already_done(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/follow-up", json={"note": "已回访"}, headers=auth)
    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "申诉"}, headers=auth)

    decided = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                          json={"note": "证据不足", "upheld": False}, headers=bearer(rh.hall.admin)).get_json()
    fixed = client.post(f"/api/v1/evaluation-cases/{case['id']}/rectify", json={"note": "整改"}, headers=auth)

    assert decided["status"] == "followed_up"
    assert fixed.status_code == 200 and fixed.get_json()["status"] == "rectified"
