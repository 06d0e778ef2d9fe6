"""预约签到 away from the kiosk: the citizen checks in from the booking's own page once in the hall.

Presence is proven as a remote ticket's arrival is (engine/booking/remote.py): today's entrance code of the hall.
The check-in itself is the kiosk's (engine/queue/issuing.py): the same early and late rules, the same ticket queued
at the slot time, the same events; only the proof of presence differs.

At the kiosk a citizen without the code types their ID or mobile number instead: `todays_booking` finds which of
that person's bookings today to check in, and the kiosk then checks it in with its code as usual.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.booking.appointments import by_token
from queue_server.engine.booking.remote import check_entrance_code
from queue_server.engine.queue.issuing import APPOINTMENT_EARLY
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.issuing import issue_ticket
from queue_server.storage.models import Appointment
from queue_server.storage.models import Channel
from queue_server.storage.models import Hall


def check_in_booking(session: Session, clock: Clock, *, hall: Hall, manage_token: str, hall_code: str,
                     entrance_key: bytes) -> events.Outcome[Issued]:
    """Check a booking in from its page with today's entrance code. Raises booking_not_found, entrance_code_wrong,
    and what the kiosk's check-in raises (appointment_not_found once it is cancelled or checked in,
    appointment_not_checkable before its hour, hall_closed, service_closed, ...)."""
    appt, service, _ = by_token(session, manage_token)
    if appt.hall_id != hall.id:
        raise errors.BookingNotFound()
    check_entrance_code(entrance_key, hall, clock.now(), hall_code)
    return issue_ticket(session, clock, hall=hall, service_code=service.code, channel=Channel.MOBILE.value,
                        appointment_code=appt.code)


def todays_booking(session: Session, hall: Hall, digests: Collection[str], person_masked: str,
                   now: datetime) -> Appointment:
    """The person's booking at the hall to check in now: of their bookings still open today, the earliest whose
    check-in has opened (one past its slot still checks in, as a walk-in). Raises no_booking_today,
    appointment_not_checkable (the first opens later; the person is named masked, not by the code)."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    booked = [a for a in session.scalars(select(Appointment).where(
        Appointment.hall_id == hall.id, Appointment.person_hash.in_(list(digests)), Appointment.status == "booked")
        .order_by(Appointment.slot_start))
        if service_day(a.slot_start, hall.timezone, hall.day_rollover) == today]
    if not booked:
        raise errors.NoBookingToday(person=person_masked)
    for appt in booked:
        if now >= appt.slot_start - APPOINTMENT_EARLY:
            return appt
    first = booked[0]
    raise errors.AppointmentNotCheckable(
        appointment_code=first.person_masked or "",
        earliest=f"{local_time(first.slot_start - APPOINTMENT_EARLY, hall.timezone):%Y-%m-%d %H:%M}",
        latest=f"{local_time(first.slot_end, hall.timezone):%H:%M}")
