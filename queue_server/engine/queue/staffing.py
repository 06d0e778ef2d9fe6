"""Who sits at a window: sign in (with the password lockout), sign out, 离岗 (step away) and return.

The password itself is checked by the adapter (auth.check_password needs werkzeug); the op receives the verdict
and keeps the failure counts, so a lockout holds across server processes. A failed sign-in returns a value
instead of raising: raising would roll back the failure count it must store.

Lockout (storage/accounts.py explains the rows): per client address and account, MAX_FAILURES wrong passwords
lock that account for LOCKOUT, against that address only; per address over every account (unknown 工号
included), each failure from the SLOW_AFTER-th on makes the next attempt wait a little longer, and ADDRESS_MAX
failures lock the address. A locked or slowed attempt is refused before its password is looked at. Failures older
than WINDOW_S start over. Every failure and every lock is audited with the address and the page.
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
from queue_server.engine.audit import audit
from queue_server.engine.queue.ledger import load_window
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.accounts import ANY_ACCOUNT
from queue_server.storage.accounts import UNKNOWN_ACCOUNT
from queue_server.storage.accounts import LoginFailure
from queue_server.storage.accounts import end_sessions
from queue_server.storage.models import Hall
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.storage.models import WindowState

MAX_FAILURES = 5  # wrong passwords for one account from one address before it is locked there
LOCKOUT = timedelta(minutes=15)  # long enough to stop guessing, short enough not to stop a working day
SLOW_AFTER = MAX_FAILURES + 1  # past one account's worth of failures, each next attempt of the address waits longer
ADDRESS_MAX = 20  # failures of one address over every account before the address is locked
WINDOW_S = 15 * 60


@dataclass(frozen=True)
class SignIn:
    ok: bool
    window: Window | None = None
    failures_left: int = 0
    locked_until: datetime | None = None
    wait_s: int = 0  # slowed down: try again after this many seconds


def sign_in(
    session: Session, clock: Clock, *, hall: Hall, user_no: str, staff_id: int | None, password_ok: bool,
    window_number: int, address: str = "", page: str = "staff",
) -> events.Outcome[SignIn]:
    """Sign a clerk in at a window. Raises window_not_found, window_taken (only after a right password)."""
    now = clock.now()
    refused = _password_verdict(session, now, hall, user_no, staff_id, password_ok, address, page)
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


def _row(session: Session, address: str, key: str, now: datetime) -> LoginFailure:
    row = session.get(LoginFailure, (address, key))
    if row is None:
        row = LoginFailure(address=address, user_no=key, failures=0, first_at=now, last_at=now)
        session.add(row)
    elif (now - row.first_at).total_seconds() > WINDOW_S and (row.locked_until is None or row.locked_until <= now):
        row.failures, row.first_at, row.locked_until = 0, now, None  # an old streak is forgotten
    return row


def _password_verdict(session: Session, now: datetime, hall: Hall, user_no: str, staff_id: int | None,
                      password_ok: bool, address: str, page: str) -> SignIn | None:
    """Count a wrong password (slowing down, then locking); None when the password was right."""
    known = session.scalar(select(Staff.id).where(Staff.user_no == user_no)) is not None
    account = _row(session, address, user_no if known else UNKNOWN_ACCOUNT, now)
    overall = _row(session, address, ANY_ACCOUNT, now)
    for row in (account, overall):
        if row.locked_until is not None and row.locked_until > now:
            wait = (row.locked_until - now).total_seconds()
            if row is overall and overall.failures < ADDRESS_MAX:
                return SignIn(False, wait_s=max(1, int(wait + 0.999)))  # slowed down, not locked
            return SignIn(False, locked_until=row.locked_until)
    if password_ok and staff_id is not None:
        account.failures, account.locked_until = 0, None
        return None
    seen = {"address": address, "page": page, "user_no": user_no}
    for row in (account, overall):
        row.failures += 1
        row.last_at = now
    audit(session, now, hall, user_no or "?", "login.failed", f"staff:{user_no}",
          data={**seen, "failures": account.failures})
    if account.failures >= MAX_FAILURES:
        account.locked_until = now + LOCKOUT
        audit(session, now, hall, user_no or "?", "login.locked", f"staff:{user_no}",
              data={**seen, "until": account.locked_until.isoformat()})
        return SignIn(False, locked_until=account.locked_until)
    if overall.failures >= ADDRESS_MAX:
        overall.locked_until = now + LOCKOUT
        audit(session, now, hall, user_no or "?", "login.address_locked", f"address:{address}",
              data={**seen, "until": overall.locked_until.isoformat()})
        return SignIn(False, locked_until=overall.locked_until)
    if overall.failures >= SLOW_AFTER:
        wait = min(60, 2 ** (overall.failures - SLOW_AFTER + 1))
        overall.locked_until = now + timedelta(seconds=wait)
    return SignIn(False, failures_left=MAX_FAILURES - account.failures)


def check_sign_in(
    session: Session, clock: Clock, *, hall: Hall, user_no: str, staff_id: int | None, password_ok: bool,
    address: str = "", page: str = "manager",
) -> events.Outcome[SignIn]:
    """Sign-in without a window (the manager console): the same password lockout as a clerk's. Raises none."""
    verdict = _password_verdict(session, clock.now(), hall, user_no, staff_id, password_ok, address, page)
    return events.Outcome(verdict or SignIn(True))


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
    end_sessions(session, staff_id, clock.now(), "signed_out")  # a copied cookie is worth nothing afterwards
    return events.Outcome(window, (_leave(window, clock.now()),))


def release_window(
    session: Session, clock: Clock, *, hall: Hall, window_number: int, actor: str
) -> events.Outcome[Window]:
    """A manager frees a window held by a clerk who is not there (gone home signed in, fell ill): the window
    closes as at sign-out, the clerk's browser sessions end, and another clerk can sign in. A ticket still at the
    window stays there for the next clerk to finish. Audited. Raises window_not_found."""
    now = clock.now()
    window = load_window(session, hall, window_number)
    holder = session.get(Staff, window.staff_id) if window.staff_id is not None else None
    if holder is None:
        return events.Outcome(window)  # nobody holds it: freeing it again changes nothing
    end_sessions(session, holder.id, now, "released")
    audit(session, now, hall, actor, "window.released", f"window:{window.number}",
          data={"user_no": holder.user_no, "state": window.state.value})
    return events.Outcome(window, (_leave(window, now),))


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
