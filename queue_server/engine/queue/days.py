"""Closing past service days: tickets still waiting (or parked) from an earlier business day expire.

Nobody comes back for yesterday's number, and a stale ticket must not be called or counted as "ahead" today.
Run lazily by the first issue of a service each day and by every call-next (one indexed UPDATE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from queue_server.clock import service_day
from queue_server.storage.models import Hall
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL

# Hand-written (rawsql.py says why): every call-next runs it under the hall's lock.
# coalesce() on a NOT NULL column changes nothing but keeps the planner off the (hall, day) unique index: with
# years of history, SQLite would walk every past ticket of the hall through it (5 s at 5 million) instead of the
# few open ones through ix_tickets_queue (< 1 ms; bench/history_ops.py).
_EXPIRE = (f"UPDATE tickets SET status = '{TicketStatus.EXPIRED.value}', ended_at = :now "
           f"WHERE hall_id = :hall_id AND status IN ('{TicketStatus.WAITING.value}', '{TicketStatus.PARKED.value}') "
           "AND coalesce(service_on, :today) < :today")


def expire_past_days(session: Session, hall: Hall, now: datetime) -> int:
    """Expire the hall's waiting and parked tickets of earlier service days; returns how many. A ticket at a
    window is left alone: in a hall open around midnight its citizen is standing there. Like a bulk UPDATE with
    synchronize_session=False, ORM objects already loaded in the session keep their old status."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    raw = RawSQL.of(session)
    cursor = raw.execute(_EXPIRE, {"now": raw.stamp(now), "hall_id": hall.id, "today": raw.day(today)})
    return max(int(cursor.rowcount or 0), 0)
