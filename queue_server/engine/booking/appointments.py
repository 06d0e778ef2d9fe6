"""Booking, moving and cancelling an appointment, and the seats each slot has left.

Every op runs under the hall's write lock (the runtime's), so the seats counted here are the seats left when the
booking commits: two citizens racing for the last seat cannot both get it. A booked seat is held against the
service's daily cap too (engine/queue/numbering.py counts open bookings before it sells a walk-in ticket), and a
booking is refused when the day's cap has no room for it.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import as_utc
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.booking import plans
from queue_server.engine.queue import numbering
from queue_server.engine.queue.ledger import load_service
from queue_server.person_keys import KeyRing
from queue_server.storage.models import Appointment
from queue_server.storage.models import Hall
from queue_server.storage.models import Service

HOLDING = ("booked", "checked_in")  # statuses that hold a seat
NO_SHOW_WINDOW = timedelta(days=30)  # "3 爽约 in 30 days" is the usual wording of the rule
MISSED_ACTOR = "hallq housekeeping"  # who marks a 爽约 in the audit log: the server's round, not a person
CODE_DIGITS = 8  # read out or typed at the kiosk's keypad: digits only, and 10^8 leaves guessing hopeless


@dataclass(frozen=True)
class SlotView:
    start: datetime
    end: datetime
    capacity: int
    left: int
    open: bool  # bookable now (before its cut-off)


def _taken(session: Session, service: Service, start: datetime, end: datetime) -> dict[datetime, int]:
    rows = session.execute(
        select(Appointment.slot_start, func.count()).where(
            Appointment.service_id == service.id, Appointment.status.in_(HOLDING),
            Appointment.slot_start >= as_utc(start), Appointment.slot_start < as_utc(end),
        ).group_by(Appointment.slot_start)
    ).all()
    return {as_utc(at): n for at, n in rows}


def _day_room(session: Session, hall: Hall, service: Service, on: date, now: datetime) -> int | None:
    """How many more bookings the service's daily cap allows on `on` (None: no cap)."""
    if service.daily_cap is None:
        return None
    issued = numbering.issued_on(session, service, on) if on == service_day(now, hall.timezone, hall.day_rollover) \
        else 0
    return service.daily_cap - issued - numbering.open_bookings(session, service, on, hall.timezone)


def slots(session: Session, clock: Clock, *, hall: Hall, service_code: str, on: date) -> list[SlotView]:
    """The service's slots on a local day with their seats left; empty on a day outside the horizon."""
    service = _bookable(session, hall, service_code)
    now = clock.now()
    today = service_day(now, hall.timezone, hall.day_rollover)
    if on not in plans.bookable_days(session, hall, service, today):
        return []
    day = plans.day_slots(session, hall, service, on)
    if not day:
        return []
    taken = _taken(session, service, day[0].start, day[-1].end)
    room = _day_room(session, hall, service, on, now)
    views = []
    for slot in day:
        left = max(0, slot.capacity - taken.get(as_utc(slot.start), 0))
        if room is not None:
            left = min(left, max(0, room))
        views.append(SlotView(slot.start, slot.end, slot.capacity, left, now <= plans.cutoff(service, slot.start)))
    return views


def _bookable(session: Session, hall: Hall, service_code: str) -> Service:
    if hall.retired_at is not None:  # a retired hall takes no one, booked or not
        raise errors.HallRetired(hall=hall.code)
    service = load_service(session, hall, service_code)
    if not service.active or not service.booking:
        raise errors.ServiceNotBookable(service=service.code, service_name=service.name)
    return service


def _find_slot(session: Session, clock: Clock, hall: Hall, service: Service, slot_start: datetime) -> SlotView:
    local = local_time(slot_start, hall.timezone)
    label = f"{local:%m-%d %H:%M}"
    for view in slots(session, clock, hall=hall, service_code=service.code, on=local.date()):
        if as_utc(view.start) == as_utc(slot_start):
            if not view.open:
                raise errors.BookingClosed(service=service.code, service_name=service.name, slot=label,
                                           reason="已过预约截止时间 / past the booking cut-off")
            if view.left <= 0:
                raise errors.SlotFull(service=service.code, service_name=service.name, slot=label)
            return view
    raise errors.BookingClosed(service=service.code, service_name=service.name, slot=label,
                               reason="该时段不在可预约范围内 / not a bookable time")


def _check_person(session: Session, hall: Hall, service: Service, digests: Collection[str],
                  on_day: tuple[datetime, datetime], now: datetime, moving: Appointment | None = None) -> None:
    """One booking per person per service per day; at most hall.booking_open_limit open bookings in the hall; none
    while suspended for 爽约."""
    _check_suspension(session, hall, service, digests, now)
    # Every hash the person may carry (the current key's, a retired key's during a rotation): one person, one count.
    others = [Appointment.hall_id == hall.id, Appointment.person_hash.in_(digests)]
    if moving is not None:
        others.append(Appointment.id != moving.id)
    same_day = session.scalar(select(func.count()).select_from(Appointment).where(
        *others, Appointment.service_id == service.id, Appointment.status.in_(HOLDING),
        Appointment.slot_start >= on_day[0], Appointment.slot_start < on_day[1]))
    held = session.scalar(select(func.count()).select_from(Appointment).where(
        *others, Appointment.status == "booked", Appointment.slot_end > now)) or 0
    if same_day or held >= hall.booking_open_limit:
        raise errors.BookingPersonLimit(service=service.code, service_name=service.name, held=held,
                                        limit=hall.booking_open_limit)


def _check_suspension(session: Session, hall: Hall, service: Service, digests: Collection[str],
                      now: datetime) -> None:
    """hall.no_show_limit 爽约 within NO_SHOW_WINDOW suspend booking until the last one + no_show_suspend_days."""
    missed = list(session.scalars(select(Appointment.slot_end).where(
        Appointment.hall_id == hall.id, Appointment.person_hash.in_(digests), Appointment.status == "no_show",
        Appointment.slot_end > now - NO_SHOW_WINDOW).order_by(Appointment.slot_end.desc())))
    if len(missed) < hall.no_show_limit:
        return
    until = as_utc(missed[0]) + timedelta(days=hall.no_show_suspend_days)
    if now < until:
        raise errors.BookingSuspended(service=service.code, service_name=service.name, missed=len(missed),
                                      until=f"{local_time(until, hall.timezone):%Y-%m-%d %H:%M}")


def _day_bounds(hall: Hall, start: datetime) -> tuple[datetime, datetime]:
    local = local_time(start, hall.timezone)
    first = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return as_utc(first), as_utc(first + timedelta(days=1))


def payload(appt: Appointment, service: Service) -> dict[str, Any]:
    """What a live event carries: never the code (it checks in) or the manage token (it cancels)."""
    return {"id": appt.id, "service": service.code, "service_name": service.name, "status": appt.status,
            "slot_start": as_utc(appt.slot_start).isoformat(), "slot_end": as_utc(appt.slot_end).isoformat(),
            "person_masked": appt.person_masked}


def _new_code(session: Session, hall: Hall) -> str:
    while True:
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        if session.scalar(select(Appointment.id).where(Appointment.hall_id == hall.id,
                                                       Appointment.code == code)) is None:
            return code


def book(session: Session, clock: Clock, *, hall: Hall, service_code: str, slot_start: datetime,
         id_number: str | None = None, phone: str | None = None,
         person_keys: KeyRing | None = None) -> events.Outcome[Appointment]:
    """`person_keys` hashes the ID or phone number with the key kept outside the database (person_keys.py).
    Raises service_not_found, service_not_bookable, booking_closed, slot_full, person_required, bad_person_id,
    person_limit_reached."""
    now = clock.now()
    service = _bookable(session, hall, service_code)
    person = numbering.normalise_person(id_number, phone)
    if person is None:
        raise errors.PersonRequired(service=service.code, service_name=service.name)
    slot = _find_slot(session, clock, hall, service, slot_start)
    if person_keys is None:  # a programming error: the adapter hands the key ring in with the number
        raise RuntimeError("book got an ID or phone number without person_keys to hash it")
    digests = numbering.person_digests(hall, person[0], person_keys)
    digest = digests[person_keys.current_id]
    if len(digests) > 1:  # a rotation is under way: the person's bookings and tickets move to the current key
        numbering.rekey_person(session, hall, service_day(now, hall.timezone, hall.day_rollover), digests,
                               person_keys.current_id)
    _check_person(session, hall, service, list(digests.values()), _day_bounds(hall, slot.start), now)
    appt = Appointment(hall_id=hall.id, service_id=service.id, code=_new_code(session, hall),
                       slot_start=as_utc(slot.start), slot_end=as_utc(slot.end), status="booked",
                       person_hash=digest, person_key=person_keys.current_id, person_masked=person[1],
                       manage_token=secrets.token_urlsafe(32), booked_at=now)
    session.add(appt)
    session.flush()
    audit(session, now, hall, f"citizen:{person[1]}", "appointment.book", appt.code,
          data={"service": service.code, "slot_start": appt.slot_start.isoformat()})
    return events.Outcome(appt, (events.Event(events.APPOINTMENT_BOOKED, {"appointment": payload(appt, service)}),))


def by_token(session: Session, manage_token: str) -> tuple[Appointment, Service, Hall]:
    appt = session.scalar(select(Appointment).where(Appointment.manage_token == manage_token))
    if appt is None:
        raise errors.BookingNotFound()
    service = session.get(Service, appt.service_id)
    hall = session.get(Hall, appt.hall_id)
    assert service is not None and hall is not None
    return appt, service, hall


def _changeable(appt: Appointment, service: Service, hall: Hall, now: datetime) -> None:
    label = f"{local_time(appt.slot_start, hall.timezone):%m-%d %H:%M}"
    if appt.status != "booked":
        raise errors.BookingClosed(service=service.code, service_name=service.name, slot=label,
                                   reason=f"预约已{_STATUS_ZH.get(appt.status, appt.status)} / already {appt.status}")
    if now > plans.cutoff(service, appt.slot_start):
        raise errors.BookingClosed(service=service.code, service_name=service.name, slot=label,
                                   reason="已过预约截止时间 / past the booking cut-off")


def cancel(session: Session, clock: Clock, *, hall: Hall, manage_token: str) -> events.Outcome[Appointment]:
    """The citizen cancels until the cut-off; the seat returns to the slot. Raises booking_not_found,
    booking_closed."""
    now = clock.now()
    appt, service, _ = by_token(session, manage_token)
    if appt.hall_id != hall.id:
        raise errors.BookingNotFound()
    _changeable(appt, service, hall, now)
    appt.status, appt.cancelled_at = "cancelled", now
    audit(session, now, hall, f"citizen:{appt.person_masked}", "appointment.cancel", appt.code,
          data={"service": service.code, "slot_start": appt.slot_start.isoformat()})
    return events.Outcome(appt, (events.Event(events.APPOINTMENT_CANCELLED, {"appointment": payload(appt, service)}),))


def move(session: Session, clock: Clock, *, hall: Hall, manage_token: str,
         slot_start: datetime) -> events.Outcome[Appointment]:
    """Move a booking to another slot of the same service, until the old slot's cut-off; the code stays.
    Raises booking_not_found, booking_closed, slot_full, person_limit_reached."""
    now = clock.now()
    appt, service, _ = by_token(session, manage_token)
    if appt.hall_id != hall.id:
        raise errors.BookingNotFound()
    _changeable(appt, service, hall, now)
    if as_utc(slot_start) == as_utc(appt.slot_start):
        return events.Outcome(appt, ())
    slot = _find_slot(session, clock, hall, service, slot_start)
    # No hash: `hallq key rotate --finish --force` erased it (docs/security.md); the booking stays valid but
    # counts for no person's limit, so there is no one to check.
    hashes = [appt.person_hash] if appt.person_hash else []
    _check_person(session, hall, service, hashes, _day_bounds(hall, slot.start), now, moving=appt)
    before = appt.slot_start.isoformat()
    appt.slot_start, appt.slot_end = as_utc(slot.start), as_utc(slot.end)
    audit(session, now, hall, f"citizen:{appt.person_masked}", "appointment.move", appt.code,
          before={"slot_start": before}, after={"slot_start": appt.slot_start.isoformat()})
    return events.Outcome(appt, (events.Event(events.APPOINTMENT_MOVED, {"appointment": payload(appt, service)}),))


def mark_missed(session: Session, hall: Hall, now: datetime) -> list[events.Event]:
    """爽约: bookings whose slot ended without a check-in become no_show (housekeeping runs this every round).
    Audited like the citizen's own changes: enough of them suspend the person's booking, and a citizen who
    disputes the suspension is answered from the audit log."""
    due = list(session.scalars(select(Appointment).where(
        Appointment.hall_id == hall.id, Appointment.status == "booked", Appointment.slot_end < now)))
    out = []
    for appt in due:
        appt.status = "no_show"
        service = session.get(Service, appt.service_id)
        assert service is not None
        audit(session, now, hall, MISSED_ACTOR, "appointment.missed", appt.code,
              data={"service": service.code, "slot_start": as_utc(appt.slot_start).isoformat(),
                    "person": appt.person_masked})
        out.append(events.Event(events.APPOINTMENT_MISSED, {"appointment": payload(appt, service)}))
    return out


_STATUS_ZH = {"checked_in": "签到", "cancelled": "取消", "no_show": "爽约"}
