"""预约签到 away from the kiosk: the citizen checks in from the booking's own page once in the hall.

Presence is proven as a remote ticket's arrival is (engine/booking/remote.py): today's entrance code of the hall.
The check-in itself is the kiosk's (engine/queue/issuing.py): the same early and late rules, the same ticket queued
at the slot time, the same events; only the proof of presence differs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.booking.appointments import by_token
from queue_server.engine.booking.remote import check_entrance_code
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.issuing import issue_ticket
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
