"""Staff console pages (/staff): sign in at a window with 工号 and password, the console page, sign out; and the
rating tablet page (/staff/rater) with the citizen's QR rating page (/rate/<token>).

Adapter: writes only through Runtime.execute (sign_in, sign_out); every console action is a /api/v1 call made by
static/staff/console.js with the session cookie and the X-CSRF-Token header.
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
from sqlalchemy import select
from werkzeug.wrappers import Response

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import check_absent
from queue_server.access.credentials import check_password
from queue_server.clock import local_time
from queue_server.queries import snapshots
from queue_server.storage.models import Hall
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.ratings import LEVELS
from queue_server.storage.ratings import REASON_TAGS
from queue_server.web import sessions
from queue_server.web.api import services

bp = Blueprint("staff", __name__)


def _halls_and_windows(hall_code: str | None) -> tuple[Hall | None, list[Window]]:
    with services().store.read_session() as session:
        stmt = select(Hall).order_by(Hall.id)
        hall = session.scalar(stmt.where(Hall.code == hall_code) if hall_code else stmt.limit(1))
        if hall is None:
            return None, []
        windows = list(session.scalars(select(Window).where(Window.hall_id == hall.id).order_by(Window.number)))
        session.expunge_all()
        return hall, windows


def _login_page(error: errors.HallqError | None = None, status: int = 200) -> tuple[str, int]:
    hall, windows = _halls_and_windows(request.values.get("hall"))
    message = None
    if error is not None:
        message = f"{gettext(error.title)}：{error.render_detail(gettext)}"
    return render_template("staff_console/login.html", hall=hall, windows=windows, error=message,
                           csrf_token=sessions.csrf_token(), form=request.form), status


@bp.get("/staff/login")
def login_form() -> Any:
    return _login_page()


def _password_ok(staff: Staff | None, hall: Hall, password: str) -> bool:
    if staff is None:
        check_absent(password)
        return False
    return staff.active and staff.hall_id in (hall.id, None) and check_password(staff, password)


@bp.post("/staff/login")
def login() -> Any:
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        return _sign_in()
    except errors.HallqError as exc:
        return _login_page(exc, exc.status)


def _sign_in() -> Response:
    hq = services()
    user_no = request.form.get("user_no", "").strip()[:32]
    window_no = request.form.get("window", "")
    hall, _ = _halls_and_windows(request.form.get("hall"))
    if hall is None:
        raise errors.HallNotFound(hall=request.form.get("hall", ""))
    if not window_no.isdigit():
        raise errors.WindowNotFound(hall=hall.code, window=window_no)
    with hq.store.read_session() as session:
        staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
        ok = _password_ok(staff, hall, request.form.get("password", ""))
        staff_id = staff.id if staff is not None else None
    done = hq.runtime.execute(engine.sign_in, hall=hall.code, user_no=user_no, staff_id=staff_id if ok else None,
                              password_ok=ok, window_number=int(window_no), address=sessions.client_address(),
                              page="staff")
    result: engine.SignIn = done.value
    if result.wait_s:
        raise errors.LoginSlowed(seconds=result.wait_s)
    if result.locked_until is not None:
        until = local_time(result.locked_until, hall.timezone).strftime("%H:%M")
        raise errors.LoginLocked(until=until)
    if not result.ok:
        raise errors.LoginFailed(left=result.failures_left)
    with hq.store.read_session() as session:
        staff = session.get(Staff, staff_id)
        window = session.get(Window, result.window.id if result.window else 0)
        assert staff is not None and window is not None
        sessions.begin(staff, window, hall)
    return redirect(url_for("staff.console"))


@bp.post("/staff/logout")
def logout() -> Any:
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
    except errors.CsrfFailed:
        # A stale page (session gone or replaced): show the console, which sends a signed-out clerk to login.
        return redirect(url_for("staff.console"))
    hq = services()
    with hq.store.read_session() as session:
        who = sessions.principal_for_session(session)
    if who is not None and who.hall_code and who.window_number is not None and who.staff_id is not None:
        hq.runtime.execute(engine.sign_out, hall=who.hall_code, window_number=who.window_number,
                           staff_id=who.staff_id)
    hall = who.hall_code if who else None
    sessions.end()
    return redirect(url_for("staff.login_form", hall=hall) if hall else url_for("staff.login_form"))


@bp.get("/staff")
def console() -> Any:
    hq = services()
    with hq.store.read_session() as session:
        who = sessions.principal_for_session(session)
        staff = session.get(Staff, who.staff_id) if who and who.staff_id else None
        window = session.get(Window, who.window_id) if who and who.window_id else None
        if who is None or staff is None or window is None:
            sessions.end()
            return redirect(url_for("staff.login_form"))
        return render_template("staff_console/console.html", hall=who.hall_code, window=window, staff=staff,
                               csrf_token=sessions.csrf_token())


@bp.get("/staff/rater")
def rater() -> Any:
    """The rating tablet; its device token is kept in localStorage since pairing (/pair), never in the address."""
    return render_template("staff_console/rater.html", levels=LEVELS, tags=REASON_TAGS)


@bp.get("/rate/<token>")
def rate_by_qr(token: str) -> Any:
    """The citizen rates on their phone (QR code on the ticket and the phone page). The page names the visit it
    rates (ticket, service, "3号 综合窗口", the clerk's 工号, when it ended) and says so once it is rated."""
    hq = services()
    ticket_no, visit = None, None
    with hq.store.read_session() as session:
        try:
            tracked = snapshots.track(session, token, hq.runtime.clock.now())
            ticket_no, visit = tracked.ticket.ticket_no, tracked.visit
        except errors.TicketNotFound:
            pass
    resp = make_response(render_template("staff_console/rate_qr.html", levels=LEVELS, tags=REASON_TAGS, token=token,
                                         ticket_no=ticket_no, visit=visit))
    resp.headers["Cache-Control"] = "no-store"  # rated a moment ago: never show the levels again from a cache
    return resp
