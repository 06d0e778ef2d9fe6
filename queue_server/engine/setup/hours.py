"""A hall's opening hours and its calendar (法定节假日 closed, 调休 working days) set by a manager: validated,
audited and announced (hall.updated), and applied by issuing at once (engine/queue/calendar.py reads them per call).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.audit import audit
from queue_server.storage.models import CalendarDay
from queue_server.storage.models import Hall

HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")
WEEKDAYS = ("1", "2", "3", "4", "5", "6", "7")  # ISO weekdays, Monday = 1
DAY_KINDS = ("holiday", "workday")


def check_day(weekday: str, intervals: Any) -> list[list[str]]:
    """Intervals as [["08:30", "12:00"], ...], each start before its end, in order, not overlapping."""
    if not isinstance(intervals, list):
        raise errors.BadOpeningHours(weekday=weekday)
    out: list[list[str]] = []
    last_end = "00:00"
    for item in intervals:
        if (not isinstance(item, list) or len(item) != 2 or not all(isinstance(t, str) and HHMM.match(t)
                                                                    for t in item)):
            raise errors.BadOpeningHours(weekday=weekday)
        start, end = item
        if not (last_end <= start < end) or start == "24:00":  # "HH:MM" strings order like times
            raise errors.BadOpeningHours(weekday=weekday)
        out.append([start, end])
        last_end = end
    return out


def set_opening_hours(session: Session, clock: Clock, *, hall: Hall, opening_hours: dict[str, Any], actor: str
                      ) -> events.Outcome[dict[str, list[list[str]]]]:
    """Replace the weekly hours ({"1": [["08:30", "12:00"], ...], ..., "7": []}; a missing weekday is closed).
    Raises bad_opening_hours."""
    unknown = [k for k in opening_hours if k not in WEEKDAYS]
    if unknown:
        raise errors.BadOpeningHours(weekday=unknown[0])
    hours = {day: check_day(day, opening_hours.get(day, [])) for day in WEEKDAYS}
    before = dict(hall.opening_hours or {})
    hall.opening_hours = hours
    audit(session, clock.now(), hall, actor, "hall.set_hours", hall.code, before=before, after=hours)
    # `opening_hours` at the top level: a `hall` object would be overwritten by the envelope's hall code.
    return events.Outcome(hours, (events.Event(events.HALL_UPDATED, {"opening_hours": hours}),))


def calendar_payload(row: CalendarDay) -> dict[str, Any]:
    return {"day": row.day.isoformat(), "kind": row.kind, "name": row.name}


def set_calendar_day(session: Session, clock: Clock, *, hall: Hall, day: date, kind: str | None, name: str,
                     actor: str) -> events.Outcome[dict[str, Any]]:
    """Mark a day a holiday (closed) or an adjusted working day (Monday's hours); kind None returns it to the
    weekly hours. Raises none (the route checks the kind)."""
    row = session.scalar(select(CalendarDay).where(CalendarDay.hall_id == hall.id, CalendarDay.day == day))
    before = calendar_payload(row) if row is not None else None
    if kind is None:
        if row is not None:
            session.delete(row)
        after: dict[str, Any] = {"day": day.isoformat(), "kind": None, "name": ""}
    else:
        if row is None:
            row = CalendarDay(hall_id=hall.id, day=day)
            session.add(row)
        row.kind, row.name = kind, name.strip()
        after = calendar_payload(row)
    session.info.pop("hallq_calendar", None)  # engine/queue/calendar.py memoises days per session
    audit(session, clock.now(), hall, actor, "hall.set_calendar_day", f"{hall.code}:{day.isoformat()}",
          before=before, after=after)
    return events.Outcome(after, (events.Event(events.HALL_UPDATED, {"calendar_day": after}),))


def calendar(session: Session, hall: Hall, since: date) -> list[dict[str, Any]]:
    """Holidays and working days from `since` on, in date order (read helper for the route)."""
    return [calendar_payload(r) for r in session.scalars(
        select(CalendarDay).where(CalendarDay.hall_id == hall.id, CalendarDay.day >= since).order_by(CalendarDay.day))]
