"""Pages of one's own account and of the hall's audit log: /account/password (every signed-in clerk, manager,
admin or viewer), /manager/<hall>/audit (managers of the hall, admins); and the red banner every console shows
while an account still has the demo's printed password.

Adapter: the password change is the /api/v1/me/password route's op, run through Runtime.execute; the audit page
reads through queries/audit.py. Server-rendered forms, no script.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from pydantic import ValidationError
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import PASSWORD_MIN
from queue_server.access.credentials import check_password
from queue_server.access.credentials import hash_new_password
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.ttlcache import TTLCache
from queue_server.web import sessions
from queue_server.web.api import services
from queue_server.web.api.accounts import AUDITORS
from queue_server.web.api.accounts import audit_entries
from queue_server.web.api.accounts import lock_hall
from queue_server.web.api.schemas.manager import AuditQuery

bp = Blueprint("account", __name__)
_demo_in_use = TTLCache(timedelta(seconds=10))


@bp.app_context_processor
def _demo_banner() -> dict[str, Any]:
    """`demo_passwords` for every template: true while any active account still has the demo's password."""

    def check() -> bool:
        hq = services()
        now = hq.runtime.clock.now()
        cached = _demo_in_use.get("any", now)
        if cached is not None:
            return cached
        with hq.store.read_session() as db:
            found = db.scalar(select(Staff.id).where(Staff.password_is_demo, Staff.active).limit(1)) is not None
        _demo_in_use.put("any", found, now)
        return found

    return {"demo_passwords": check}


@bp.app_template_filter("local_time")
def _local_time(instant: str, timezone: str) -> str:
    """An ISO instant as the hall's wall-clock time (the audit page shows the hall's own time)."""
    return datetime.fromisoformat(instant).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M:%S")


def _who() -> Any:
    with services().store.read_session() as db:
        return sessions.principal_for_session(db)


@bp.get("/account/password")
def password_form() -> Any:
    who = _who()
    if who is None:
        return redirect(url_for("staff.login_form"))
    return render_template("account/password.html", who=who, error=None, minimum=PASSWORD_MIN,
                           csrf_token=sessions.csrf_token())


@bp.post("/account/password")
def change_password() -> Any:
    who = _who()
    if who is None or who.staff_id is None:
        return redirect(url_for("staff.login_form"))
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        new, again = request.form.get("new", ""), request.form.get("again", "")
        if new != again:
            raise errors.PasswordsDiffer()
        new_hash = hash_new_password(new)
        hq = services()
        with hq.store.read_session() as db:
            staff = db.get(Staff, who.staff_id)
            assert staff is not None
            ok, hall_id = check_password(staff, request.form.get("current", "")), staff.hall_id
        hq.runtime.execute(engine.change_own_password, hall=lock_hall(hall_id), staff_id=who.staff_id,
                           password_ok=ok, password_hash=new_hash)
    except errors.HallqError as exc:
        message = f"{gettext(exc.title)}：{exc.render_detail(gettext)}"
        return render_template("account/password.html", who=who, error=message, minimum=PASSWORD_MIN,
                               csrf_token=sessions.csrf_token()), exc.status
    _demo_in_use.clear()
    sessions.end("password_changed")
    login = "manager.login_form" if who.role != Role.STAFF else "staff.login_form"
    return redirect(url_for(login, changed=1))


@bp.get("/manager/<code:hall>/audit")
def audit_page(hall: str) -> Any:
    who = _who()
    if who is None or who.role not in sessions.CONSOLE_ROLES:
        return redirect(url_for("manager.login_form"))
    try:
        who.require(hall, *AUDITORS)
        query = AuditQuery.model_validate(request.args.to_dict())
    except errors.HallqError as exc:
        return render_template("account/audit.html", who=who, hall=hall, error=gettext(exc.title), entries=[],
                               actions=[], query=None, csrf_token=sessions.csrf_token()), exc.status
    except ValidationError:
        query = AuditQuery()
    entries, actions, timezone = audit_entries(hall, query, 200)
    return render_template("account/audit.html", who=who, hall=hall, error=None, entries=entries, actions=actions,
                           query=query, timezone=timezone, csrf_token=sessions.csrf_token(),
                           args=request.args.to_dict())
