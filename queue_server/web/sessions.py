"""Browser sessions of the web consoles: the signed Flask session cookie, its CSRF token, and the Principal it
stands for.

Own CSRF implementation instead of Flask-WTF: the consoles post two forms and otherwise send JSON from their own
JS, so a per-session random token compared in constant time (form field `csrf_token` or header `X-CSRF-Token`)
is all that is needed; Flask-WTF would add WTForms for nothing. The session cookie is HttpOnly and SameSite=Lax
(set in app.py), which already stops cross-site POSTs in current browsers; the token covers the rest.

A session is either a clerk's (staff_id + window_id) or a manager console user's (manager_id: a manager, admin or
viewer). `manager_of_hall` is the one check every /manager page (monitor, reports) calls.

Adapter module: imports Flask; writes nothing (sign-in and sign-out run through Runtime.execute in staff_console
and manager_console).
"""

from __future__ import annotations

import hmac
import secrets

from flask import request
from flask import session
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server.access.credentials import Principal
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.models import Window

CSRF_KEY = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MANAGER_KEY = "manager_id"
# Who may sign in to /manager: viewers only watch; managers and admins also configure (checked per route).
CONSOLE_ROLES = (Role.MANAGER, Role.ADMIN, Role.VIEWER)


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return str(token)


def check_csrf(sent: str | None) -> None:
    """Raise csrf_failed unless `sent` equals this session's token."""
    expected = session.get(CSRF_KEY)
    if not expected or not sent or not hmac.compare_digest(str(expected), sent):
        raise errors.CsrfFailed()


def check_request_csrf() -> None:
    """State-changing requests carry the token in the X-CSRF-Token header (JS) or the csrf_token form field."""
    if request.method in SAFE_METHODS:
        return
    check_csrf(request.headers.get(CSRF_HEADER) or request.form.get("csrf_token"))


def begin(staff: Staff, window: Window, hall: Hall) -> None:
    """Start a fresh session for a signed-in clerk (a new CSRF token too: no fixation across logins)."""
    session.clear()
    session.update({"staff_id": staff.id, "window_id": window.id, "hall": hall.code,
                    CSRF_KEY: secrets.token_urlsafe(32)})


def begin_manager(staff: Staff) -> None:
    """Start a fresh manager console session (new CSRF token: no fixation across logins)."""
    session.clear()
    session.update({MANAGER_KEY: staff.id, CSRF_KEY: secrets.token_urlsafe(32)})


def end() -> None:
    session.clear()


def signed_in() -> tuple[int, int, str] | None:
    """(staff_id, window_id, hall code) from the cookie, unverified."""
    staff_id, window_id, hall = session.get("staff_id"), session.get("window_id"), session.get("hall")
    if not isinstance(staff_id, int) or not isinstance(window_id, int) or not isinstance(hall, str):
        return None
    return staff_id, window_id, hall


def principal_for_session(db: Session) -> Principal | None:
    """The clerk behind the session cookie, as a staff principal bound to the window they signed in at, or the
    manager console's user. None once they signed out, someone else took the window, or the account was
    deactivated."""
    manager_id = session.get(MANAGER_KEY)
    if isinstance(manager_id, int):
        return _manager_principal(db, manager_id)
    found = signed_in()
    if found is None:
        return None
    staff_id, window_id, _ = found
    window = db.get(Window, window_id)
    staff = db.get(Staff, staff_id)
    if window is None or staff is None or not staff.active or window.staff_id != staff.id:
        return None
    hall = db.get(Hall, window.hall_id)
    assert hall is not None
    return Principal(role=Role.STAFF, hall_id=hall.id, hall_code=hall.code, window_id=window.id,
                     window_number=window.number, staff_id=staff.id, label=staff.user_no)


def _manager_principal(db: Session, staff_id: int) -> Principal | None:
    staff = db.get(Staff, staff_id)
    if staff is None or not staff.active or staff.role not in CONSOLE_ROLES:
        return None
    hall = db.get(Hall, staff.hall_id) if staff.hall_id is not None else None
    return Principal(role=staff.role, hall_id=hall.id if hall else None, hall_code=hall.code if hall else None,
                     window_id=None, window_number=None, staff_id=staff.id, label=staff.user_no)


def manager_of_hall(db: Session, hall_code: str) -> Principal | None:
    """The signed-in manager, admin or viewer who may watch hall `hall_code`; None when nobody of those roles is
    signed in (the page sends them to /manager/login). Raises hall_not_allowed for another hall's manager."""
    who = principal_for_session(db)
    if who is None or who.role not in CONSOLE_ROLES:
        return None
    if not who.may_access_hall(hall_code):
        raise errors.HallNotAllowed(hall=hall_code)
    return who
