"""Read side of 好差评: a rating as a 表9 record, cases with their steps, overdue cases, the reporting outbox,
and what a window's rating tablet shows. Never writes.

No Flask imports. The rater (评价人) is only ever the masked form or 匿名.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import service_day
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


def case_out(session: Session, hall: Hall, case: EvaluationCase, now: datetime) -> dict[str, Any]:
    rating = session.get(Rating, case.rating_id)
    department = session.get(Department, case.department_id) if case.department_id else None
    assert rating is not None
    today = service_day(now, hall.timezone, hall.day_rollover)
    actions = session.scalars(select(CaseAction).where(CaseAction.case_id == case.id).order_by(CaseAction.id))
    return {
        "id": case.id, "status": case.status, "department": department.name if department else None,
        "opened_at": case.opened_at.isoformat(), "due_on": case.due_on.isoformat(),
        "overdue": case.status not in ("closed", "excluded") and case.due_on < today,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "rating": rating_out(session, rating),
        "actions": [{"kind": a.kind, "at": a.at.isoformat(), "actor": a.actor, "note": a.note} for a in actions],
    }


def cases(session: Session, hall: Hall, now: datetime, *, overdue_only: bool, status: str | None
          ) -> list[dict[str, Any]]:
    if overdue_only:
        stmt = overdue_query(hall, service_day(now, hall.timezone, hall.day_rollover))
    else:
        stmt = select(EvaluationCase).where(EvaluationCase.hall_id == hall.id).order_by(EvaluationCase.id)
    if status:
        stmt = stmt.where(EvaluationCase.status == status)
    return [case_out(session, hall, c, now) for c in session.scalars(stmt)]


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
