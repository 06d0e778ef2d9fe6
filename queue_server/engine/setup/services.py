"""A service's full set-up by a manager: create one with every field of the core, or change any of them.

Fields: name, prefix, number range (and wrap), daily cap, time-slot quotas, own opening hours and the stop before
closing, warning threshold, standard duration, green channel, per-person limit, department, guide link, active.
Each field has its own refusal naming it; the whole change is audited with before/after and announced as
service.updated. The guide link is checked by the route (guides live in the catalogue, outside the engine).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.payloads import service_payload
from queue_server.engine.setup.departments import check_code
from queue_server.engine.setup.departments import check_name
from queue_server.engine.setup.hours import HHMM
from queue_server.engine.setup.hours import WEEKDAYS
from queue_server.engine.setup.hours import check_day
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import Service

PREFIX = re.compile(r"^[A-Z]{1,4}$")
NUMBER_MAX = 9999  # four digits read one by one is already long to announce; the ticket column holds 16
# field -> (label for the message, lowest, highest)
RANGES: dict[str, tuple[str, int, int]] = {
    "warning_threshold": ("等候人数预警值", 1, 999),
    "daily_cap": ("单日排队上限", 1, 99999),
    # A minute to two hours: shorter is a typo, longer belongs to an appointment, not a queue.
    "standard_duration_s": ("标准办理时长（秒）", 60, 7200),
    "person_limit": ("每人每日取号上限", 1, 20),
    # Up to two hours: stopping earlier than that is a shorter opening, set it in the hours instead.
    "stop_issue_before_close_min": ("闭厅前停止取号（分钟）", 0, 120),
}
FIELDS = ("name", "active", "prefix", "number_start", "number_end", "number_wrap", "slot_quotas", "opening_hours",
          "green_channel", "department", "guide_code", *RANGES)
NOT_NULL = ("name", "active", "prefix", "number_start", "number_end", "number_wrap", "slot_quotas",
            "green_channel", "standard_duration_s", "stop_issue_before_close_min")


def service_settings(session: Session, service: Service) -> dict[str, Any]:
    """Every configurable field, as the settings page and the service.updated event carry it."""
    department = session.get(Department, service.department_id) if service.department_id else None
    return {"code": service.code, "name": service.name, "active": service.active,
            "closed_on": service.closed_on.isoformat() if service.closed_on else None,
            "prefix": service.prefix, "number_start": service.number_start, "number_end": service.number_end,
            "number_wrap": service.number_wrap, "slot_quotas": list(service.slot_quotas or []),
            "opening_hours": service.opening_hours, "green_channel": service.green_channel,
            "department": department.code if department is not None else None, "guide_code": service.guide_code,
            **{f: getattr(service, f) for f in RANGES}}


def _check_slots(slots: Any) -> list[dict[str, Any]]:
    if not isinstance(slots, list):
        raise errors.BadSlotQuotas()
    out: list[dict[str, Any]] = []
    last_end = "00:00"
    for slot in slots:
        if not isinstance(slot, dict):
            raise errors.BadSlotQuotas()
        start, end, limit = slot.get("start"), slot.get("end"), slot.get("limit")
        if (not isinstance(start, str) or not isinstance(end, str) or not HHMM.match(start) or not HHMM.match(end)
                or not last_end <= start < end or not isinstance(limit, int) or isinstance(limit, bool)
                or limit < 1):
            raise errors.BadSlotQuotas()
        out.append({"start": start, "end": end, "limit": limit})
        last_end = end
    return out


def _check_hours(hours: Any) -> dict[str, list[list[str]]] | None:
    if hours is None:
        return None  # the hall's hours apply
    if not isinstance(hours, dict) or any(k not in WEEKDAYS for k in hours):
        raise errors.BadOpeningHours(weekday=next((k for k in hours if k not in WEEKDAYS), "?")
                                     if isinstance(hours, dict) else "?")
    return {day: check_day(day, hours.get(day, [])) for day in WEEKDAYS}


def _department_id(session: Session, hall: Hall, code: Any, current: int | None) -> int | None:
    if code is None or code == "":
        return None
    row = session.scalar(select(Department).where(Department.hall_id == hall.id, Department.code == code))
    if row is None:
        raise errors.DepartmentNotFound(hall=hall.code, department=code)
    if not row.active and row.id != current:  # a service may stay in a department taken out of use
        raise errors.DepartmentInactive(department=row.name)
    return row.id


def _check_prefix(session: Session, hall: Hall, prefix: Any, service_id: int | None) -> str:
    if not isinstance(prefix, str) or not PREFIX.match(prefix):
        raise errors.BadPrefix()
    other = session.scalar(select(Service).where(Service.hall_id == hall.id, Service.prefix == prefix,
                                                 Service.id != (service_id or 0)))
    if other is not None:
        raise errors.PrefixTaken(prefix=prefix, service_name=other.name)
    return prefix


def _checked(session: Session, clock: Clock, hall: Hall, service: Service, changes: dict[str, Any]
             ) -> dict[str, Any]:
    """The changes normalised to column values, or the first refusal."""
    out: dict[str, Any] = {}
    for field in NOT_NULL:
        if field in changes and changes[field] is None:
            changes = {k: v for k, v in changes.items() if k != field}  # null means "leave it" for these
    if "name" in changes:
        out["name"] = check_name(changes["name"])
    for field, (label, low, high) in RANGES.items():
        value = changes.get(field)
        if value is not None and not low <= value <= high:
            raise errors.SettingOutOfRange(field=field, label=label, low=low, high=high)
        if field in changes:
            out[field] = value
    if "prefix" in changes:
        out["prefix"] = _check_prefix(session, hall, changes["prefix"], service.id)
    start = changes.get("number_start", service.number_start)
    end = changes.get("number_end", service.number_end)
    if ("number_start" in changes or "number_end" in changes) and not 0 <= start < end <= NUMBER_MAX:
        raise errors.BadNumberRange()
    for field in ("number_start", "number_end", "number_wrap", "green_channel", "active"):
        if field in changes:
            out[field] = changes[field]
    if "slot_quotas" in changes:
        out["slot_quotas"] = _check_slots(changes["slot_quotas"])
    if "opening_hours" in changes:
        out["opening_hours"] = _check_hours(changes["opening_hours"])
    if "department" in changes:
        out["department_id"] = _department_id(session, hall, changes["department"], service.department_id)
    if "guide_code" in changes:
        out["guide_code"] = changes["guide_code"] or None
    if out.get("daily_cap") is not None and service.id is not None:
        today = service_day(clock.now(), hall.timezone, hall.day_rollover)
        issued = session.scalar(select(DailyCounter.issued).where(
            DailyCounter.service_id == service.id, DailyCounter.service_on == today)) or 0
        if out["daily_cap"] < issued:
            raise errors.DailyCapBelowIssued(issued=issued, cap=out["daily_cap"])
    return out


def _event(session: Session, service: Service, after: dict[str, Any]) -> events.Event:
    return events.Event(events.SERVICE_UPDATED, {"service": {**service_payload(service), **after}})


def update_service(session: Session, clock: Clock, *, hall: Hall, service_code: str, changes: dict[str, Any],
                   actor: str) -> events.Outcome[dict[str, Any]]:
    """Change the given fields of a service (closing it for good is active=False: no new tickets, the waiting
    ones stay). Raises service_not_found, name_required, setting_out_of_range, daily_cap_below_issued, bad_prefix,
    prefix_taken, bad_number_range, bad_slot_quotas, bad_opening_hours, department_not_found,
    department_inactive."""
    service = load_service(session, hall, service_code)
    checked = _checked(session, clock, hall, service, {k: v for k, v in changes.items() if k in FIELDS})
    before = service_settings(session, service)
    for field, value in checked.items():
        setattr(service, field, value)
    session.flush()
    after = service_settings(session, service)
    audit(session, clock.now(), hall, actor, "service.update", f"service:{service.code}",
          before=before, after=after)
    return events.Outcome(after, (_event(session, service, after),))


def create_service(session: Session, clock: Clock, *, hall: Hall, code: str, fields: dict[str, Any], actor: str
                   ) -> events.Outcome[dict[str, Any]]:
    """A new service, open at once (kiosks list it after service.updated). Windows call it only once a window
    profile includes it. Raises bad_code, code_taken and every refusal of update_service."""
    code, name = check_code(code), check_name(fields.get("name"))
    if session.scalar(select(Service.id).where(Service.hall_id == hall.id, Service.code == code)):
        raise errors.CodeTaken(code=code)
    if not fields.get("prefix"):
        raise errors.BadPrefix()  # no default prefix: two services would print the same numbers
    service = Service(hall_id=hall.id, code=code, name="", prefix="", number_start=1, number_end=999,
                      number_wrap=False, slot_quotas=[], standard_duration_s=600, green_channel=False,
                      stop_issue_before_close_min=0, active=True)
    checked = _checked(session, clock, hall, service, {**{k: v for k, v in fields.items() if k in FIELDS},
                                                       "name": name})
    for field, value in checked.items():
        setattr(service, field, value)
    session.add(service)
    session.flush()
    after = service_settings(session, service)
    audit(session, clock.now(), hall, actor, "service.create", f"service:{code}",
          before=None, after=after)
    return events.Outcome(after, (_event(session, service, after),))
