"""Closing past service days: tickets still waiting (or parked) from an earlier business day expire.

Nobody comes back for yesterday's number, and a stale ticket must not be called or counted as "ahead" today.
Run lazily by the first issue of a service each day and by every call-next (one indexed UPDATE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server.clock import service_day
from queue_server.models import Hall
from queue_server.models import Ticket
from queue_server.models import TicketStatus


def expire_past_days(session: Session, hall: Hall, now: datetime) -> int:
    """Expire the hall's waiting and parked tickets of earlier service days; returns how many. A ticket at a
    window is left alone: in a hall open around midnight its citizen is standing there."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    result = session.execute(
        update(Ticket)
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status.in_((TicketStatus.WAITING, TicketStatus.PARKED)),
            # coalesce() on a NOT NULL column changes nothing but keeps the planner off the (hall, day) unique
            # index: with years of history, SQLite would walk every past ticket of the hall through it (5 s at
            # 5 million) instead of the few open ones through ix_tickets_queue (< 1 ms; bench/history_ops.py).
            func.coalesce(Ticket.service_on, today) < today,
        )
        .values(status=TicketStatus.EXPIRED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
