"""Devices of a hall managed from the manager console: register a kiosk, wall display or rating tablet with a new
bearer token, and revoke a device's tokens. Audited and announced (device.updated).

The adapter makes the token and passes only its SHA-256: the clear token never reaches the database or the log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.engine.queue.ledger import load_window
from queue_server.storage.accounts import PairingCode
from queue_server.storage.models import ApiToken
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Window

DEVICE_ROLES = {"kiosk": Role.KIOSK, "display": Role.DISPLAY, "rater": Role.RATER}


def device_payload(session: Session, device: Device) -> dict[str, Any]:
    live = session.scalar(select(ApiToken.id).where(ApiToken.device_id == device.id,
                                                    ApiToken.revoked_at.is_(None)).limit(1))
    row = session.get(Window, device.window_id) if device.window_id is not None else None
    window = row.number if row is not None else None
    return {"id": device.id, "kind": device.kind, "name": device.name, "window": window,
            "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
            "printer_state": device.printer_state, "active": live is not None}


def register_device(session: Session, clock: Clock, *, hall: Hall, kind: str, name: str, window_number: int | None,
                    token_hash: str | None, actor: str) -> events.Outcome[Device]:
    """Register a device; with `token_hash` None it has no token until it is paired with a one-time code
    (engine/setup/pairing.py). Raises name_required, window_not_found."""
    if not name.strip():
        raise errors.NameRequired()
    window = load_window(session, hall, window_number) if window_number is not None else None
    device = Device(hall_id=hall.id, kind=kind, name=name.strip(), window_id=window.id if window else None)
    session.add(device)
    session.flush()
    if token_hash is not None:
        session.add(ApiToken(token_hash=token_hash, role=DEVICE_ROLES[kind], hall_id=hall.id,
                             window_id=window.id if window else None, device_id=device.id, created_at=clock.now()))
        session.flush()
    payload = device_payload(session, device)
    audit(session, clock.now(), hall, actor, "device.register", f"device:{device.id}",
          before=None, after=payload)
    return events.Outcome(device, (events.Event(events.DEVICE_UPDATED, {"device": payload}),))


def revoke_device(session: Session, clock: Clock, *, hall: Hall, device_id: int, actor: str
                  ) -> events.Outcome[Device]:
    """Revoke every token of the device (a stolen or retired kiosk). Raises device_not_found."""
    device = session.get(Device, device_id)
    if device is None or device.hall_id != hall.id:
        raise errors.DeviceNotFound(device=device_id)
    before = device_payload(session, device)
    for token in session.scalars(select(ApiToken).where(ApiToken.device_id == device.id,
                                                        ApiToken.revoked_at.is_(None))):
        token.revoked_at = clock.now()
    # A code made for it and not yet used must not pair a new browser as the revoked device.
    session.execute(update(PairingCode).where(PairingCode.device_id == device.id, PairingCode.used_at.is_(None),
                                              PairingCode.expires_at > clock.now()).values(expires_at=clock.now()))
    session.flush()
    payload = device_payload(session, device)
    audit(session, clock.now(), hall, actor, "device.revoke", f"device:{device.id}",
          before=before, after=payload)
    return events.Outcome(device, (events.Event(events.DEVICE_UPDATED, {"device": payload}),))
