"""Hall configuration routes of /api/v1 beyond services and windows: staff accounts, devices (kiosks, wall
displays, rating tablets) with their tokens, opening hours and the holiday calendar. Managers (own hall) and
admins; every change audited and announced.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import jsonify
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import TOKEN_PREFIX
from queue_server.access.credentials import hash_new_password
from queue_server.access.credentials import hash_token
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.setup import hours
from queue_server.engine.setup.accounts import staff_payload
from queue_server.engine.setup.devices import device_payload
from queue_server.engine.setup.pairing import CODE_DIGITS
from queue_server.engine.setup.pairing import new_pairing_code
from queue_server.engine.setup.pairing import pairing_hall
from queue_server.queries import snapshots
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Staff
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.manager import CalendarDayItem
from queue_server.web.api.schemas.manager import CalendarDayOut
from queue_server.web.api.schemas.manager import DeviceCreate
from queue_server.web.api.schemas.manager import DeviceCreated
from queue_server.web.api.schemas.manager import DeviceListOut
from queue_server.web.api.schemas.manager import DeviceOut
from queue_server.web.api.schemas.manager import HoursBody
from queue_server.web.api.schemas.manager import HoursOut
from queue_server.web.api.schemas.manager import PairBody
from queue_server.web.api.schemas.manager import Paired
from queue_server.web.api.schemas.manager import PairingCodeOut
from queue_server.web.api.schemas.manager import StaffCreate
from queue_server.web.api.schemas.manager import StaffListOut
from queue_server.web.api.schemas.manager import StaffOut
from queue_server.web.api.schemas.manager import StaffPatch
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.queue import Problem
from queue_server.web.sessions import client_address

CONFIGURERS = (Role.MANAGER, Role.ADMIN)
def _hashed(password: str | None) -> str | None:
    return None if password is None else hash_new_password(password)


@route("GET", "/halls/{hall}/staff", "Staff accounts of the hall", responses={200: StaffListOut})
def list_staff(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        staff = session.scalars(select(Staff).where(Staff.hall_id == row.id).order_by(Staff.user_no))
        return jsonify({"staff": [staff_payload(s) for s in staff]})


@route("POST", "/halls/{hall}/staff", "Create a staff account (staff, viewer or manager of this hall)",
       request_model=StaffCreate, responses={201: StaffOut})
def create_staff(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(StaffCreate)
    done = services().runtime.execute(engine.create_staff, hall=hall, user_no=req.user_no, name=req.name,
                                      role=Role(req.role), password_hash=_hashed(req.password), actor=who.label,
                                      after=lambda _, staff: staff_payload(staff))
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/staff/{user}", "Rename, change role, (de)activate or reset the password",
       request_model=StaffPatch, responses={200: StaffOut})
def patch_staff(hall: str, user: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(StaffPatch)
    changes = req.model_dump(exclude_unset=True, exclude={"password"})
    hq = services()
    done = hq.runtime.execute(engine.update_staff, hall=hall, user_no=user, changes=changes,
                              password_hash=_hashed(req.password), actor=who.label,
                              after=lambda _, staff: staff_payload(staff))
    hq.principals.clear()  # a deactivated member's tokens stop at once, not after the cache's 10 s
    return jsonify(done.value)


@route("GET", "/halls/{hall}/devices", "Kiosks, displays and rating tablets with their last contact",
       responses={200: DeviceListOut})
def list_devices(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        devices = session.scalars(select(Device).where(Device.hall_id == row.id).order_by(Device.id))
        return jsonify({"devices": [device_payload(session, d) for d in devices]})


@route("POST", "/halls/{hall}/devices", "Register a device and issue its token (shown once)",
       request_model=DeviceCreate, responses={201: DeviceCreated})
def register_device(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(DeviceCreate)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    done = services().runtime.execute(engine.register_device, hall=hall, kind=req.kind, name=req.name,
                                      window_number=req.window, token_hash=hash_token(token), actor=who.label,
                                      after=device_payload)
    return jsonify({"device": done.value, "token": token}), 201


@route("POST", "/halls/{hall}/devices/{device:id}/revoke", "Revoke every token of a device",
       request_model=EmptyBody, body_required=False, responses={200: DeviceOut})
def revoke_device(hall: str, device: int) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    body(EmptyBody, optional=True)
    hq = services()
    done = hq.runtime.execute(engine.revoke_device, hall=hall, device_id=device, actor=who.label,
                              after=device_payload)
    hq.principals.clear()  # the device's token stops at once in this process
    return jsonify(done.value)


def _hours_out(session: Any, hall_code: str) -> dict[str, Any]:
    row = snapshots.hall_by_code(session, hall_code)
    today = service_day(services().runtime.clock.now(), row.timezone, row.day_rollover)
    return {"opening_hours": row.opening_hours, "calendar": hours.calendar(session, row, today)}


@route("POST", "/halls/{hall}/devices/{device:id}/pairing-code",
       "A one-time pairing code for the device (8 digits, 10 minutes, single use; shown once)",
       request_model=EmptyBody, body_required=False, responses={201: PairingCodeOut})
def create_pairing_code(hall: str, device: int) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    body(EmptyBody, optional=True)
    code = new_pairing_code()
    hq = services()
    done = hq.runtime.execute(engine.create_pairing_code, hall=hall, device_id=device, code_hash=hash_token(code),
                              actor=who.label,
                              after=lambda s, expires: (expires, device_payload(s, s.get(Device, device))))
    expires, payload = done.value
    return jsonify({"code": code, "expires_at": expires.isoformat(), "device": payload}), 201


@route("POST", "/pair", "A device exchanges a one-time pairing code for its own token (kept by the device)",
       request_model=PairBody, responses={200: Paired, 429: Problem}, public=True)
def pair_device() -> Any:
    req = body(PairBody)
    code = "".join(ch for ch in req.code if ch.isdigit())
    hq = services()
    with hq.store.read_session() as session:
        hall_id = pairing_hall(session, hash_token(code)) if len(code) == CODE_DIGITS else None
        row = session.get(Hall, hall_id) if hall_id is not None else session.scalar(select(Hall).order_by(Hall.id))
        if row is None:
            raise errors.PairingCodeInvalid()
        hall_code, timezone = row.code, row.timezone
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    done = hq.runtime.execute(engine.redeem_pairing_code, hall=hall_code, code_hash=hash_token(code),
                              token_hash=hash_token(token), address=client_address())
    result: engine.Paired = done.value
    if result.locked_until is not None:
        raise errors.PairingLocked(until=local_time(result.locked_until, timezone).strftime("%H:%M"))
    if not result.ok or result.device is None:
        raise errors.PairingCodeInvalid()
    kind = result.device.kind
    if kind == "kiosk":
        page = f"/kiosk/{hall_code}/"
    elif kind == "rater":
        page = "/staff/rater"
    elif result.window_number is not None:
        page = f"/display/{hall_code}/window/{result.window_number}"
    else:
        page = f"/display/{hall_code}"
    return jsonify({"token": token, "kind": kind, "hall": hall_code, "device": result.device.name,
                    "window": result.window_number, "page": page})


@route("GET", "/halls/{hall}/hours", "Weekly opening hours and the coming holidays and working days",
       responses={200: HoursOut})
def get_hours(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        return jsonify(_hours_out(session, hall))


@route("PUT", "/halls/{hall}/hours", "Replace the weekly opening hours (audited, hall.updated)",
       request_model=HoursBody, responses={200: HoursOut})
def put_hours(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(HoursBody)
    services().runtime.execute(engine.set_opening_hours, hall=hall, opening_hours=req.opening_hours, actor=who.label)
    with services().store.read_session() as session:
        return jsonify(_hours_out(session, hall))


@route("POST", "/halls/{hall}/calendar-days", "Mark a day 法定节假日 (holiday) or 调休 (workday), or clear it "
       "(audited, hall.updated)", request_model=CalendarDayItem, responses={200: CalendarDayOut})
def set_calendar_day(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(CalendarDayItem)
    done = services().runtime.execute(engine.set_calendar_day, hall=hall, day=req.day, kind=req.kind, name=req.name,
                                      actor=who.label)
    return jsonify(done.value)
