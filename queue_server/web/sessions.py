"""Browser sessions of the web consoles: the signed Flask cookie that carries a session's random id, its CSRF
token, and the Principal the session stands for.

The session itself is a row (access/sessions.py): signing out, a password change or reset and a deactivation end
every session of the account at once in every process, an idle limit and a 12-hour lifetime end it by themselves,
and a copied cookie is worth nothing afterwards. Before sign-in the cookie holds only the login form's CSRF token.

Own CSRF implementation instead of Flask-WTF: the consoles post two forms and otherwise send JSON from their own
JS, so a per-session random token compared in constant time (form field `csrf_token` or header `X-CSRF-Token`)
is all that is needed. The cookie is HttpOnly and SameSite=Lax (set in app.py), which already stops cross-site
POSTs in current browsers; the token covers the rest.

A session is either a clerk's (at a window) or a manager console user's (a manager, admin or viewer).
`manager_of_hall` is the one check every /manager page (monitor, reports) calls.

Adapter module: imports Flask; writes only session rows (sign-in and sign-out themselves run through
Runtime.execute in staff_console and manager_console).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from flask import current_app
from flask import g
from flask import request
from flask import session
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server.access import sessions as records
from queue_server.access.credentials import Principal
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.models import Window

CSRF_KEY = "csrf"
SESSION_KEY = "sid"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Who may sign in to /manager: viewers only watch; managers and admins also configure (checked per route).
CONSOLE_ROLES = (Role.MANAGER, Role.ADMIN, Role.VIEWER)
_CURRENT = "hallq_session"  # g's key for the request's resolved session, looked up once


def _hq() -> Any:
    return current_app.extensions["hallq"]


def client_address() -> str:
    """The browser's address: nginx's X-Real-IP when the request came from nginx on this machine (a loopback
    peer), else the peer itself. A header from anywhere else is ignored: a client could forge it."""
    peer = request.remote_addr or ""
    forwarded = request.headers.get("X-Real-IP", "").strip()
    if forwarded and (peer.startswith("127.") or peer == "::1"):
        return forwarded[:64]
    return peer[:64]


def _now() -> Any:
    return _hq().runtime.clock.now()


def _record(db: Session) -> records.Current | None:
    if _CURRENT not in g:
        found = records.current(db, session.get(SESSION_KEY), _now())
        setattr(g, _CURRENT, found)
        if found is not None:
            records.touch(_hq().store, found, _now())
    return g.get(_CURRENT)  # type: ignore[no-any-return]


def csrf_token() -> str:
    """The signed-in session's token, or the login form's before sign-in."""
    with _hq().store.read_session() as db:
        found = _record(db)
    if found is not None:
        return found.csrf
    token = session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return str(token)


def check_csrf(sent: str | None) -> None:
    """Raise csrf_failed unless `sent` equals this session's token."""
    expected = csrf_token()
    if not sent or not hmac.compare_digest(str(expected), sent):
        raise errors.CsrfFailed()


def check_request_csrf() -> None:
    """State-changing requests carry the token in the X-CSRF-Token header (JS) or the csrf_token form field."""
    if request.method in SAFE_METHODS:
        return
    check_csrf(request.headers.get(CSRF_HEADER) or request.form.get("csrf_token"))


def _begin(staff: Staff, kind: str, window: Window | None, hall: Hall | None) -> None:
    hq = _hq()
    opened = records.open_session(hq.store, hq.runtime.clock.now(), staff_id=staff.id, kind=kind,
                                  window_id=window.id if window else None, address=client_address())
    session.clear()  # a new id and token at every sign-in: no fixation across logins
    session[SESSION_KEY] = opened.token
    if hall is not None:
        session["hall"] = hall.code
    g.pop(_CURRENT, None)


def begin(staff: Staff, window: Window, hall: Hall) -> None:
    """Start a session for a clerk signed in at a window."""
    _begin(staff, records.CLERK, window, hall)


def begin_manager(staff: Staff) -> None:
    """Start a manager console session."""
    _begin(staff, records.CONSOLE, None, None)


def end(reason: str = "signed_out") -> None:
    """End this browser's session (its row too) and forget the cookie."""
    records.end_one(_hq().store, session.get(SESSION_KEY), _now(), reason)
    session.clear()
    g.pop(_CURRENT, None)


def principal_for_session(db: Session) -> Principal | None:
    """The clerk behind the session cookie, as a staff principal bound to the window they signed in at, or the
    manager console's user. None once the session ended (sign-out, password change or reset, deactivation, idle,
    lifetime), someone else took the window, or the account was deactivated."""
    found = _record(db)
    if found is None:
        return None
    if found.kind == records.CONSOLE:
        return _manager_principal(db, found.staff_id)
    window = db.get(Window, found.window_id) if found.window_id is not None else None
    staff = db.get(Staff, found.staff_id)
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
