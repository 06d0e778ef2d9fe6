"""issue_ticket: take a number for a service (kiosk, phone, appointment check-in, staff)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.queue import calendar
from queue_server.engine.queue import estimates
from queue_server.engine.queue import numbering
from queue_server.engine.queue.days import expire_past_days
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.ledger import log
from queue_server.engine.queue.ledger import stats_event
from queue_server.engine.queue.ledger import ticket_event
from queue_server.person_keys import KeyRing
from queue_server.storage.models import Appointment
from queue_server.storage.models import Channel
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL
from queue_server.storage.rawsql import attach

# Check-in opens an hour before the slot: people come early to government halls, and an early check-in still
# queues at its slot time, so it costs walk-ins nothing.
APPOINTMENT_EARLY = timedelta(minutes=60)


@dataclass(frozen=True)
class Issued:
    ticket: Ticket
    ahead: int
    estimated_wait_s: int
    print_job_id: int | None = None  # the kiosk's print job, queued in the same transaction


def _appointment(
    session: Session, hall: Hall, service: Service, code: str, now: datetime
) -> tuple[Appointment, datetime, bool]:
    """The booked appointment, the queue time it gets, and whether it is on time (late ones queue as walk-ins)."""
    appt = session.scalar(
        select(Appointment).where(
            Appointment.hall_id == hall.id, Appointment.code == code, Appointment.status == "booked"
        )
    )
    if appt is None or appt.service_id != service.id:
        raise errors.AppointmentNotFound(appointment_code=code)
    if now < appt.slot_start - APPOINTMENT_EARLY:
        raise errors.AppointmentNotCheckable(
            appointment_code=code,
            # In the hall's time: the citizen reads it on the kiosk or the phone, standing in the hall.
            earliest=f"{local_time(appt.slot_start - APPOINTMENT_EARLY, hall.timezone):%Y-%m-%d %H:%M}",
            latest=f"{local_time(appt.slot_end, hall.timezone):%H:%M}",
        )
    on_time = now <= appt.slot_end
    return appt, (appt.slot_start if on_time else now), on_time


def _insert_ticket(
    session: Session, values: dict[str, object], service: Service, priority: PriorityCategory | None
) -> Ticket:
    """INSERT the ticket by hand (rawsql.py says why) and hand back the same row as a persistent ORM object, so
    callers and later ops in this session use it as if the unit of work had flushed it."""
    raw = RawSQL.of(session)
    stamps = {"issued_at", "queued_at", "leg_queued_at"}
    params = {c: raw.stamp(v) if c in stamps else raw.day(v) if c == "service_on" else v  # type: ignore[arg-type]
              for c, v in values.items()}
    params["status"] = TicketStatus.WAITING.value
    # Every column is set, so nothing is left expired to trigger a reload; the open leg has no window yet.
    ticket = Ticket(id=raw.insert("tickets", params), **values, window_id=None, target_window_id=None,
                    staff_id=None, called_at=None, started_at=None, ended_at=None, parked_until=None, outcome=None,
                    case_no=None, acted_by=None, arrived_at=None, arrived_via=None, held_at=None)
    ticket.service = service
    ticket.priority = priority
    ticket.window = None
    return attach(session, ticket)


def issue_ticket(
    session: Session,
    clock: Clock,
    *,
    hall: Hall,
    service_code: str,
    priority_code: str | None = None,
    channel: str | None = None,
    appointment_code: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
    person_keys: KeyRing | None = None,
    remote: bool = False,
) -> events.Outcome[Issued]:
    """`remote`: 线上取号 from a phone (engine/booking/remote.py): queued now, callable once arrival is confirmed.
    Raises hall_retired, service_not_found, priority_not_found, hall_closed, service_closed, daily_quota_reached,
    slot_quota_reached, number_range_exhausted, person_required, person_limit_reached, bad_person_id,
    appointment_not_found, appointment_not_checkable."""
    now = clock.now()
    if hall.retired_at is not None:
        raise errors.HallRetired(hall=hall.code)
    service = load_service(session, hall, service_code)
    priority = None
    if priority_code:
        priority = session.scalar(
            select(PriorityCategory).where(
                PriorityCategory.hall_id == hall.id, PriorityCategory.code == priority_code
            )
        )
        if priority is None:
            raise errors.PriorityNotFound(hall=hall.code, priority=priority_code)

    hall_open, hours = calendar.open_now(session, hall, None, now)
    if not hall_open:
        raise errors.HallClosed(hall=hall.code, hours=hours)
    service_open, hours = calendar.open_now(session, hall, service, now)
    on = service_day(now, hall.timezone, hall.day_rollover)
    if not service.active or service.closed_on == on:
        # Closed for the whole day: its usual hours would read as if it were open now (00:00-24:00).
        raise errors.ServiceClosed(service=service.code, service_name=service.name, hours=calendar.describe([]))
    if not service_open:
        raise errors.ServiceClosed(service=service.code, service_name=service.name, hours=hours)

    appointment, queued_at, on_time = None, now, False
    if appointment_code:
        appointment, queued_at, on_time = _appointment(session, hall, service, appointment_code, now)

    person = numbering.normalise_person(id_number, phone)
    digest = key = None
    if person is not None:
        if person_keys is None:  # a programming error: every adapter that takes a number hands the key ring in
            raise RuntimeError("issue_ticket got an ID or phone number without person_keys to hash it")
        digests = numbering.person_digests(hall, person[0], person_keys)
        key = person_keys.current_id
        digest = digests[key]
        if len(digests) > 1:  # a rotation is under way: today's rows move to the current key, then one count
            numbering.rekey_person(session, hall, on, digests, key)
    if service.person_limit is not None:
        if digest is None:
            raise errors.PersonRequired(service=service.code, service_name=service.name)
        numbering.check_person_limit(session, service, on, [digest])
    if not on_time:
        numbering.check_slot_quota(session, hall, service, on, now)

    reserved = 0
    if not on_time and service.daily_cap is not None:
        reserved = numbering.open_bookings(session, service, on, hall.timezone,
                                           besides=appointment.id if appointment else None)
    number = numbering.next_number(session, service, on, enforce_cap=not on_time, reserved=reserved)
    if number.issued_today == 1:  # the service's first ticket today: yesterday's leftovers must not count ahead
        expire_past_days(session, hall, now)
    priority_weight = priority.weight if priority else 0
    ahead, waiting = estimates.position_for_new(session, hall.id, service.id, priority_weight, queued_at)
    wait_s = estimates.estimated_wait_s(session, hall, service, ahead, now, priority_weight=priority_weight,
                                        queued_at=queued_at)
    ticket = _insert_ticket(session, {
        "hall_id": hall.id, "service_on": on, "original_service_id": service.id, "service_id": service.id,
        "seq": number.seq, "cycle": number.cycle, "ticket_no": number.ticket_no,
        "channel": Channel.APPOINTMENT.value if appointment else (channel or Channel.KIOSK.value),
        "priority_id": priority.id if priority else None, "priority_weight": priority_weight,
        "estimated_wait_s": wait_s, "status": TicketStatus.WAITING, "issued_at": now, "queued_at": queued_at,
        "leg_queued_at": now, "call_count": 0, "track_token": secrets.token_urlsafe(24), "person_hash": digest,
        "person_key": key,
        "person_masked": person[1] if person else None, "appointment_id": appointment.id if appointment else None,
        "remote": remote,
    }, service, priority)
    checked_in: tuple[events.Event, ...] = ()
    if appointment is not None:
        appointment.status = "checked_in"
        checked_in = (events.Event(events.APPOINTMENT_CHECKED_IN, {"appointment": {
            "id": appointment.id, "service": service.code, "service_name": service.name, "status": "checked_in",
            "slot_start": appointment.slot_start.isoformat(), "slot_end": appointment.slot_end.isoformat(),
            "person_masked": appointment.person_masked, "on_time": on_time, "ticket_no": ticket.ticket_no}}),)
    log(session, ticket, "issued", now)
    return events.Outcome(
        Issued(ticket, ahead, wait_s),
        (ticket_event(events.TICKET_ISSUED, ticket, ahead=ahead, estimated_wait_s=wait_s), *checked_in,
         # A remote ticket not yet arrived is not in the callable count (estimates.py) until it arrives.
         stats_event(session, hall, [service], now, waiting={service.id: waiting + (0 if remote else 1)})),
    )
