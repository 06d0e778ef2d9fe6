"""Account routes of /api/v1: one's own password, an admin setting anyone's, lifting a clerk's sign-in lock, and
the hall's audit log (list and XLSX export).

A new password ends every session of the account (engine/setup/accounts.py), the caller's own included: the
console then sends them to sign in again with it.
"""

from __future__ import annotations

from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response
from flask import jsonify
from flask import request
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import check_password
from queue_server.access.credentials import hash_new_password
from queue_server.queries import audit
from queue_server.queries import snapshots
from queue_server.reports import export
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.openapi import Download
from queue_server.web.api.schemas.manager import AuditOut
from queue_server.web.api.schemas.manager import AuditQuery
from queue_server.web.api.schemas.manager import PasswordChange
from queue_server.web.api.schemas.manager import PasswordChanged
from queue_server.web.api.schemas.manager import PasswordSet
from queue_server.web.api.schemas.manager import Unlocked
from queue_server.web.api.schemas.reports import query_params

AUDITORS = (Role.MANAGER, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def lock_hall(staff_hall_id: int | None) -> str:
    """The hall whose write lock an account's own change runs under: its own, or the first one for an admin."""
    with services().store.read_session() as session:
        hall = session.get(Hall, staff_hall_id) if staff_hall_id is not None else None
        hall = hall or session.scalar(select(Hall).order_by(Hall.id).limit(1))
        if hall is None:
            raise errors.HallNotFound(hall="")
        return hall.code


@route("POST", "/me/password", "Change one's own password (the current one first); ends every session of it",
       request_model=PasswordChange, responses={200: PasswordChanged})
def change_own_password() -> Any:
    who = principal()
    if who.staff_id is None:
        # A device's or viewer's token has no password to change: it is a role question, not a missing account.
        raise errors.RoleRequired(roles=", ".join(r.value for r in (Role.STAFF, Role.MANAGER, Role.ADMIN)))
    req = body(PasswordChange)
    new_hash = hash_new_password(req.new)
    hq = services()
    with hq.store.read_session() as session:
        staff = session.get(Staff, who.staff_id)
        if staff is None:
            raise errors.StaffNotFound(user=who.label)
        ok, hall_id = check_password(staff, req.current), staff.hall_id
    hq.runtime.execute(engine.change_own_password, hall=lock_hall(hall_id), staff_id=who.staff_id, password_ok=ok,
                       password_hash=new_hash)
    hq.principals.clear()
    return jsonify({"user_no": who.label, "sessions_ended": True})


@route("POST", "/accounts/{user}/password", "An admin sets any account's password (staff of any hall, admins)",
       request_model=PasswordSet, responses={200: PasswordChanged})
def set_any_password(user: str) -> Any:
    who = principal()
    if who.role != Role.ADMIN:
        raise errors.RoleRequired(roles=Role.ADMIN.value)
    req = body(PasswordSet)
    hq = services()
    with hq.store.read_session() as session:
        staff = session.scalar(select(Staff).where(Staff.user_no == user))
        hall_id = staff.hall_id if staff is not None else None
    hq.runtime.execute(engine.reset_any_password, hall=lock_hall(hall_id), user_no=user,
                       password_hash=hash_new_password(req.password), actor=who.label)
    hq.principals.clear()
    return jsonify({"user_no": user, "sessions_ended": True})


@route("POST", "/halls/{hall}/staff/{user}/unlock", "Lift a clerk's sign-in lock from every address",
       responses={200: Unlocked}, body_required=False)
def unlock(hall: str, user: str) -> Any:
    who = principal()
    who.require(hall, *AUDITORS)
    done = services().runtime.execute(engine.unlock_sign_in, hall=hall, user_no=user, actor=who.label)
    return jsonify({"user_no": user, "cleared": done.value})


def audit_entries(hall: str, query: AuditQuery, limit: int) -> tuple[list[dict[str, Any]], list[str], str]:
    with services().store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        tz = ZoneInfo(row.timezone)
        since = datetime.combine(query.from_on, time(), tz) if query.from_on else None
        until = datetime.combine(query.to_on + timedelta(days=1), time(), tz) if query.to_on else None
        found = audit.entries(session, row, actor=query.actor, action=query.action, target=query.target,
                              since=since, until=until, before_id=query.before, limit=limit)
        return found, audit.actions(session, row), row.timezone


@route("GET", "/halls/{hall}/audit", "The hall's audit log, newest first, filtered by who, what, when, target",
       responses={200: AuditOut}, query=query_params(AuditQuery))
def audit_log(hall: str) -> Any:
    principal().require(hall, *AUDITORS)
    query = AuditQuery.model_validate(request.args.to_dict())
    found, actions, _ = audit_entries(hall, query, audit.PAGE)
    next_before = found[-1]["id"] if len(found) == audit.PAGE else None
    return jsonify({"entries": found, "actions": actions, "next_before": next_before})


@route("GET", "/halls/{hall}/audit/export", "The filtered audit log as an XLSX file",
       responses={200: Download((XLSX,))}, query=query_params(AuditQuery))
def audit_export(hall: str) -> Any:
    principal().require(hall, *AUDITORS)
    query = AuditQuery.model_validate(request.args.to_dict())
    found, _, tz = audit_entries(hall, query, 100_000)
    zone = ZoneInfo(tz)
    rows = [[datetime.fromisoformat(e["at"]).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), e["actor"],
             e["action"], e["target"], export.compact_json(e["data"])] for e in found]
    data = export.workbook("审计日志 audit", ["时间 time", "操作人 actor", "操作 action", "对象 target",
                                             "内容 data"], rows)
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="hallq-audit-{hall}.xlsx"'
    response.headers["Cache-Control"] = "no-store"
    return response
