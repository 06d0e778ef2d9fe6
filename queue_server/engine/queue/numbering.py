"""Daily ticket numbers, caps, time-slot quotas and per-person limits.

The number comes from an upsert on the (service, day) counter in the ticket's own transaction, so a rolled-back
issue gives its number back and the numbers stay gap-free.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server.clock import local_time
from queue_server.person_keys import KeyRing
from queue_server.storage.models import Appointment
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL

ID_RE = re.compile(r"^\d{17}[\dX]$")
PHONE_RE = re.compile(r"^1\d{10}$")
TICKET_NO_RE = re.compile(r"^[A-Z]{1,4}\d{1,6}$")
# The same statement on SQLite (>= 3.35) and PostgreSQL: one round trip, the row stays locked until commit.
_TAKE_NUMBER = ("INSERT INTO daily_counters (service_id, service_on, issued) VALUES (:service_id, :service_on, 1) "
                "ON CONFLICT (service_id, service_on) DO UPDATE SET issued = daily_counters.issued + 1 "
                "RETURNING issued")


@dataclass(frozen=True)
class Number:
    seq: int
    cycle: int
    ticket_no: str
    issued_today: int


def format_ticket_no(service: Service, seq: int) -> str:
    return f"{service.prefix}{seq:0{service.number_width}d}"


def next_number(session: Session, service: Service, on: date, *, enforce_cap: bool = True,
                reserved: int = 0) -> Number:
    """Take the next number of the day atomically (raises daily_quota_reached / number_range_exhausted).

    Appointments checking in on time pass enforce_cap=False: their place was reserved when they booked. Walk-ins
    pass `reserved`, the day's bookings not yet checked in: a booked seat is not sold twice.
    """
    raw = RawSQL.of(session)
    issued = int(raw.one(_TAKE_NUMBER, {"service_id": service.id, "service_on": raw.day(on)})[0])
    if enforce_cap and service.daily_cap is not None and issued + reserved > service.daily_cap:
        raise errors.DailyQuotaReached(service=service.code, service_name=service.name, quota=service.daily_cap)
    size = service.number_end - service.number_start + 1
    if issued > size and not service.number_wrap:
        raise errors.NumberRangeExhausted(service=service.code, service_name=service.name)
    cycle, offset = divmod(issued - 1, size)
    seq = service.number_start + offset
    return Number(seq=seq, cycle=cycle, ticket_no=format_ticket_no(service, seq), issued_today=issued)


def issued_on(session: Session, service: Service, on: date) -> int:
    """Numbers the service has issued on a day (its counter; 0 before its first ticket)."""
    raw = RawSQL.of(session)
    row = raw.execute("SELECT issued FROM daily_counters WHERE service_id = :service_id AND service_on = :service_on",
                      {"service_id": service.id, "service_on": raw.day(on)}).fetchone()
    return int(row[0]) if row else 0


def open_bookings(session: Session, service: Service, on: date, tz: str, *, besides: int | None = None) -> int:
    """Bookings for the service on a local day not yet checked in: seats the daily cap holds for them."""
    if not service.booking:
        return 0  # a service nobody can book holds no seats: the walk-in path pays nothing
    first = datetime.combine(on, time(0), tzinfo=ZoneInfo(tz))
    query = select(func.count()).select_from(Appointment).where(
        Appointment.service_id == service.id, Appointment.status == "booked",
        Appointment.slot_start >= first, Appointment.slot_start < first + timedelta(days=1))
    if besides is not None:
        query = query.where(Appointment.id != besides)
    return int(session.scalar(query) or 0)


def _slot_bounds(slot: dict[str, object]) -> tuple[time, time]:
    start = time.fromisoformat(str(slot["start"]))
    end = time(23, 59, 59) if slot["end"] in ("24:00", "24:00:00") else time.fromisoformat(str(slot["end"]))
    return start, end


def check_slot_quota(session: Session, hall: Hall, service: Service, on: date, at: datetime) -> None:
    """Refuse when the time slot containing `at` has issued its quota (分时段出票限额)."""
    local = local_time(at, hall.timezone)
    for slot in service.slot_quotas or []:
        start, end = _slot_bounds(slot)
        if not (start <= local.time() < end):
            continue
        begin = datetime.combine(local.date(), start, tzinfo=local.tzinfo)
        finish = datetime.combine(local.date(), end, tzinfo=local.tzinfo)
        issued = session.scalar(
            select(func.count()).select_from(Ticket).where(
                Ticket.original_service_id == service.id,
                Ticket.service_on == on,
                Ticket.issued_at >= begin,
                Ticket.issued_at < finish,
            )
        )
        if (issued or 0) >= int(str(slot["limit"])):
            raise errors.SlotQuotaReached(
                service=service.code, service_name=service.name, quota=slot["limit"],
                slot=f"{start:%H:%M}-{slot['end']}", next=str(slot["end"]),
            )


ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_checksum_ok(value: str) -> bool:
    """The GB 11643 check character of an 18-character resident ID number."""
    total = sum(int(d) * w for d, w in zip(value[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == value[17]


def normalise_person(id_number: str | None, phone: str | None) -> tuple[str, str] | None:
    """(canonical value, masked form) of the ID number or phone, or None when neither is given."""
    if id_number:
        value = id_number.strip().upper()
        if not ID_RE.match(value) or not id_checksum_ok(value):
            raise errors.BadPersonId()
        return value, f"{value[:4]}{'*' * 10}{value[-4:]}"
    if phone:
        value = re.sub(r"[\s-]", "", phone)
        if not PHONE_RE.match(value):
            raise errors.BadPersonId()
        return value, f"{value[:3]}****{value[-4:]}"
    return None


# person_key of rows hashed before migration 0018 as SHA-256(hall salt:value); their hall keeps its salt until
# none is left (docs/security.md): only those rows of the day of the upgrade are kept, so today's limits hold.
LEGACY_KEY = "salted"


def person_digests(hall: Hall, value: str, keys: KeyRing) -> dict[str, str]:
    """key id -> the hash a row would carry for this person in this hall: the current key's first, then the
    retired keys' and the legacy salted one, which a per-person limit must still count."""
    found = keys.all_digests(hall.id, value)
    if hall.person_salt:
        found[LEGACY_KEY] = hashlib.sha256(f"{hall.person_salt}:{value}".encode()).hexdigest()
    return found


def rekey_person(session: Session, hall: Hall, on: date, digests: dict[str, str], current_id: str) -> None:
    """The person is here again: their rows of today still under a retired key (or the legacy salt) are re-hashed
    under the current key, so a rotation completes as people come back, without ever storing the number. Their
    bookings too, of any day (open ones and 爽约 count for limits for weeks), and bookings whose key was not
    recorded (migration 0023) that turn out to be under the current key get it recorded."""
    old = [d for kid, d in digests.items() if kid != current_id]
    if not old:
        return
    session.execute(
        update(Ticket).where(Ticket.hall_id == hall.id, Ticket.service_on == on, Ticket.person_hash.in_(old))
        .values(person_hash=digests[current_id], person_key=current_id).execution_options(synchronize_session=False)
    )
    session.execute(
        update(Appointment).where(Appointment.hall_id == hall.id, Appointment.person_hash.in_(list(digests.values())),
                                  or_(Appointment.person_key.is_(None), Appointment.person_key != current_id))
        .values(person_hash=digests[current_id], person_key=current_id).execution_options(synchronize_session=False)
    )


def check_person_limit(session: Session, service: Service, on: date, digests: Collection[str]) -> None:
    assert service.person_limit is not None
    held = session.scalar(
        select(func.count()).select_from(Ticket).where(
            Ticket.original_service_id == service.id,
            Ticket.service_on == on,
            Ticket.person_hash.in_(list(digests)),
            Ticket.status != TicketStatus.CANCELLED,
        )
    )
    if (held or 0) >= service.person_limit:
        raise errors.PersonLimitReached(service=service.code, service_name=service.name, limit=service.person_limit)
