"""Closing past service days: tickets still waiting (or parked) from an earlier business day expire.

Nobody comes back for yesterday's number, and a stale ticket must not be called or counted as "ahead" today.
Run lazily by the first issue of a service each day and by every call-next (one UPDATE that seeks its rows).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from queue_server.clock import service_day
from queue_server.storage.models import Hall
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL

# Hand-written (rawsql.py says why): every call-next runs it under the hall's lock. It seeks ix_tickets_open_day
# (hall, status, service day; migration 0021): only the past days' open tickets are read, none on most calls.
# Before that index it read every waiting ticket's row for its day (about 4 ms at 3,000 waiting, the largest part
# of a call's growth with the queue; bench/call_cost.py), and before ix_tickets_queue it walked every past ticket
# of the hall through the (hall, day) unique index (5 s at 5 million; bench/history_ops.py).
_EXPIRE = (f"UPDATE tickets SET status = '{TicketStatus.EXPIRED.value}', ended_at = :now "
           f"WHERE hall_id = :hall_id AND status IN ('{TicketStatus.WAITING.value}', '{TicketStatus.PARKED.value}') "
           "AND service_on < :today")


def expire_past_days(session: Session, hall: Hall, now: datetime) -> int:
    """Expire the hall's waiting and parked tickets of earlier service days; returns how many. A ticket at a
    window is left alone: in a hall open around midnight its citizen is standing there. Like a bulk UPDATE with
    synchronize_session=False, ORM objects already loaded in the session keep their old status."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    raw = RawSQL.of(session)
    cursor = raw.execute(_EXPIRE, {"now": raw.stamp(now), "hall_id": hall.id, "today": raw.day(today)})
    return max(int(cursor.rowcount or 0), 0)
