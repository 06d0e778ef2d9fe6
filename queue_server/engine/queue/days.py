"""Closing past service days: tickets still waiting (or parked) from an earlier business day expire.

Nobody comes back for yesterday's number, and a stale ticket must not be called or counted as "ahead" today.
Run lazily by the first issue of a service each day and by call-next (one UPDATE that seeks its rows), until a
round finds nothing left to expire that day.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy.orm import Session

from queue_server.clock import service_day
from queue_server.storage.models import Hall
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL

DAYS_CLOSED_KEY = "hallq_days_closed"  # the store's memo in Session.info (store.DAYS_CLOSED_KEY)

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
    synchronize_session=False, ORM objects already loaded in the session keep their old status.

    Once a round found nothing to expire, the process remembers it for the hall's day and skips the statement:
    every call-next ran it, a fortieth of the clerk's cycle (docs/benchmarks.md, issue 22). Only an empty round is
    remembered, so a rolled-back op cannot leave a day's expiry undone. A ticket at a window across the rollover
    that is transferred or parked waits again with its ended day: `reopen_past_days` forgets the empty round then,
    so the next round expires it, as it would have without the memo. A no-show reactivated within its minutes of
    tolerance across the rollover is the one exception: that citizen is then called, not expired."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    closed: dict[int, date] | None = session.info.get(DAYS_CLOSED_KEY)
    if closed is not None and closed.get(hall.id) == today:
        return 0
    raw = RawSQL.of(session)
    cursor = raw.execute(_EXPIRE, {"now": raw.stamp(now), "hall_id": hall.id, "today": raw.day(today)})
    expired = max(int(cursor.rowcount or 0), 0)
    if not expired and closed is not None:
        closed[hall.id] = today
    return expired


def reopen_past_days(session: Session, hall: Hall, service_on: date, now: datetime) -> None:
    """A ticket of `service_on` waits (or is parked) again: if that day is over, the hall's remembered empty round
    no longer holds, and the next round expires the ticket, as every round did before it was remembered."""
    closed: dict[int, date] | None = session.info.get(DAYS_CLOSED_KEY)
    if closed is not None and service_on < service_day(now, hall.timezone, hall.day_rollover):
        closed.pop(hall.id, None)
