"""A workbook imported into a hall as one op in one transaction: every row is checked and, where it differs from
the hall, written through the same engine op the console uses (so every rule, audit entry and event is the
console's). A refusal of any row is reported against its cell and the whole import rolls back; a dry run rolls
back too. Rows that equal the hall write nothing, so importing the same workbook twice changes nothing the
second time. Items the workbook does not list are left as they are (nothing is deleted; 在用=否 retires one).

Staff accounts are created without a password (an unusable hash): nobody can sign in with one until an operator
sets its password (`hallq user password`, or a manager's reset). 办事指南 are shared by every hall; their change
events go to this hall's outbox only (other halls read the new text on their next load).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server import events
from queue_server.catalogue import edits
from queue_server.catalogue import index
from queue_server.clock import Clock
from queue_server.engine.booking import plans
from queue_server.engine.setup.accounts import HALL_ROLES
from queue_server.engine.setup.configuration import window_services
from queue_server.engine.setup.hours import WEEKDAYS
from queue_server.engine.setup.services import service_settings
from queue_server.provisioning import workbook
from queue_server.provisioning.reading import CellError
from queue_server.provisioning.reading import Item
from queue_server.provisioning.reading import error
from queue_server.provisioning.reading import items
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Window

# werkzeug's check refuses a hash without its "method$salt$hash" form: no password opens an imported account.
NO_PASSWORD = "!imported: no password set"
CATALOGUE = Path(__file__).resolve().parents[1] / "translations/zh_Hans/LC_MESSAGES/messages.po"
# Which column an engine refusal is about, by its code (else its `field`, else the row's first column).
COLUMN_OF = {
    "bad_code": "code", "code_taken": "code", "name_required": "name", "bad_prefix": "prefix",
    "prefix_taken": "prefix", "bad_number_range": "number_end", "department_not_found": "department",
    "department_inactive": "department", "daily_cap_below_issued": "daily_cap", "window_number_taken": "number",
    "window_profile_empty": "number", "bad_user_no": "user_no", "user_no_taken": "user_no",
    "role_not_assignable": "role", "bad_guide_code": "code", "bad_item_type": "item_type", "bad_target": "target",
    "bad_materials": "materials", "bad_process": "process", "bad_fee": "fee", "bad_faq": "faq",
}
SERVICE_FIELDS = ("name", "prefix", "number_start", "number_end", "number_wrap", "daily_cap", "standard_duration_s",
                  "department", "guide_code", "warning_threshold", "person_limit", "stop_issue_before_close_min",
                  "green_channel", "active", "slot_quotas", "opening_hours")


@lru_cache(maxsize=1)
def _zh() -> dict[str, str]:
    with CATALOGUE.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id and m.string}


def reason(exc: errors.HallqError) -> str:
    """An engine refusal as the Chinese sentence the console would show."""
    zh = _zh()
    return exc.render_detail(lambda msgid: zh.get(msgid, msgid))


@dataclass
class Result:
    """What an import changed (or, in a dry run, would change): per sheet title, rows created and updated."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    def count(self, sheet_key: str, created: bool) -> None:
        bucket = self.created if created else self.updated
        title = workbook.BY_KEY[sheet_key].title
        bucket[title] = bucket.get(title, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "dry_run": self.dry_run, "changed": self.changed}


class DryRunDone(Exception):
    """Raised at the end of a dry run's op so the runtime rolls everything back; carries the result."""

    def __init__(self, result: Result) -> None:
        super().__init__("dry run")
        self.result = result


class SetupRefused(errors.HallqError):
    """setup_invalid with its cells (the registered error's code, title and detail)."""

    code = errors.SetupInvalid.code
    status = errors.SetupInvalid.status
    title = errors.SetupInvalid.title
    detail = errors.SetupInvalid.detail

    def __init__(self, cells: list[CellError]) -> None:
        super().__init__(count=len(cells))
        self.cells = cells


class _Import:
    def __init__(self, session: Session, clock: Clock, hall: Hall, actor: str, broken: set[tuple[str, str]]
                 ) -> None:
        self.session, self.clock, self.hall, self.actor = session, clock, hall, actor
        # (sheet, key) of rows already reported: a reference to one is not reported again.
        self.broken = broken
        self.problems: list[CellError] = []
        self.events: list[events.Event] = []
        self.result = Result()

    def op(self, item: Item, created: bool, fn: Callable[..., events.Outcome[Any]], **kwargs: Any) -> bool:
        """Run one engine op for one row; a refusal becomes the row's cell problem."""
        try:
            outcome = fn(self.session, self.clock, hall=self.hall, actor=self.actor, **kwargs)
        except errors.HallqError as exc:
            self.refused(item, exc)
            return False
        self.events += outcome.events
        self.result.count(item.sheet, created)
        return True

    def refused(self, item: Item, exc: errors.HallqError) -> None:
        sheet = workbook.BY_KEY[item.sheet]
        keys = [c.key for c in sheet.columns]
        column = COLUMN_OF.get(exc.code) or str(exc.data.get("field", ""))
        if column not in keys:
            column = keys[0]
        self.problems.append(error(item.sheet, item.row, column, reason(exc)))
        self.broken.add((item.sheet, str(item.values[keys[0]])))


def _hours(rows: list[Item]) -> dict[str, list[list[str]]]:
    given = {r.values["weekday"]: r.values["intervals"] for r in rows}
    return {day: given.get(day, []) for day in WEEKDAYS}


def _departments(run: _Import, rows: list[Item]) -> None:
    s, hall = run.session, run.hall
    for item in rows:
        v = item.values
        row = s.scalar(select(Department).where(Department.hall_id == hall.id, Department.code == v["code"]))
        if row is None:
            if run.op(item, True, engine.create_department, code=v["code"], name=v["name"]) and not v["active"]:
                run.op(item, False, engine.update_department, code=v["code"], changes={"active": False})
            continue
        changes = {k: v[k] for k in ("name", "active") if getattr(row, k) != v[k]}
        if changes:
            run.op(item, False, engine.update_department, code=v["code"], changes=changes)


def _priorities(run: _Import, rows: list[Item]) -> None:
    s, hall = run.session, run.hall
    for item in rows:
        v = item.values
        row = s.scalar(select(PriorityCategory).where(PriorityCategory.hall_id == hall.id,
                                                      PriorityCategory.code == v["code"]))
        if row is None:
            run.op(item, True, engine.create_priority, code=v["code"], name=v["name"], weight=v["weight"])
            continue
        changes = {k: v[k] for k in ("name", "weight") if getattr(row, k) != v[k]}
        if changes:
            run.op(item, False, engine.update_priority, code=v["code"], changes=changes)


def _guides(run: _Import, rows: list[Item]) -> None:
    for item in rows:
        fields = {k: val for k, val in item.values.items() if k != "code"}
        guide = index.guide_by_code(run.session, item.values["code"])
        if guide is None:
            run.op(item, True, edits.create_guide, code=item.values["code"], fields=fields)
            continue
        try:
            changes = edits.guide_changes(run.session, run.hall, guide, fields)
        except errors.HallqError as exc:
            run.refused(item, exc)
            continue
        if changes:
            run.op(item, False, edits.update_guide, code=guide.code, changes=changes)


def _services(run: _Import, rows: list[Item], slots: list[Item], hours: list[Item], guides: set[str],
              broken: set[tuple[str, str]]) -> None:
    s, hall = run.session, run.hall
    codes = {r.values["code"] for r in rows}
    for item in [*slots, *hours]:
        code = item.values["service"]
        if code is not None and code not in codes and ("services", code) not in broken:
            run.problems.append(error(item.sheet, item.row, "service", f"事项编码“{code}”不在“事项”表中"))
    for item in rows:
        v = dict(item.values)
        if v["guide_code"] and v["guide_code"] not in guides and index.guide_by_code(s, v["guide_code"]) is None:
            if ("guides", v["guide_code"]) not in broken:
                run.problems.append(error("services", item.row, "guide_code",
                                          f"办事指南“{v['guide_code']}”不存在（请在“办事指南”表中列出）"))
            continue
        v["slot_quotas"] = [{"start": r.values["start"], "end": r.values["end"], "limit": r.values["limit"]}
                            for r in slots if r.values["service"] == v["code"]]
        own = [r for r in hours if r.values["service"] == v["code"]]
        v["opening_hours"] = _hours(own) if own else None
        service = s.scalar(select(Service).where(Service.hall_id == hall.id, Service.code == v["code"]))
        if service is None:
            run.op(item, True, engine.create_service, code=v["code"], fields={k: v[k] for k in SERVICE_FIELDS})
            continue
        current = service_settings(s, service)
        changes = {k: v[k] for k in SERVICE_FIELDS if current[k] != v[k]}
        if changes:
            run.op(item, False, engine.update_service, service_code=v["code"], changes=changes)


def _booking(run: _Import, rows: list[Item], services: list[Item], broken: set[tuple[str, str]]) -> None:
    """Each listed service's booking plan, set when it differs; services the sheet does not list keep theirs."""
    known = {r.values["code"] for r in services}
    by_service: dict[str, list[Item]] = {}
    for item in rows:
        code = item.values["service"]
        if ("services", code) in broken:
            continue  # its own row is already reported
        if code not in known and run.session.scalar(
                select(Service.id).where(Service.hall_id == run.hall.id, Service.code == code)) is None:
            run.problems.append(error("booking", item.row, "service", f"事项编码“{code}”不在“事项”表中"))
            continue
        by_service.setdefault(code, []).append(item)
    for code, listed in by_service.items():
        first = listed[0].values
        days: dict[str, list[dict[str, Any]]] = {}
        for item in listed:
            v = item.values
            days.setdefault(v["weekday"], []).append(
                {"start": v["start"], "end": v["end"], "minutes": v["minutes"], "capacity": v["capacity"]})
        horizon, cutoff = first["horizon_days"], first["cutoff_min"]
        plan = {"days": days, "horizon_days": plans.DEFAULT_HORIZON_DAYS if horizon is None else horizon,
                "cutoff_min": plans.DEFAULT_CUTOFF_MIN if cutoff is None else cutoff}
        service = run.session.scalar(select(Service).where(Service.hall_id == run.hall.id, Service.code == code))
        try:
            wanted = plans.check_plan(plan)
        except errors.HallqError as exc:
            run.refused(listed[0], exc)
            continue
        if service is None or service.booking != wanted:  # a service the same import creates has none yet
            run.op(listed[0], service is None or service.booking is None, plans.set_plan, service_code=code,
                   plan=plan)


def _calendar(run: _Import, hours: list[Item], days: list[Item]) -> None:
    s, hall = run.session, run.hall
    own = [r for r in hours if r.values["service"] is None]
    if own:
        wanted = _hours(own)
        if {d: (hall.opening_hours or {}).get(d, []) for d in WEEKDAYS} != wanted:
            run.op(own[0], False, engine.set_opening_hours, opening_hours=wanted)
    for item in days:
        v = item.values
        row = s.scalar(select(CalendarDay).where(CalendarDay.hall_id == hall.id, CalendarDay.day == v["day"]))
        if row is None or (row.kind, row.name) != (v["kind"], v["name"].strip()):
            run.op(item, row is None, engine.set_calendar_day, day=v["day"], kind=v["kind"], name=v["name"])


def _windows(run: _Import, rows: list[Item], profiles: list[Item], broken: set[tuple[str, str]]) -> None:
    s, hall = run.session, run.hall
    numbers = {r.values["number"] for r in rows}
    # A window row whose 窗口号 could not be read may be the one a profile row names: no second report then.
    unreadable = any(sheet == "windows" for sheet, _ in broken)
    for item in profiles:
        if item.values["window"] not in numbers and not unreadable:
            run.problems.append(error("profiles", item.row, "window",
                                      f"窗口号 {item.values['window']} 不在“窗口”表中"))
    for item in rows:
        v = item.values
        mine = [r for r in profiles if r.values["window"] == v["number"]]
        missing = [r for r in mine if s.scalar(select(Service.id).where(
            Service.hall_id == hall.id, Service.code == r.values["service"])) is None]
        for r in missing:
            if ("services", r.values["service"]) not in broken:
                run.problems.append(error("profiles", r.row, "service", f"事项编码“{r.values['service']}”不存在"))
        if missing:
            continue
        if not mine:
            run.problems.append(error("windows", item.row, "number", "窗口在“窗口事项”表中没有办理事项"))
            continue
        profile = [{"service": r.values["service"], "weight": r.values["weight"]} for r in mine]
        window = s.scalar(select(Window).where(Window.hall_id == hall.id, Window.number == v["number"]))
        if window is None:
            run.op(item, True, engine.create_window, number=v["number"], name=v["name"], zone=v["zone"],
                   profile=profile)
            continue
        changes = {k: v[k] for k in ("name", "zone") if getattr(window, k) != v[k]}
        if changes:
            run.op(item, False, engine.update_window, window_number=v["number"], changes=changes)
        if window_services(window) != profile:
            run.op(mine[0], False, engine.set_window_services, window_number=v["number"], profile=profile)


def _staff(run: _Import, rows: list[Item]) -> None:
    s, hall = run.session, run.hall
    for item in rows:
        v = item.values
        role = Role(v["role"])
        staff = s.scalar(select(Staff).where(Staff.user_no == v["user_no"]))
        if staff is None:
            if run.op(item, True, engine.create_staff, user_no=v["user_no"], name=v["name"], role=role,
                      password_hash=NO_PASSWORD) and not v["active"]:
                run.op(item, False, engine.update_staff, user_no=v["user_no"], changes={"active": False},
                       password_hash=None)
            continue
        if staff.hall_id != hall.id or staff.role not in HALL_ROLES:
            run.problems.append(error("staff", item.row, "user_no", "该工号已属于其他大厅或系统管理员"))
            continue
        changes = {k: val for k, val in (("name", v["name"]), ("role", role), ("active", v["active"]))
                   if getattr(staff, k) != val}
        if changes:
            run.op(item, False, engine.update_staff, user_no=v["user_no"],
                   changes={k: (val.value if isinstance(val, Role) else val) for k, val in changes.items()},
                   password_hash=None)


def import_setup(session: Session, clock: Clock, *, hall: Hall, sheets: workbook.Sheets,
                 header_problems: list[CellError], actor: str, dry_run: bool) -> events.Outcome[Result]:
    """The op (run it with Runtime.execute). Raises SetupRefused with every bad cell, DryRunDone after a dry run
    (both roll back); otherwise returns what changed, with the events of every op it ran."""
    rows, problems, broken = items(sheets)
    run = _Import(session, clock, hall, actor, broken)
    run.problems += header_problems + problems
    get: Callable[[str], list[Item]] = lambda key: rows.get(key, [])  # noqa: E731 - a one-line lookup
    _departments(run, get("departments"))
    _priorities(run, get("priorities"))
    _guides(run, get("guides"))
    guides = {r.values["code"] for r in get("guides")}
    _services(run, get("services"), get("slots"), get("hours"), guides, broken)
    _booking(run, get("booking"), get("services"), broken)
    _calendar(run, get("hours"), get("calendar"))
    _windows(run, get("windows"), get("profiles"), broken)
    _staff(run, get("staff"))
    if run.problems:
        order = {s.title: i for i, s in enumerate(workbook.SHEETS)}
        raise SetupRefused(sorted(run.problems, key=lambda p: (order.get(p.sheet, -1), p.row)))
    run.result.dry_run = dry_run
    if dry_run:
        raise DryRunDone(run.result)
    return events.Outcome(run.result, tuple(run.events))
