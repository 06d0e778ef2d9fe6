"""Who sits at a window: sign in (with the password lockout), sign out, 离岗 (step away) and return.

The password itself is checked by the adapter (auth.check_password needs werkzeug); the op receives the verdict
and keeps the failure count, so a lockout holds across server processes. A failed sign-in returns a value
instead of raising: raising would roll back the failure count it must store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.queue.ledger import load_window
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.models import Hall
from queue_server.storage.models import LoginGuard
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState

MAX_FAILURES = 5  # wrong passwords in a row before the lock
LOCKOUT = timedelta(minutes=15)  # long enough to stop guessing, short enough not to stop a working day


@dataclass(frozen=True)
class SignIn:
    ok: bool
    window: Window | None = None
    failures_left: int = 0
    locked_until: datetime | None = None


def sign_in(
    session: Session, clock: Clock, *, hall: Hall, user_no: str, staff_id: int | None, password_ok: bool,
    window_number: int,
) -> events.Outcome[SignIn]:
    """Sign a clerk in at a window. Raises window_not_found, window_taken (only after a right password)."""
    now = clock.now()
    refused = _password_verdict(session, now, user_no, staff_id, password_ok)
    if refused is not None:
        return events.Outcome(refused)
    window = load_window(session, hall, window_number)
    if window.staff_id not in (None, staff_id):
        holder = session.get(Staff, window.staff_id)
        raise errors.WindowTaken(window=window.number, user=holder.user_no if holder else "?")
    out: list[events.Event] = []
    for other in session.scalars(select(Window).where(Window.staff_id == staff_id, Window.id != window.id)):
        out.append(_leave(other, now))  # one clerk, one window: signing in elsewhere leaves the old one
    window.staff_id = staff_id
    session.flush()
    session.refresh(window, ["staff"])
    if window.state in (WindowState.CLOSED, WindowState.AWAY):
        window.state, window.state_reason, window.state_since = WindowState.OPEN, "", now
    out.append(events.Event(events.WINDOW_SIGNED_IN, {"window": window_payload(window)}))
    return events.Outcome(SignIn(True, window=window), tuple(out))


def _password_verdict(session: Session, now: datetime, user_no: str, staff_id: int | None,
                      password_ok: bool) -> SignIn | None:
    """Count a wrong password (locking after MAX_FAILURES); None when the password was right."""
    guard = session.get(LoginGuard, user_no)
    if guard is None:
        guard = LoginGuard(user_no=user_no, failures=0)
        session.add(guard)
    if guard.locked_until is not None and guard.locked_until > now:
        return SignIn(False, locked_until=guard.locked_until)
    if not password_ok or staff_id is None:
        guard.failures += 1
        if guard.failures >= MAX_FAILURES:
            guard.failures, guard.locked_until = 0, now + LOCKOUT
            return SignIn(False, locked_until=guard.locked_until)
        return SignIn(False, failures_left=MAX_FAILURES - guard.failures)
    guard.failures, guard.locked_until = 0, None
    return None


def check_sign_in(
    session: Session, clock: Clock, *, hall: Hall, user_no: str, staff_id: int | None, password_ok: bool
) -> events.Outcome[SignIn]:
    """Sign-in without a window (the manager console): the same password lockout as a clerk's. Raises none."""
    return events.Outcome(_password_verdict(session, clock.now(), user_no, staff_id, password_ok) or SignIn(True))


def _leave(window: Window, now: datetime) -> events.Event:
    window.staff_id, window.staff = None, None
    window.state, window.state_reason, window.state_since = WindowState.CLOSED, "", now
    return events.Event(events.WINDOW_SIGNED_OUT, {"window": window_payload(window)})


def sign_out(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, staff_id: int
) -> events.Outcome[Window]:
    """The clerk leaves the window for the day; the window closes. Raises window_not_found, window_not_assigned."""
    window = load_window(session, hall, window_number)
    if window.staff_id != staff_id:
        raise errors.WindowNotAssigned()
    return events.Outcome(window, (_leave(window, clock.now()),))


def step_away(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, acting_window_id: int | None = None
) -> events.Outcome[Window]:
    """离岗: nobody at the window for a moment; no calls until the clerk returns. Raises window_not_found,
    window_not_assigned."""
    window = load_window(session, hall, window_number)
    if acting_window_id is not None and window.id != acting_window_id:
        raise errors.WindowNotAssigned()
    window.state, window.state_reason, window.state_since = WindowState.AWAY, "", clock.now()
    return events.Outcome(window, (events.Event(events.WINDOW_STEPPED_AWAY, {"window": window_payload(window)}),))


def come_back(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, acting_window_id: int | None = None
) -> events.Outcome[Window]:
    """Back from 离岗 (a paused window stays paused). Raises window_not_found, window_not_assigned."""
    window = load_window(session, hall, window_number)
    if acting_window_id is not None and window.id != acting_window_id:
        raise errors.WindowNotAssigned()
    if window.state == WindowState.AWAY:
        window.state, window.state_reason, window.state_since = WindowState.OPEN, "", clock.now()
    return events.Outcome(window, (events.Event(events.WINDOW_RETURNED, {"window": window_payload(window)}),))
