"""A hand-computed morning in hall t1, driven through the real engine with a FrozenClock, and its expected report.

Hall t1 (tests/factories.basic_hall) with a 10-minute wait limit: window 1 (clerk u1) serves A and B, window 2
(clerk u2) serves B. From 09:00 on Monday 2 March 2026 (minutes after 09:00):

| min | what happens | leg closed (service, window, end, wait_s, service_s) |
|---|---|---|
| 0, 2, 4 | A001 (kiosk), A002 (mobile), B001 (kiosk) issued | |
| 5 | window 1 calls A001 | |
| 9 | window 1 finishes A001 (办结), rated 1 非常满意; window 2 calls B001 | a, 1, finished, 300, 240 |
| 10 | window 1 calls A002 | |
| 12 | A002 no-show (空号) | a, 1, no_show, 480, – |
| 13 | window 2 starts B001 | |
| 14, 15 | A003 (kiosk) issued, window 1 calls it | |
| 20 | window 1 transfers A003 to service B | a, 1, transferred, 60, 300 |
| 25 | window 2 finishes B001 as 退办, rated 5 with a reason: a 差评 case | b, 2, finished, 300, 720 |
| 26 | window 2 calls A003 | |
| 30 | window 2 finishes A003 (办结), rated 2 满意 | b, 2, finished, 360, 240 |
| 31, 32 | A004 (kiosk) issued, the citizen cancels it | a, –, cancelled, –, – |
| 33 | B002 (mobile) issued | |
| 40 | the 差评 case: 回访, 整改, 反馈 (closed the same day, on time) | |
| 50 | window 2 calls B002 | |
| 55 | window 2 finishes B002 as 咨询, not rated | b, 2, finished, 1020, 300 |

Waits [60, 300, 300, 360, 480, 1020]: mean 420, median 330, p90 (nearest rank) 1020, max 1020, one over 600 s.
Service [240, 240, 300, 300, 720]: mean 360, median 300, p90 720, max 720; one over its service's standard
(B001's 720 s > B's 600 s; A003's 300 s on A is not over A's 300 s).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.engine.oversight.rating import pending_leg
from queue_server.storage.models import Hall
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall

DAY = date(2026, 3, 2)
WAIT_LIMIT_MIN = 10


def scenario_hall(store: Store, clock: FrozenClock) -> BasicHall:
    """Hall t1 with the 10-minute wait limit and clerks u1 and u2 signed in at windows 1 and 2."""
    tokens = basic_hall(store, clock, escalation_min=WAIT_LIMIT_MIN)
    with store.transaction() as s:
        hall_id = s.scalar(select(Hall.id).where(Hall.code == "t1"))
        for window in s.scalars(select(Window).where(Window.hall_id == hall_id)):
            window.staff_id = s.scalar(select(Staff.id).where(Staff.user_no == f"u{window.number}"))
    return tokens


def play(runtime: Runtime, clock: FrozenClock) -> None:
    """Run the morning above; the clock must stand at 09:00 local on DAY."""
    start = clock.now()

    def at(minute: int) -> None:
        clock.set(start)
        clock.advance(minutes=minute)

    def do(op: Any, **kwargs: Any) -> Any:
        return runtime.execute(op, hall="t1", **kwargs).value

    def rate(level: int, window: int, **extra: Any) -> Any:
        with runtime.store.read_session() as s:
            window_id = s.scalar(select(Window.id).where(Window.number == window, Window.hall_id == s.scalar(
                select(Hall.id).where(Hall.code == "t1"))))
            leg = pending_leg(s, window_id, clock.now())  # type: ignore[arg-type]
            assert leg is not None
            leg_id = leg.id
        return do(engine.rate, level=level, tags=[], text=extra.get("text", ""), channel="window_device",
                  leg_id=leg_id, window_id=window_id)

    def issue(service: str, channel: str) -> Any:
        return do(engine.issue_ticket, service_code=service, channel=channel).ticket

    a001 = issue("a", "kiosk")
    at(2)
    a002 = issue("a", "mobile")
    at(4)
    b001 = issue("b", "kiosk")
    at(5)
    assert do(engine.call_next, window_number=1).id == a001.id
    at(9)
    do(engine.finish, ticket_id=a001.id, outcome="done")
    rate(1, window=1)
    assert do(engine.call_next, window_number=2).id == b001.id
    at(10)
    assert do(engine.call_next, window_number=1).id == a002.id
    at(12)
    do(engine.no_show, ticket_id=a002.id)
    at(13)
    do(engine.start, ticket_id=b001.id)
    at(14)
    a003 = issue("a", "kiosk")
    at(15)
    assert do(engine.call_next, window_number=1).id == a003.id
    at(20)
    do(engine.transfer, ticket_id=a003.id, service_code="b")
    at(25)
    do(engine.finish, ticket_id=b001.id, outcome="returned")
    bad = rate(5, window=2, text="材料要求没有一次说清")
    at(26)
    assert do(engine.call_next, window_number=2).id == a003.id
    at(30)
    do(engine.finish, ticket_id=a003.id, outcome="done")
    rate(2, window=2)
    at(31)
    a004 = issue("a", "kiosk")
    at(32)
    do(engine.cancel, ticket_id=a004.id, by="citizen")
    at(33)
    b002 = issue("b", "mobile")
    at(40)
    with runtime.store.read_session() as s:
        case_id = s.scalar(select(EvaluationCase.id).where(EvaluationCase.rating_id == bad.id))
    for action in ("follow_up", "rectify", "feedback"):
        do(engine.case_step, case_id=case_id, action=action, note=action, actor="m1")
    at(50)
    assert do(engine.call_next, window_number=2).id == b002.id
    at(55)
    do(engine.finish, ticket_id=b002.id, outcome="consult")


# The hall's expected totals, as the JSON report states them.
TOTAL = {
    "tickets": {"kiosk": 4, "mobile": 2, "appointment": 0, "staff": 0, "api": 0, "total": 6},
    "served": 4, "done": 2, "returned": 1, "consult": 1, "no_show": 1, "transferred": 1, "cancelled": 1,
    "expired": 0,
    "wait": {"count": 6, "mean_s": 420.0, "median_s": 330.0, "p90_s": 1020, "max_s": 1020, "over_limit": 1},
    "service": {"count": 5, "mean_s": 360.0, "median_s": 300.0, "p90_s": 720, "max_s": 720, "over_limit": 1},
    "rated": 3, "levels": {"1": 1, "2": 1, "3": 0, "4": 0, "5": 1}, "rating_rate": 0.75, "bad": 1,
    "bad_rate": 0.3333, "cases": 1, "cases_closed_on_time": 1, "cases_closed_late": 0, "cases_open_overdue": 0,
}
