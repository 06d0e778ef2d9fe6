"""差评 cases: assignment to the service's department, a deadline in working days that skips weekends and
holidays and counts 调休 days, the follow-up steps, appeals that exclude a malicious rating, overdue alerts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.store import Store
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
                          json={"note": "监控核实，恶意差评", "upheld": True}, headers=auth).get_json()
    outbox = client.get("/api/v1/halls/t1/ratings/outbox", headers=auth).get_json()

    assert decided["status"] == "excluded" and decided["rating"]["excluded"] is True
    assert outbox == []


def test_rejected_appeal_reopens_the_case(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    case = bad_rating(rh, client)
    auth = bearer(rh.hall.manager)

    client.post(f"/api/v1/evaluation-cases/{case['id']}/appeal", json={"note": "申诉"}, headers=auth)
    decided = client.post(f"/api/v1/evaluation-cases/{case['id']}/decide-appeal",
                          json={"note": "证据不足", "upheld": False}, headers=auth).get_json()

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
