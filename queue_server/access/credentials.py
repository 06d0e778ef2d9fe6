"""Credentials: bearer tokens for devices and staff (only their SHA-256 is stored), staff passwords, principals.

Imports no Flask: the API and the hub turn a header or a connect payload into a Principal with these functions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from queue_server import errors
from queue_server.storage.models import ApiToken
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.storage.models import Window
from queue_server.ttlcache import TTLCache

TOKEN_PREFIX = "hq_"


@dataclass(frozen=True)
class Principal:
    role: Role
    hall_id: int | None  # None: admin of every hall
    hall_code: str | None
    window_id: int | None
    window_number: int | None
    staff_id: int | None
    label: str  # who did it, for the audit log: 工号 or device name
    device_id: int | None = None  # kiosks and displays: their Device row (a kiosk's print jobs hang on it)

    def may_access_hall(self, hall_code: str) -> bool:
        return self.role == Role.ADMIN and self.hall_id is None or self.hall_code == hall_code

    def require(self, hall_code: str, *roles: Role) -> None:
        if self.role not in roles:
            raise errors.RoleRequired(roles=", ".join(r.value for r in roles))
        if not self.may_access_hall(hall_code):
            raise errors.HallNotAllowed(hall=hall_code)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The hall's intranet policy: the lockout makes guessing slow, length makes it hopeless.
PASSWORD_MIN = 8


def hash_password(password: str) -> str:
    return generate_password_hash(password)


# Checked against when the 工号 is unknown, so a wrong 工号 costs the same time as a wrong password. A constant (the
# hash of a random password nobody kept), not a hash made at import: scrypt cost every process start, CLI commands
# included, ~0.15 s per console. tests/staff/test_login.py checks it uses the method generate_password_hash uses.
ABSENT_HASH = ("scrypt:32768:8:1$Xe5X44isPQAWFd2h$0b8c8f24d9bd111f324da1956b83df3f88543c26589f9a6a86ec5d5f974ae534"
               "c944bbeddcecc6f105f7d2f71ec344b2eca15094a0fca6039b1a3a0546e12edb")


def check_absent(password: str) -> bool:
    """Spend what a password check spends, for a 工号 that does not exist; always False."""
    check_password_hash(ABSENT_HASH, password)
    return False


def hash_new_password(password: str) -> str:
    """The hash of a password someone chose (console, API, CLI): refused when shorter than PASSWORD_MIN."""
    if len(password) < PASSWORD_MIN:
        raise errors.PasswordTooShort(min=PASSWORD_MIN)
    return generate_password_hash(password)


def check_password(staff: Staff, password: str) -> bool:
    return check_password_hash(staff.password_hash, password)


def mint_token(
    session: Session, now: datetime, *, role: Role, hall: Hall | None, window: Window | None = None,
    staff: Staff | None = None, device_name: str | None = None,
) -> str:
    """Create a token and return it in clear (shown once). Kiosks and displays get a Device row too."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    device = None
    if role in (Role.KIOSK, Role.DISPLAY, Role.RATER) and hall is not None:
        device = Device(hall_id=hall.id, kind=role.value, name=device_name or f"{role.value}-{secrets.token_hex(3)}",
                        window_id=window.id if window else None)
        session.add(device)
        session.flush()
    session.add(ApiToken(
        token_hash=hash_token(token), role=role, hall_id=hall.id if hall else None,
        window_id=window.id if window else None, staff_id=staff.id if staff else None,
        device_id=device.id if device else None, created_at=now,
    ))
    return token


def principal_for_token(session: Session, token: str) -> Principal | None:
    """The principal behind a bearer token, or None when unknown, revoked or its staff member is inactive."""
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    hall = session.get(Hall, row.hall_id) if row.hall_id else None
    window = session.get(Window, row.window_id) if row.window_id else None
    staff = session.get(Staff, row.staff_id) if row.staff_id else None
    device = session.get(Device, row.device_id) if row.device_id else None
    if staff is not None and not staff.active:
        return None
    label = staff.user_no if staff else (device.name if device else f"token-{row.id}")
    return Principal(
        role=row.role, hall_id=hall.id if hall else None, hall_code=hall.code if hall else None,
        window_id=window.id if window else None, window_number=window.number if window else None,
        staff_id=staff.id if staff else None, label=label, device_id=device.id if device else None,
    )


class PrincipalCache:
    """Token -> principal for a few seconds: every API call authenticates, and the lookup is several queries.
    A revoked token keeps working for at most `ttl`; revoking through the API clears the cache at once."""

    def __init__(self, ttl: timedelta = timedelta(seconds=10)) -> None:
        self._cache = TTLCache(ttl)

    def lookup(self, session_factory: Callable[[], Session], token: str, now: datetime) -> Principal | None:
        key = hash_token(token)
        hit = self._cache.get(key, now)
        if hit is not None:
            return hit  # type: ignore[no-any-return]
        with session_factory() as session:
            found = principal_for_token(session, token)
        if found is not None:
            self._cache.put(key, found, now)
        return found

    def clear(self) -> None:
        self._cache.clear()
