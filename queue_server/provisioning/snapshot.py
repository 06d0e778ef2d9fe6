"""A hall's set-up as the workbook's rows (the export), read in one session: departments, priority categories,
services with their slot quotas and own hours, the hall's hours and calendar, windows and their profiles, the
hall's staff accounts (never a password or its hash) and the 办事指南 its services link to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server.catalogue import edits
from queue_server.catalogue import index
from queue_server.engine.setup.accounts import HALL_ROLES
from queue_server.engine.setup.hours import WEEKDAYS
from queue_server.provisioning import cells
from queue_server.provisioning import workbook
from queue_server.storage.catalogue import GuideItem
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window

Values = dict[str, Any]


def _hours_rows(service: str | None, hours: dict[str, list[list[str]]]) -> list[Values]:
    return [{"service": service, "weekday": day, "intervals": hours.get(day, [])} for day in WEEKDAYS]


def values(session: Session, hall: Hall) -> dict[str, list[Values]]:
    """Every sheet's rows as stored values by column key."""
    out: dict[str, list[Values]] = {s.key: [] for s in workbook.SHEETS}
    departments = {d.id: d for d in session.scalars(select(Department).where(Department.hall_id == hall.id))}
    for d in sorted(departments.values(), key=lambda d: d.code):
        out["departments"].append({"code": d.code, "name": d.name, "active": d.active})
    for p in session.scalars(select(PriorityCategory).where(PriorityCategory.hall_id == hall.id)
                             .order_by(PriorityCategory.weight.desc(), PriorityCategory.code)):
        out["priorities"].append({"code": p.code, "name": p.name, "weight": p.weight})
    out["hours"] += _hours_rows(None, hall.opening_hours or {})
    services = list(session.scalars(select(Service).where(Service.hall_id == hall.id).order_by(Service.id)))
    for s in services:
        department = departments.get(s.department_id) if s.department_id else None
        out["services"].append({
            "code": s.code, "name": s.name, "prefix": s.prefix, "number_start": s.number_start,
            "number_end": s.number_end, "number_wrap": s.number_wrap, "daily_cap": s.daily_cap,
            "standard_duration_s": s.standard_duration_s, "department": department.code if department else None,
            "guide_code": s.guide_code, "warning_threshold": s.warning_threshold, "person_limit": s.person_limit,
            "stop_issue_before_close_min": s.stop_issue_before_close_min, "green_channel": s.green_channel,
            "active": s.active})
        for slot in s.slot_quotas or []:
            out["slots"].append({"service": s.code, **slot})
        if s.opening_hours is not None:
            out["hours"] += _hours_rows(s.code, s.opening_hours)
        if s.booking:  # 网上预约: one row per block, the plan's horizon and cut-off on each
            for day in sorted(s.booking["days"]):
                for block in s.booking["days"][day]:
                    out["booking"].append({"service": s.code, "weekday": day, **block,
                                           "horizon_days": s.booking["horizon_days"],
                                           "cutoff_min": s.booking["cutoff_min"]})
    for day in session.scalars(select(CalendarDay).where(CalendarDay.hall_id == hall.id).order_by(CalendarDay.day)):
        out["calendar"].append({"day": day.day, "kind": day.kind, "name": day.name})
    for w in session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number)):
        out["windows"].append({"number": w.number, "name": w.name, "zone": w.zone})
        for ws in w.profile:
            out["profiles"].append({"window": w.number, "service": ws.service.code, "weight": ws.weight})
    for st in session.scalars(select(Staff).where(Staff.hall_id == hall.id, Staff.role.in_(HALL_ROLES))
                              .order_by(Staff.user_no)):
        out["staff"].append({"user_no": st.user_no, "name": st.name, "role": st.role.value, "active": st.active})
    codes = sorted({s.guide_code for s in services if s.guide_code})
    for code in codes:
        guide = index.guide_by_code(session, code)
        if guide is not None:
            out["guides"].append(guide_values(guide))
    return out


def guide_values(guide: GuideItem) -> Values:
    """A guide's cells in their checked form (an item imported from the catalogue file may lack optional keys),
    so that what an import writes exports the same."""
    sheet = workbook.BY_KEY["guides"]
    out = {c.key: getattr(guide, c.key) for c in sheet.columns}
    for key, check in edits.CHECKERS.items():
        try:
            out[key] = check(out[key])
        except errors.HallqError:
            pass  # exported as stored; the import will name the cell
    return out


def as_cells(rows: dict[str, list[Values]]) -> dict[str, list[list[workbook.Cell]]]:
    """Stored values to cells, column by column in the sheet's order."""
    return {sheet.key: [[cells.write(c.kind, r.get(c.key)) for c in sheet.columns] for r in rows.get(sheet.key, [])]
            for sheet in workbook.SHEETS}


def export(session: Session, hall: Hall) -> bytes:
    return workbook.write(as_cells(values(session, hall)))


def template() -> bytes:
    """The blank workbook: every sheet with its Chinese headers and the 说明 sheet."""
    return workbook.write({})
