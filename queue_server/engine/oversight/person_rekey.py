"""After a person key rotation: what is left under retired keys (docs/security.md, 个人信息保护).

A keyed hash cannot be re-keyed without the number it hides, and the number is never stored. A ticket's person hash
only counts for a per-person limit of its own service day, so once that day is over a hash under a retired key (or
a legacy salted one) serves nothing and is erased; today's stay, and are re-keyed when the person comes again
(engine/queue/numbering.py rekey_person). When no row of a hall uses the legacy salt any more, the salt goes too.

A booking's hash counts for longer: an open booking for one-booking-per-service-per-day, the open-bookings limit
and the kiosk's check-in by number, until its day is over (and, if it is missed, as a 爽约); a 爽约 for the
suspension rule, for NO_SHOW_WINDOW after its slot. Those stay under their retired key, and keep it in the ring,
until they count for nothing or their person comes again; the others (cancelled, checked in on a past day, 爽约
older than the window) are erased. Bookings whose key was not recorded (made before migration 0023) are claimed by
the current key when the ring has no retired key: then it is the only key that can have made them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import not_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import as_utc
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.audit import audit
from queue_server.engine.booking.appointments import HOLDING
from queue_server.engine.booking.appointments import NO_SHOW_WINDOW
from queue_server.engine.queue.numbering import LEGACY_KEY
from queue_server.storage.models import Appointment
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket

# appointments.person_key of bookings made before migration 0023: hashed with a key whose id was not kept.
UNRECORDED = "unrecorded"


@dataclass
class KeyUse:
    """What still needs one key in one hall (or over all halls, added up)."""

    tickets: int = 0  # today's tickets (per-person daily limits)
    open_bookings: int = 0  # booked, or checked in today: one per service and day, the open limit, check-in
    no_shows: int = 0  # 爽约 within NO_SHOW_WINDOW: the suspension rule
    until: datetime | None = None  # when the last of these bookings stops counting, unless its person comes again

    @property
    def rows(self) -> int:
        return self.tickets + self.open_bookings + self.no_shows

    def add(self, other: KeyUse) -> None:
        self.tickets += other.tickets
        self.open_bookings += other.open_bookings
        self.no_shows += other.no_shows
        if other.until is not None and (self.until is None or other.until > self.until):
            self.until = other.until


@dataclass(frozen=True)
class Swept:
    erased: int  # ticket hashes of past days under a retired key or the legacy salt, erased now
    remaining: dict[str, int]  # retired key id -> today's ticket rows still hashed with it
    bookings_erased: int = 0  # booking hashes under a retired key that count for no limit any more
    claimed: int = 0  # bookings of unrecorded key given the current key's id
    forced: int = 0  # rows still counted for a limit whose hashes were erased on the operator's demand (force)
    uses: dict[str, KeyUse] = field(default_factory=dict)  # every key id (current too) -> what still needs it


def _day_start(hall: Hall, now: datetime) -> datetime:
    """Local midnight of the hall's day, as an instant: where one-booking-per-service-per-day starts counting
    (appointments.py _day_bounds)."""
    return as_utc(local_time(now, hall.timezone).replace(hour=0, minute=0, second=0, microsecond=0))


def _needed(hall: Hall, now: datetime) -> ColumnElement[bool]:
    """Bookings whose hash still counts for a per-person rule (appointments.py _check_person, checkin.py)."""
    return or_(and_(Appointment.status.in_(HOLDING), Appointment.slot_end > _day_start(hall, now)),
               and_(Appointment.status == "no_show", Appointment.slot_end > now - NO_SHOW_WINDOW))


def key_uses(session: Session, hall: Hall, now: datetime) -> dict[str, KeyUse]:
    """Key id -> the hall's rows whose hash still counts for a limit, by kind (`hallq key status`)."""
    uses: dict[str, KeyUse] = {}
    today = service_day(now, hall.timezone, hall.day_rollover)
    for kid, n in session.execute(select(Ticket.person_key, func.count())
                                  .where(Ticket.hall_id == hall.id, Ticket.person_hash.is_not(None),
                                         Ticket.service_on >= today)
                                  .group_by(Ticket.person_key)):
        uses.setdefault(kid or LEGACY_KEY, KeyUse()).tickets += int(n)
    for kid, status, slot_end in session.execute(
            select(Appointment.person_key, Appointment.status, Appointment.slot_end)
            .where(Appointment.hall_id == hall.id, Appointment.person_hash.is_not(None), _needed(hall, now))):
        use = uses.setdefault(kid or UNRECORDED, KeyUse())
        if status == "no_show":
            use.no_shows += 1
        else:
            use.open_bookings += 1
        # A booking still open may become a 爽约 at its end, which counts for NO_SHOW_WINDOW after it.
        last = as_utc(slot_end) + (NO_SHOW_WINDOW if status in ("booked", "no_show") else timedelta(0))
        use.add(KeyUse(until=last))
    return uses


def sweep_retired_hashes(session: Session, clock: Clock, *, hall: Hall, current: str, retired: Sequence[str] = (),
                         force: bool = False, actor: str = "cli") -> events.Outcome[Swept]:
    """Erase the hall's person hashes not made with the `current` key id that count for no limit any more; count
    the rest. `retired`: the ring's other key ids (with none, bookings of unrecorded key are the current key's).
    `force`: erase the rest too (the retired keys are about to be dropped: those people's limits forget them)."""
    now = clock.now()
    today = service_day(now, hall.timezone, hall.day_rollover)
    claimed = 0
    if not retired:
        claimed = int(getattr(session.execute(
            update(Appointment).where(Appointment.hall_id == hall.id, Appointment.person_hash.is_not(None),
                                      func.coalesce(Appointment.person_key, UNRECORDED) == UNRECORDED)
            .values(person_key=current).execution_options(synchronize_session=False)), "rowcount", 0) or 0)
    # With force, what is given up beyond what serves nothing: today's tickets and the bookings still counted.
    forced = sum(u.rows for k, u in key_uses(session, hall, now).items() if k != current) if force else 0
    stale = (Ticket.hall_id == hall.id, Ticket.person_hash.is_not(None),
             func.coalesce(Ticket.person_key, LEGACY_KEY) != current)
    erased = session.execute(update(Ticket).where(*stale, *(() if force else (Ticket.service_on < today,)))
                             .values(person_hash=None, person_key=None)
                             .execution_options(synchronize_session=False))
    count = int(getattr(erased, "rowcount", 0) or 0)
    stale_bookings = (Appointment.hall_id == hall.id, Appointment.person_hash.is_not(None),
                      func.coalesce(Appointment.person_key, UNRECORDED) != current)
    gone = session.execute(update(Appointment).where(*stale_bookings, *(() if force else (not_(_needed(hall, now)),)))
                           .values(person_hash=None, person_key=None)
                           .execution_options(synchronize_session=False))
    bookings_erased = int(getattr(gone, "rowcount", 0) or 0)
    uses = key_uses(session, hall, now)
    remaining: dict[str, int] = {}
    for kid, n in session.execute(select(Ticket.person_key, func.count()).where(*stale).group_by(Ticket.person_key)):
        remaining[kid or LEGACY_KEY] = remaining.get(kid or LEGACY_KEY, 0) + int(n)
    if hall.person_salt and LEGACY_KEY not in remaining:
        hall.person_salt = ""
    if count or remaining or bookings_erased or claimed or any(k != current for k in uses):
        audit(session, now, hall, actor, "person_key.sweep", f"hall:{hall.code}",
              data={"current": current, "erased": count, "remaining": remaining, "bookings_erased": bookings_erased,
                    "bookings_claimed": claimed, "force": force,
                    "bookings_remaining": {k: u.open_bookings + u.no_shows for k, u in uses.items()
                                           if k != current and u.open_bookings + u.no_shows}})
    return events.Outcome(Swept(count, remaining, bookings_erased, claimed, forced, uses))
