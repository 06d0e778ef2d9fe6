"""Pairing a device (kiosk, wall display, window screen, rating tablet) through a one-time code.

A manager makes a code for a registered device (console, API or `hallq device pair`); the device's browser types
it at /pair and gets a bearer token of its own, kept in its localStorage and revocable with the device. So no
long-lived token travels in a URL (and into an access log, a history or a referrer).

The code is 8 digits, valid for CODE_TTL, single use; a new code replaces the device's unused one. The adapter
makes the code and the token and passes only their SHA-256, as for every credential. Guessing is limited per
client address: MAX_MISSES wrong codes within MISS_WINDOW lock the address out of pairing for LOCKOUT, so the
10⁸ codes are out of reach (at most ~1,000 guesses a day from one address against one live code at a time). A
wrong code returns a value instead of raising, since raising would roll back the count it must store.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.engine.setup.devices import DEVICE_ROLES
from queue_server.engine.setup.devices import device_payload
from queue_server.storage.accounts import PAIRING_KEY
from queue_server.storage.accounts import LoginFailure
from queue_server.storage.accounts import PairingCode
from queue_server.storage.models import ApiToken
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Window

CODE_DIGITS = 8
CODE_TTL = timedelta(minutes=10)
MAX_MISSES = 10
MISS_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class Paired:
    ok: bool
    device: Device | None = None
    window_number: int | None = None
    locked_until: datetime | None = None


def create_pairing_code(session: Session, clock: Clock, *, hall: Hall, device_id: int, code_hash: str,
                        actor: str) -> events.Outcome[datetime]:
    """A new one-time code for the device (its unused ones end now); the value is when it expires.
    Raises device_not_found."""
    now = clock.now()
    device = session.get(Device, device_id)
    if device is None or device.hall_id != hall.id:
        raise errors.DeviceNotFound(device=device_id)
    # Codes a day past their end are only history (the audit log keeps who paired what): dropping them keeps the
    # live set small, so a new random code never meets an old one's unique hash.
    session.execute(delete(PairingCode).where(PairingCode.expires_at < now - timedelta(days=1)))
    session.execute(update(PairingCode).where(PairingCode.device_id == device.id, PairingCode.used_at.is_(None),
                                              PairingCode.expires_at > now).values(expires_at=now))
    expires = now + CODE_TTL
    session.add(PairingCode(code_hash=code_hash, hall_id=hall.id, device_id=device.id, created_by=actor[:64],
                            created_at=now, expires_at=expires))
    audit(session, now, hall, actor, "device.pairing_code", f"device:{device.id}",
          data={"device": device.name, "kind": device.kind, "expires_at": expires.isoformat()})
    return events.Outcome(expires)


def _misses(session: Session, address: str, now: datetime) -> LoginFailure:
    row = session.get(LoginFailure, (address, PAIRING_KEY))
    if row is None:
        row = LoginFailure(address=address, user_no=PAIRING_KEY, failures=0, first_at=now, last_at=now)
        session.add(row)
    elif now - row.first_at > MISS_WINDOW and (row.locked_until is None or row.locked_until <= now):
        row.failures, row.first_at, row.locked_until = 0, now, None  # an old streak is forgotten
    return row


def redeem_pairing_code(session: Session, clock: Clock, *, hall: Hall, code_hash: str, token_hash: str,
                        address: str) -> events.Outcome[Paired]:
    """Exchange a code for a device token. `hall` is the code's hall when the code exists, any hall otherwise
    (the miss is counted and audited there). Raises nothing: a wrong, used or expired code is a miss."""
    now = clock.now()
    misses = _misses(session, address, now)
    if misses.locked_until is not None and misses.locked_until > now:
        return events.Outcome(Paired(False, locked_until=misses.locked_until))
    code = session.scalar(select(PairingCode).where(PairingCode.code_hash == code_hash,
                                                    PairingCode.hall_id == hall.id))
    if code is None or code.used_at is not None or code.expires_at <= now:
        misses.failures += 1
        misses.last_at = now
        audit(session, now, hall, address or "?", "device.pair_failed", f"address:{address}",
              data={"address": address, "misses": misses.failures,
                    "reason": "unknown" if code is None else ("used" if code.used_at else "expired")})
        if misses.failures >= MAX_MISSES:
            misses.locked_until = now + LOCKOUT
            audit(session, now, hall, address or "?", "device.pair_locked", f"address:{address}",
                  data={"address": address, "until": misses.locked_until.isoformat()})
            return events.Outcome(Paired(False, locked_until=misses.locked_until))
        return events.Outcome(Paired(False))
    device = session.get(Device, code.device_id)
    assert device is not None  # the code's row cascades with its device
    code.used_at, code.used_from = now, address[:64]
    misses.failures, misses.locked_until = 0, None
    session.add(ApiToken(token_hash=token_hash, role=DEVICE_ROLES[device.kind], hall_id=hall.id,
                         window_id=device.window_id, device_id=device.id, created_at=now))
    session.flush()
    payload = device_payload(session, device)
    audit(session, now, hall, device.name, "device.pair", f"device:{device.id}",
          data={"address": address, "device": device.name, "kind": device.kind, "code_by": code.created_by})
    window = session.get(Window, device.window_id) if device.window_id is not None else None
    return events.Outcome(Paired(True, device=device, window_number=window.number if window else None),
                          (events.Event(events.DEVICE_UPDATED, {"device": payload}),))


def new_pairing_code() -> str:
    """8 random digits: easy to read out and type on a touch screen; the lockout makes them unguessable."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def pairing_hall(session: Session, code_hash: str) -> int | None:
    """The hall id a code belongs to (read before the write takes that hall's lock), or None."""
    return session.scalar(select(PairingCode.hall_id).where(PairingCode.code_hash == code_hash))
