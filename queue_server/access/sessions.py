"""Server-side sessions of the web consoles (storage/accounts.py's WebSession): open one at sign-in, find the
one a cookie stands for, keep it alive, end it.

A session holds while it is not ended, its absolute lifetime (LIFETIME) has not passed and it was used within
its idle limit: 30 minutes for a manager console, a working day for a clerk's window (a clerk may serve one
citizen for an hour without touching the console). The cookie carries only a random id; its SHA-256 is stored.
No Flask: web/sessions.py reads and sets the cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server.storage.accounts import WebSession
from queue_server.storage.accounts import end_sessions
from queue_server.storage.store import Store

LIFETIME = timedelta(hours=12)
CONSOLE_IDLE = timedelta(minutes=30)
CLERK_IDLE = timedelta(hours=12)
# last_seen_at is written at most this often per session: a write per request would cost more than it tells.
TOUCH_EVERY = timedelta(minutes=1)
CLERK, CONSOLE = "clerk", "console"


@dataclass(frozen=True)
class Opened:
    token: str  # for the cookie only; never stored
    csrf: str


@dataclass(frozen=True)
class Current:
    id: int
    staff_id: int
    kind: str
    window_id: int | None
    csrf: str
    last_seen_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(store: Store, now: datetime, *, staff_id: int, kind: str, window_id: int | None = None,
                 address: str = "") -> Opened:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    idle = CLERK_IDLE if kind == CLERK else CONSOLE_IDLE
    with store.transaction() as db:
        db.add(WebSession(token_hash=_hash(token), staff_id=staff_id, kind=kind, window_id=window_id, csrf=csrf,
                          address=address[:64], created_at=now, last_seen_at=now, expires_at=now + LIFETIME,
                          idle_s=int(idle.total_seconds())))
    return Opened(token, csrf)


def current(db: Session, token: str | None, now: datetime) -> Current | None:
    """The session a cookie's id stands for, if it still holds."""
    if not token:
        return None
    row = db.scalar(select(WebSession).where(WebSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None or now >= row.expires_at \
            or now - row.last_seen_at > timedelta(seconds=row.idle_s):
        return None
    return Current(row.id, row.staff_id, row.kind, row.window_id, row.csrf, row.last_seen_at)


def touch(store: Store, found: Current, now: datetime) -> None:
    """Note that the session was used (at most once a minute), so the idle limit counts from now."""
    if now - found.last_seen_at < TOUCH_EVERY:
        return
    with store.transaction() as db:
        db.execute(update(WebSession).where(WebSession.id == found.id, WebSession.ended_at.is_(None))
                   .values(last_seen_at=now))


def end_one(store: Store, token: str | None, now: datetime, reason: str) -> None:
    if not token:
        return
    with store.transaction() as db:
        db.execute(update(WebSession).where(WebSession.token_hash == _hash(token), WebSession.ended_at.is_(None))
                   .values(ended_at=now, end_reason=reason))


def end_account(store: Store, staff_id: int, now: datetime, reason: str) -> int:
    """End every session of an account (its sign-out from the manager console)."""
    with store.transaction() as db:
        return end_sessions(db, staff_id, now, reason)
