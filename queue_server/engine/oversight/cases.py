"""差评 follow-up cases: working-day deadlines, opening a case, its steps (回访, 整改, feedback, 申诉) and overdue
alerts.

Working days skip weekends and holidays (CalendarDay kind "holiday") and count 调休 weekends (kind "workday").
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Hall
from queue_server.storage.ratings import CaseAction
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating

MAX_DEADLINE_DAYS = 60  # a configured deadline beyond this is a typo; the scan stops there
# action -> (states it is allowed from, state after)
STEPS: dict[str, tuple[frozenset[str], str]] = {
    "follow_up": (frozenset({"open"}), "followed_up"),  # 回访核实
    "rectify": (frozenset({"followed_up"}), "rectified"),  # 整改
    "feedback": (frozenset({"rectified"}), "closed"),  # 反馈 to the citizen; the case closes
    "appeal": (frozenset({"open", "followed_up", "rectified"}), "appealed"),  # 申诉复核
}
CLOSED_STATES = ("closed", "excluded")
# 申诉复核 is decided above the one who appealed: a hall manager's appeal goes to an admin, a hall admin's to an
# admin of every hall. The ranks are compared, never the role names, so a new role only needs a rank.
RANK_MANAGER, RANK_HALL_ADMIN, RANK_ALL_HALLS_ADMIN = 1, 2, 3


def appeal_rank(role: str, *, all_halls: bool) -> int:
    """How high a person stands for deciding appeals (0: may not decide any)."""
    if role == "admin":
        return RANK_ALL_HALLS_ADMIN if all_halls else RANK_HALL_ADMIN
    return RANK_MANAGER if role == "manager" else 0


def add_working_days(session: Session, hall: Hall, start: date, days: int) -> date:
    """The `days`-th working day after `start` (the opening day itself does not count)."""
    horizon = start + timedelta(days=days * 3 + 30)
    marks = {day: kind for day, kind in session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(
            CalendarDay.hall_id == hall.id, CalendarDay.day > start, CalendarDay.day <= horizon))}
    day, counted = start, 0
    while counted < min(days, MAX_DEADLINE_DAYS):
        day += timedelta(days=1)
        kind = marks.get(day)
        working = kind == "workday" or (kind != "holiday" and day.isoweekday() <= 5)
        counted += working
    return day


def case_payload(case: EvaluationCase, rating: Rating) -> dict[str, Any]:
    """Wire shape in events: no personal data."""
    return {"id": case.id, "status": case.status, "due_on": case.due_on.isoformat(), "rating": rating.id,
            "level": rating.level}


def open_case(session: Session, hall: Hall, rating: Rating, department_id: int | None, now: datetime
              ) -> EvaluationCase:
    today = service_day(now, hall.timezone, hall.day_rollover)
    case = EvaluationCase(hall_id=hall.id, rating_id=rating.id, department_id=department_id, status="open",
                          opened_at=now, due_on=add_working_days(session, hall, today, hall.case_deadline_days))
    session.add(case)
    session.flush()
    return case


def _load(session: Session, hall: Hall, case_id: int) -> tuple[EvaluationCase, Rating]:
    case = session.get(EvaluationCase, case_id)
    if case is None or case.hall_id != hall.id:
        raise errors.CaseNotFound(case=case_id)
    rating = session.get(Rating, case.rating_id)
    assert rating is not None
    return case, rating


def case_step(
    session: Session, clock: Clock, *, hall: Hall, case_id: int, action: str, note: str, actor: str,
    actor_key: str | None = None, actor_rank: int = RANK_MANAGER,
) -> events.Outcome[EvaluationCase]:
    """Record 回访, 整改, feedback or 申诉 on a case. Raises case_not_found, case_action_refused.

    `actor_key` names the person exactly (their staff id, or the token's label); with `actor_rank` it is kept
    on the step, so the appeal's decider can be checked against the one who filed it."""
    now = clock.now()
    case, rating = _load(session, hall, case_id)
    allowed, after = STEPS[action]
    if case.status not in allowed:
        raise errors.CaseActionRefused(case=case.id, case_status=case.status, action=action)
    before = case.status
    case.status = after
    if after == "closed":
        case.closed_at = now
    # "from": a rejected appeal returns the case where it was, so a 回访 or 整改 already recorded stands.
    session.add(CaseAction(case_id=case.id, kind=action, at=now, actor=actor, note=note,
                           data={"by": actor_key or actor, "rank": actor_rank, "from": before}))
    return events.Outcome(case, (events.Event(events.EVALUATION_CASE_UPDATED,
                                              {"case": case_payload(case, rating), "action": action}),))


def _appeal_filed(session: Session, case: EvaluationCase) -> CaseAction:
    filed = session.scalar(select(CaseAction).where(CaseAction.case_id == case.id, CaseAction.kind == "appeal")
                           .order_by(CaseAction.id.desc()).limit(1))
    assert filed is not None  # status "appealed" is only reached through an appeal step
    return filed


def decide_appeal(
    session: Session, clock: Clock, *, hall: Hall, case_id: int, upheld: bool, note: str, actor: str,
    actor_key: str | None = None, actor_rank: int = RANK_MANAGER,
) -> events.Outcome[EvaluationCase]:
    """Upheld: the rating was malicious; it is excluded from statistics and reporting and the case ends.
    Rejected: the case goes back to the state it was appealed from (its 回访 and 整改 stand).
    Raises case_not_found, case_action_refused, appeal_own_decision
    (the filer decides their own appeal) and appeal_rank_too_low (the decider does not stand above the filer):
    a 差评 leaves the statistics only when someone above the appellant agrees."""
    now = clock.now()
    case, rating = _load(session, hall, case_id)
    if case.status != "appealed":
        raise errors.CaseActionRefused(case=case.id, case_status=case.status, action="decide_appeal")
    filed = _appeal_filed(session, case)
    filer = (filed.data or {}).get("by", filed.actor)
    if filer == (actor_key or actor):
        raise errors.AppealOwnDecision(case=case.id)
    if actor_rank <= int((filed.data or {}).get("rank", RANK_MANAGER)):
        raise errors.AppealRankTooLow(case=case.id, filer=filed.actor)
    if upheld:
        case.status, case.closed_at, rating.excluded = "excluded", now, True
    else:
        case.status = str((filed.data or {}).get("from", "open"))
    session.add(CaseAction(case_id=case.id, kind="appeal_upheld" if upheld else "appeal_rejected", at=now,
                           actor=actor, note=note, data={"by": actor_key or actor, "rank": actor_rank}))
    return events.Outcome(case, (events.Event(events.EVALUATION_CASE_UPDATED,
                                              {"case": case_payload(case, rating), "action": "decide_appeal"}),))


def overdue_query(hall: Hall, today: date) -> Any:
    return select(EvaluationCase).where(
        EvaluationCase.hall_id == hall.id, EvaluationCase.due_on < today,
        EvaluationCase.status.not_in(CLOSED_STATES),
    ).order_by(EvaluationCase.due_on, EvaluationCase.id)


def alert_overdue(session: Session, clock: Clock, *, hall: Hall) -> events.Outcome[list[EvaluationCase]]:
    """Raise evaluation.case_overdue once for each open case past its due day (for housekeeping to run)."""
    now = clock.now()
    today = service_day(now, hall.timezone, hall.day_rollover)
    out, raised = [], []
    for case in session.scalars(overdue_query(hall, today).where(EvaluationCase.overdue_alerted_at.is_(None))):
        rating = session.get(Rating, case.rating_id)
        assert rating is not None
        case.overdue_alerted_at = now
        raised.append(case)
        out.append(events.Event(events.EVALUATION_CASE_OVERDUE, {"case": case_payload(case, rating)}))
    return events.Outcome(raised, tuple(out))
