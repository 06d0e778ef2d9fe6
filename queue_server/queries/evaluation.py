"""Read side of 好差评: a rating as a 表9 record, cases with their steps, overdue cases, the reporting outbox,
and what a window's rating tablet shows. Never writes.

No Flask imports. The rater (评价人) is only ever the masked form or 匿名.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.oversight.cases import CLOSED_STATES
from queue_server.engine.oversight.cases import overdue_query
from queue_server.engine.oversight.rating import pending_leg
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import Window
from queue_server.storage.ratings import LEVELS
from queue_server.storage.ratings import REASON_TAGS
from queue_server.storage.ratings import CaseAction
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating


def rating_out(session: Session, rating: Rating) -> dict[str, Any]:
    ticket = session.get(Ticket, rating.ticket_id)
    service = session.get(Service, rating.service_id)
    window = session.get(Window, rating.window_id) if rating.window_id else None
    staff = session.get(Staff, rating.staff_id) if rating.staff_id else None
    case_id = session.scalar(select(EvaluationCase.id).where(EvaluationCase.rating_id == rating.id))
    assert ticket is not None and service is not None
    return {
        "id": rating.id, "ticket_no": ticket.ticket_no, "case_no": rating.case_no, "channel": rating.channel,
        "rater": rating.rater, "rated_at": rating.rated_at.isoformat(), "attempt": rating.attempt,
        "level": rating.level, "level_name": rating.level_name, "tags": list(rating.tags), "text": rating.text,
        "region_code": rating.region_code, "service": service.code, "window": window.number if window else None,
        "staff": staff.user_no if staff else None, "excluded": rating.excluded, "case_id": case_id,
    }


def window_label(window: Window | None) -> str | None:
    # No shared label helper on this branch yet: the hall's one spelling, "3号 综合窗口", written here.
    return f"{window.number}号 {window.name}" if window is not None else None


def case_out(session: Session, hall: Hall, case: EvaluationCase, now: datetime) -> dict[str, Any]:
    rating = session.get(Rating, case.rating_id)
    department = session.get(Department, case.department_id) if case.department_id else None
    assert rating is not None
    service = session.get(Service, rating.service_id)
    window = session.get(Window, rating.window_id) if rating.window_id else None
    today = service_day(now, hall.timezone, hall.day_rollover)
    actions = list(session.scalars(select(CaseAction).where(CaseAction.case_id == case.id)
                                   .order_by(CaseAction.id)))
    open_case = case.status not in CLOSED_STATES
    appeals = [a for a in actions if a.kind == "appeal"]
    return {
        "id": case.id, "status": case.status, "department": department.name if department else None,
        "opened_at": case.opened_at.isoformat(), "due_on": case.due_on.isoformat(),
        "overdue": open_case and case.due_on < today,
        # Working-day deadlines end on a day; calendar days left is what a manager plans with.
        "days_left": (case.due_on - today).days if open_case else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "service_name": service.name if service else "", "window_label": window_label(window),
        "appeal_by": appeals[-1].actor if appeals and case.status == "appealed" else None,
        "rating": rating_out(session, rating),
        "actions": [{"kind": a.kind, "at": a.at.isoformat(), "actor": a.actor, "note": a.note} for a in actions],
    }


def cases(session: Session, hall: Hall, now: datetime, *, overdue_only: bool, status: str | None,
          service: str | None = None, window: int | None = None) -> list[dict[str, Any]]:
    """Cases of the hall, oldest first; filters combine (status, past deadline, the rated service's code, the
    window number the rating was given at)."""
    if overdue_only:
        stmt = overdue_query(hall, service_day(now, hall.timezone, hall.day_rollover))
    else:
        stmt = select(EvaluationCase).where(EvaluationCase.hall_id == hall.id).order_by(EvaluationCase.id)
    if status:
        stmt = stmt.where(EvaluationCase.status == status)
    if service or window is not None:
        stmt = stmt.join(Rating, Rating.id == EvaluationCase.rating_id)
    if service:
        stmt = stmt.join(Service, Service.id == Rating.service_id).where(Service.code == service)
    if window is not None:
        stmt = stmt.join(Window, Window.id == Rating.window_id).where(Window.number == window)
    return [case_out(session, hall, c, now) for c in session.scalars(stmt)]


# Chinese first: the export is read by the hall's staff (the console's JS keeps the same words).
STATUS_NAMES = {"open": "待回访 open", "followed_up": "已回访 followed up", "rectified": "已整改 rectified",
                "closed": "已办结 closed", "appealed": "申诉中 appealed", "excluded": "申诉成立 excluded"}
STEP_COLUMNS = (("follow_up", "回访 follow-up"), ("rectify", "整改 fix"), ("feedback", "反馈 feedback"),
                ("appeal", "申诉 appeal"))
CASE_HEADERS = ["工单 case", "状态 status", "事项 service", "窗口 window", "部门 department", "票号 ticket",
                "满意度 level", "原因 reasons", "评价时间 rated at", "期限 due", "超期 overdue",
                *[f"{name} {part}" for _, name in STEP_COLUMNS for part in ("时间 at", "记录 note")],
                "复核 decision", "复核记录 decision note", "办结时间 closed at"]


def case_rows(found: list[dict[str, Any]], timezone: str) -> list[list[str | int | None]]:
    """The case list as spreadsheet rows, times in the hall's clock; the last record of each step is shown."""
    def local(iso: str | None) -> str | None:
        return local_time(datetime.fromisoformat(iso), timezone).strftime("%Y-%m-%d %H:%M") if iso else None

    rows: list[list[str | int | None]] = []
    for c in found:
        last = {a["kind"]: a for a in c["actions"]}
        decision = last.get("appeal_upheld") or last.get("appeal_rejected")
        r = c["rating"]
        steps: list[str | int | None] = []
        for kind, _ in STEP_COLUMNS:
            steps += [local(last[kind]["at"]), last[kind]["note"]] if kind in last else [None, None]
        rows.append([
            c["id"], STATUS_NAMES.get(c["status"], c["status"]), c["service_name"], c["window_label"],
            c["department"], r["ticket_no"], f"{r['level']} {r['level_name']}",
            "、".join([*r["tags"], *([r["text"]] if r["text"] else [])]), local(r["rated_at"]), c["due_on"],
            "是 yes" if c["overdue"] else "否 no", *steps,
            None if decision is None else ("申诉成立 upheld" if decision["kind"] == "appeal_upheld"
                                           else "申诉驳回 rejected"),
            decision["note"] if decision else None, local(c["closed_at"]),
        ])
    return rows


def case_in_hall(session: Session, hall: Hall, case_id: int, now: datetime) -> dict[str, Any] | None:
    case = session.get(EvaluationCase, case_id)
    return case_out(session, hall, case, now) if case is not None and case.hall_id == hall.id else None


def outbox(session: Session, hall: Hall, limit: int = 500) -> list[dict[str, Any]]:
    """Ratings not yet reported upward, oldest first; excluded (malicious) ratings are not reported."""
    rows = session.scalars(
        select(Rating).where(Rating.hall_id == hall.id, Rating.reported_at.is_(None), Rating.excluded.is_(False))
        .order_by(Rating.id).limit(limit)
    )
    return [rating_out(session, r) for r in rows]


def rater_state(session: Session, window: Window, now: datetime) -> dict[str, Any]:
    """What the window's tablet shows: idle (window, 工号, name) or the levels for a just-finished leg."""
    staff = session.get(Staff, window.staff_id) if window.staff_id else None
    leg = pending_leg(session, window.id, now)
    pending = None
    if leg is not None:
        ticket = session.get(Ticket, leg.ticket_id)
        service = session.get(Service, leg.service_id)
        assert ticket is not None and service is not None
        pending = {"leg_id": leg.id, "ticket_no": ticket.ticket_no, "service_name": service.name,
                   "finished_at": leg.ended_at.isoformat()}
    return {
        "hall": window.hall.code, "window": window.number, "window_name": window.name,
        "window_label": window.label,
        "staff": staff.user_no if staff else None, "staff_name": staff.name if staff else None,
        "levels": [{"code": str(k), "name": v} for k, v in LEVELS.items()], "reason_tags": list(REASON_TAGS),
        "pending": pending,
    }
