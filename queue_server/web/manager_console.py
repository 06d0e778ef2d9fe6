"""Manager console pages (/manager): sign in (manager, admin, viewer) with the clerks' password lockout, the
prefecture overview, and one hall's live monitor with its actions and configuration panels.

Adapter: writes only through Runtime.execute (check_sign_in here; every monitor action is a /api/v1 call made by
static/manager/monitor.js with the session cookie and the X-CSRF-Token header). The reports pages call the same
sessions.manager_of_hall check.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import make_response
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import Principal
from queue_server.access.credentials import check_absent
from queue_server.access.credentials import check_password
from queue_server.access.sessions import end_account
from queue_server.clock import local_time
from queue_server.storage.catalogue import DISCLOSURE_CATEGORIES
from queue_server.storage.catalogue import ITEM_TYPES
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.web import sessions
from queue_server.web.api import services
from queue_server.web.api.citizens.remote import entrance_code_of

bp = Blueprint("manager", __name__)

CONFIGURERS = (Role.MANAGER, Role.ADMIN)


def _login_page(error: errors.HallqError | None = None, status: int = 200) -> tuple[str, int]:
    message = f"{gettext(error.title)}：{error.render_detail(gettext)}" if error is not None else None
    return render_template("manager_console/login.html", error=message, csrf_token=sessions.csrf_token(),
                           form=request.form), status


@bp.get("/manager/login")
def login_form() -> Any:
    return _login_page()


@bp.post("/manager/login")
def login() -> Any:
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        return _sign_in()
    except errors.HallqError as exc:
        return _login_page(exc, exc.status)


def _sign_in() -> Response:
    hq = services()
    user_no = request.form.get("user_no", "").strip()[:32]
    password = request.form.get("password", "")
    with hq.store.read_session() as session:
        staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
        if staff is None:
            check_absent(password)
        ok = (staff is not None and staff.active and staff.role in sessions.CONSOLE_ROLES
              and check_password(staff, password))
        staff_id = staff.id if staff is not None else None
        # The lockout is written under a hall's lock: the user's own hall, or the first hall for an admin.
        own = session.get(Hall, staff.hall_id) if staff is not None and staff.hall_id else None
        hall = own or session.scalar(select(Hall).order_by(Hall.id).limit(1))
        if hall is None:
            raise errors.HallNotFound(hall="")
        hall_code, tz = hall.code, hall.timezone
    done = hq.runtime.execute(engine.check_sign_in, hall=hall_code, user_no=user_no,
                              staff_id=staff_id if ok else None, password_ok=ok,
                              address=sessions.client_address(), page="manager")
    result: engine.SignIn = done.value
    if result.wait_s:
        raise errors.LoginSlowed(seconds=result.wait_s)
    if result.locked_until is not None:
        raise errors.LoginLocked(until=local_time(result.locked_until, tz).strftime("%H:%M"))
    if not result.ok:
        raise errors.LoginFailed(left=result.failures_left)
    with hq.store.read_session() as session:
        signed = session.get(Staff, staff_id)
        assert signed is not None
        sessions.begin_manager(signed)
    return redirect(url_for("manager.home"))


@bp.post("/manager/logout")
def logout() -> Any:
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
    except errors.CsrfFailed:
        return redirect(url_for("manager.home"))  # a stale page: home sends a signed-out user to login
    hq = services()
    with hq.store.read_session() as session:
        who = sessions.principal_for_session(session)
    if who is not None and who.staff_id is not None:
        # Signing out ends every session of the account: a cookie copied from another screen goes with it.
        end_account(hq.store, who.staff_id, hq.runtime.clock.now(), "signed_out")
    sessions.end()
    return redirect(url_for("manager.login_form"))


@bp.get("/manager")
def home() -> Any:
    """Admins of every hall get the prefecture overview; everyone else goes straight to their hall."""
    with services().store.read_session() as session:
        who = sessions.principal_for_session(session)
        if who is None or who.role not in sessions.CONSOLE_ROLES:
            return redirect(url_for("manager.login_form"))
        if who.hall_code is not None:
            return redirect(url_for("manager.monitor", hall=who.hall_code))
        halls = [(h.code, h.name) for h in session.scalars(select(Hall).order_by(Hall.id))]
    return render_template("manager_console/prefecture.html", who=who, halls=halls,
                           csrf_token=sessions.csrf_token())


def signed_in_page(hall: str, *, configure: bool) -> tuple[Principal, str, str] | Response:
    """(who, hall name, timezone) for a console page of `hall`, or where to send the browser instead: the login
    without a session, the user's home for another hall or an unknown one, the monitor for a viewer who may
    not configure."""
    with services().store.read_session() as session:
        try:
            who = sessions.manager_of_hall(session, hall)
        except errors.HallNotAllowed:
            return redirect(url_for("manager.home"))
        if who is None:
            return redirect(url_for("manager.login_form"))
        if configure and who.role not in CONFIGURERS:
            return redirect(url_for("manager.monitor", hall=hall))
        row = session.scalar(select(Hall).where(Hall.code == hall))
        if row is None:
            return redirect(url_for("manager.home"))
        return who, row.name, row.timezone


@bp.get("/manager/<code:hall>")
def monitor(hall: str) -> Any:
    page = signed_in_page(hall, configure=False)
    if isinstance(page, Response):
        return page
    who, hall_name, timezone = page
    return render_template("manager_console/monitor.html", hall=hall, hall_name=hall_name, timezone=timezone, who=who,
                           can_configure=who.role in CONFIGURERS, csrf_token=sessions.csrf_token())


@bp.get("/manager/<code:hall>/settings")
def settings(hall: str) -> Any:
    """Staff accounts, devices and alert limits (managers and admins; a viewer goes back to the monitor)."""
    page = signed_in_page(hall, configure=True)
    if isinstance(page, Response):
        return page
    who, hall_name, timezone = page
    return render_template("manager_console/settings.html", hall=hall, hall_name=hall_name, timezone=timezone,
                           who=who, can_configure=True, csrf_token=sessions.csrf_token(),
                           item_types=ITEM_TYPES, categories=DISCLOSURE_CATEGORIES)


@bp.get("/manager/<code:hall>/entrance")
def entrance_poster(hall: str) -> Any:
    """线上取号: today's entrance code as a page to print for the door (it changes every day; docs/remote-queue.md)."""
    page = signed_in_page(hall, configure=True)
    if isinstance(page, Response):
        return page
    who, hall_name, _ = page
    with services().store.read_session() as session:
        row = session.scalar(select(Hall).where(Hall.code == hall))
        assert row is not None
        entrance = entrance_code_of(row)
    resp = make_response(render_template("manager_console/entrance.html", hall=hall, hall_name=hall_name, who=who,
                                         entrance=entrance, qr=Markup(entrance["qr_svg"])))  # noqa: S704 - ours
    resp.headers["Cache-Control"] = "no-store"
    return resp
