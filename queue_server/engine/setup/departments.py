"""Departments (部门) and priority categories (绿色通道: 军人依法优先, 老年人...) of a hall, set by a manager.

A department is deactivated, never deleted: old services and 差评 cases keep naming it. A priority category's
weight orders priority tickets among themselves (higher first); the hall's ratio (engine/setup/hall_settings.py) keeps
them from starving normal tickets. Every change is audited and announced as hall.updated.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory

CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
# Weights only order categories against each other; a handful of levels is all a hall has ever used.
PRIORITY_WEIGHT = (1, 9)


def check_code(code: str) -> str:
    if not CODE.match(code):
        raise errors.BadCode()
    return code


def check_name(name: Any) -> str:
    text = str(name or "").strip()
    if not text:
        raise errors.NameRequired()
    return text


def department_payload(row: Department) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "active": row.active}


def load_department(session: Session, hall: Hall, code: str) -> Department:
    row = session.scalar(select(Department).where(Department.hall_id == hall.id, Department.code == code))
    if row is None:
        raise errors.DepartmentNotFound(hall=hall.code, department=code)
    return row


def _announce(key: str, payload: dict[str, Any]) -> events.Event:
    return events.Event(events.HALL_UPDATED, {key: payload})


def create_department(session: Session, clock: Clock, *, hall: Hall, code: str, name: str, actor: str
                      ) -> events.Outcome[dict[str, Any]]:
    """Raises bad_code, name_required, code_taken."""
    code, name = check_code(code), check_name(name)
    if session.scalar(select(Department.id).where(Department.hall_id == hall.id, Department.code == code)):
        raise errors.CodeTaken(code=code)
    row = Department(hall_id=hall.id, code=code, name=name, active=True)
    session.add(row)
    session.flush()
    after = department_payload(row)
    audit(session, clock.now(), hall, actor, "department.create", f"department:{code}",
          before=None, after=after)
    return events.Outcome(after, (_announce("department", after),))


def update_department(session: Session, clock: Clock, *, hall: Hall, code: str, changes: dict[str, Any],
                      actor: str) -> events.Outcome[dict[str, Any]]:
    """Rename, deactivate or reactivate. Raises department_not_found, name_required."""
    row = load_department(session, hall, code)
    before = department_payload(row)
    if "name" in changes:
        row.name = check_name(changes["name"])
    if changes.get("active") is not None:
        row.active = bool(changes["active"])
    after = department_payload(row)
    audit(session, clock.now(), hall, actor, "department.update", f"department:{code}",
          before=before, after=after)
    return events.Outcome(after, (_announce("department", after),))


def priority_payload(row: PriorityCategory) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "weight": row.weight}


def _check_weight(weight: Any) -> int:
    low, high = PRIORITY_WEIGHT
    if not isinstance(weight, int) or not low <= weight <= high:
        raise errors.SettingOutOfRange(field="weight", label="优先级权重", low=low, high=high)
    return weight


def create_priority(session: Session, clock: Clock, *, hall: Hall, code: str, name: str, weight: int, actor: str
                    ) -> events.Outcome[dict[str, Any]]:
    """Raises bad_code, name_required, setting_out_of_range, code_taken."""
    code, name, weight = check_code(code), check_name(name), _check_weight(weight)
    if session.scalar(select(PriorityCategory.id).where(PriorityCategory.hall_id == hall.id,
                                                        PriorityCategory.code == code)):
        raise errors.CodeTaken(code=code)
    row = PriorityCategory(hall_id=hall.id, code=code, name=name, weight=weight)
    session.add(row)
    session.flush()
    after = priority_payload(row)
    audit(session, clock.now(), hall, actor, "priority.create", f"priority:{code}",
          before=None, after=after)
    return events.Outcome(after, (_announce("priority", after),))


def update_priority(session: Session, clock: Clock, *, hall: Hall, code: str, changes: dict[str, Any], actor: str
                    ) -> events.Outcome[dict[str, Any]]:
    """Rename or re-weight; tickets already waiting keep the weight they were issued with.
    Raises priority_not_found, name_required, setting_out_of_range."""
    row = session.scalar(select(PriorityCategory).where(PriorityCategory.hall_id == hall.id,
                                                        PriorityCategory.code == code))
    if row is None:
        raise errors.PriorityNotFound(hall=hall.code, priority=code)
    before = priority_payload(row)
    if "name" in changes:
        row.name = check_name(changes["name"])
    if changes.get("weight") is not None:
        row.weight = _check_weight(changes["weight"])
    after = priority_payload(row)
    audit(session, clock.now(), hall, actor, "priority.update", f"priority:{code}",
          before=before, after=after)
    return events.Outcome(after, (_announce("priority", after),))
