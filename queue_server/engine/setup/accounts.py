"""Staff accounts of a hall managed from the manager console: create, rename, change role, reset password,
deactivate. Audited (never the password hash) and announced (staff.updated). A deactivated clerk leaves their
window at once (window.signed_out), so the window screen stops showing their 工号.

The adapter hashes passwords (werkzeug); the op receives only the hash.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.accounts import LoginFailure
from queue_server.storage.accounts import end_sessions
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState

USER_NO = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")
# Roles given within a hall from the console. Admins have no hall and are made with `hallq user create`, so a
# hall manager can never raise anyone (or themselves) above a hall.
HALL_ROLES = (Role.STAFF, Role.VIEWER, Role.MANAGER)


def staff_payload(staff: Staff) -> dict[str, Any]:
    return {"user_no": staff.user_no, "name": staff.name, "role": staff.role.value, "active": staff.active}


def _check_role(role: Role) -> None:
    if role not in HALL_ROLES:
        raise errors.RoleNotAssignable(role=role.value)


def _load(session: Session, hall: Hall, user_no: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
    if staff is None or staff.hall_id != hall.id:
        raise errors.StaffNotFound(user=user_no)
    return staff


def create_staff(session: Session, clock: Clock, *, hall: Hall, user_no: str, name: str, role: Role,
                 password_hash: str, actor: str) -> events.Outcome[Staff]:
    """Raises bad_user_no, name_required, role_not_assignable, user_no_taken."""
    if not USER_NO.fullmatch(user_no):
        raise errors.BadUserNo()
    if not name.strip():
        raise errors.NameRequired()
    _check_role(role)
    if session.scalar(select(Staff.id).where(Staff.user_no == user_no)) is not None:
        raise errors.UserNoTaken(user=user_no)
    staff = Staff(hall_id=hall.id, user_no=user_no, name=name.strip(), role=role, password_hash=password_hash,
                  active=True)
    session.add(staff)
    session.flush()
    audit(session, clock.now(), hall, actor, "staff.create", f"staff:{user_no}",
          before=None, after=staff_payload(staff))
    return events.Outcome(staff, (events.Event(events.STAFF_UPDATED, {"staff": staff_payload(staff)}),))


def update_staff(session: Session, clock: Clock, *, hall: Hall, user_no: str, changes: dict[str, Any],
                 password_hash: str | None, actor: str) -> events.Outcome[Staff]:
    """Change name, role, active and/or the password. Raises staff_not_found, name_required,
    role_not_assignable."""
    staff = _load(session, hall, user_no)
    before = staff_payload(staff)
    if staff.role not in HALL_ROLES:
        raise errors.RoleNotAssignable(role=staff.role.value)
    if "name" in changes:
        if not str(changes["name"] or "").strip():
            raise errors.NameRequired()
        staff.name = str(changes["name"]).strip()
    if changes.get("role") is not None:
        role = Role(changes["role"])
        _check_role(role)
        staff.role = role
    if changes.get("active") is not None:
        staff.active = bool(changes["active"])
    now = clock.now()
    if staff_payload(staff) != before:
        audit(session, now, hall, actor, "staff.update", f"staff:{user_no}", before=before,
              after=staff_payload(staff))
    if password_hash is not None:
        _set_password(session, now, hall, staff, password_hash, actor, "staff.password_reset")
    elif not staff.active:
        end_sessions(session, staff.id, now, "deactivated")
    out = [events.Event(events.STAFF_UPDATED, {"staff": staff_payload(staff)})]
    if not staff.active or staff.role != Role.STAFF:
        out += _leave_windows(session, clock, staff)
    return events.Outcome(staff, tuple(out))


def _set_password(session: Session, now: Any, hall: Hall, staff: Staff, password_hash: str, actor: str,
                  action: str) -> None:
    """A new password ends every session of the account (a cookie copied before the change is worth nothing) and
    its failed sign-ins; the audit says who set it, never the hash."""
    staff.password_hash = password_hash
    staff.password_is_demo = False
    ended = end_sessions(session, staff.id, now, action.removeprefix("staff."))
    session.execute(delete(LoginFailure).where(LoginFailure.user_no == staff.user_no))
    audit(session, now, hall, actor, action, f"staff:{staff.user_no}", data={"sessions_ended": ended})


def change_own_password(session: Session, clock: Clock, *, hall: Hall, staff_id: int, password_ok: bool,
                        password_hash: str) -> events.Outcome[Staff]:
    """A signed-in user sets their own password; the adapter checked the current one (`password_ok`). Raises
    login_failed when it was wrong, staff_not_found."""
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        raise errors.StaffNotFound(user=str(staff_id))
    if not password_ok:
        raise errors.CurrentPasswordWrong()
    _set_password(session, clock.now(), hall, staff, password_hash, staff.user_no, "staff.password_changed")
    return events.Outcome(staff)


def reset_any_password(session: Session, clock: Clock, *, hall: Hall, user_no: str, password_hash: str,
                       actor: str) -> events.Outcome[Staff]:
    """An admin sets anyone's password, a hall's staff or another admin (the hall is only the lock's). Raises
    staff_not_found."""
    staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
    if staff is None:
        raise errors.StaffNotFound(user=user_no)
    _set_password(session, clock.now(), hall, staff, password_hash, actor, "staff.password_reset")
    return events.Outcome(staff)


def deactivate_account(session: Session, clock: Clock, *, hall: Hall, user_no: str,
                       actor: str) -> events.Outcome[Staff]:
    """Any account (an admin's too) stops working at once: its sessions end and a clerk leaves their window; the
    account stays, so its history keeps its name. Raises staff_not_found."""
    staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
    if staff is None:
        raise errors.StaffNotFound(user=user_no)
    before = staff_payload(staff)
    staff.active = False
    now = clock.now()
    ended = end_sessions(session, staff.id, now, "deactivated")
    audit(session, now, hall, actor, "staff.deactivate", f"staff:{user_no}",
          data={"before": before, "after": staff_payload(staff), "sessions_ended": ended})
    out = [events.Event(events.STAFF_UPDATED, {"staff": staff_payload(staff)}), *_leave_windows(session, clock, staff)]
    return events.Outcome(staff, tuple(out))


def unlock_sign_in(session: Session, clock: Clock, *, hall: Hall, user_no: str, actor: str) -> events.Outcome[int]:
    """A manager lifts the sign-in locks of one of the hall's accounts, from every address (an admin, of any
    account). Raises staff_not_found."""
    staff = session.scalar(select(Staff).where(Staff.user_no == user_no))
    if staff is None or (staff.hall_id not in (hall.id, None)):
        raise errors.StaffNotFound(user=user_no)
    rows = session.execute(delete(LoginFailure).where(LoginFailure.user_no == user_no))
    cleared = int(rows.rowcount or 0)  # type: ignore[attr-defined]
    audit(session, clock.now(), hall, actor, "login.unlocked", f"staff:{user_no}", data={"rows": cleared})
    return events.Outcome(cleared)


def _leave_windows(session: Session, clock: Clock, staff: Staff) -> list[events.Event]:
    out = []
    for window in session.scalars(select(Window).where(Window.staff_id == staff.id)):
        window.staff_id, window.staff = None, None
        window.state, window.state_reason, window.state_since = WindowState.CLOSED, "", clock.now()
        out.append(events.Event(events.WINDOW_SIGNED_OUT, {"window": window_payload(window)}))
    return out
