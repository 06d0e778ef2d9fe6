"""Opening hours of a hall or service on a given local day: weekly hours, holidays and 调休 working days."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from sqlalchemy.orm import Session

from queue_server.clock import local_time
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.rawsql import RawSQL

Interval = tuple[time, time | None]  # None end = midnight ("24:00")

# 调休: an adjusted working day on a weekend keeps Monday's hours.
WORKDAY_TEMPLATE = "1"
_DAY_KIND = "SELECT kind FROM calendar_days WHERE hall_id = :hall_id AND day = :day"


def _parse(text: str) -> time | None:
    if text in {"24:00", "24:00:00"}:
        return None
    hour, minute = text.split(":")[:2]
    return time(int(hour), int(minute))


def day_intervals(session: Session, hall: Hall, service: Service | None, on: date) -> list[Interval]:
    """Open intervals (local time) for the day; empty when closed."""
    memo: dict[tuple[int, date], str | None] = session.info.setdefault("hallq_calendar", {})
    if (hall.id, on) not in memo:  # hall and service checks in one op ask for the same day
        raw = RawSQL.of(session)
        row = raw.execute(_DAY_KIND, {"hall_id": hall.id, "day": raw.day(on)}).fetchone()
        memo[(hall.id, on)] = row[0] if row else None
    kind = memo[(hall.id, on)]
    if kind == "holiday":
        return []
    key = WORKDAY_TEMPLATE if kind == "workday" else str(on.isoweekday())
    hours = service.opening_hours if service is not None and service.opening_hours else hall.opening_hours
    return [(_parse(start) or time(0), _parse(end)) for start, end in hours.get(key, [])]


def describe(intervals: list[Interval]) -> str:
    if not intervals:
        return "休息 closed"
    return ", ".join(f"{s:%H:%M}-{'24:00' if e is None else f'{e:%H:%M}'}" for s, e in intervals)


def is_open(intervals: list[Interval], at_local: datetime, stop_before_min: int = 0) -> bool:
    """Whether `at_local` falls in an interval, stopping `stop_before_min` minutes before its end."""
    moment = at_local.replace(tzinfo=None)
    for start, end in intervals:
        begin = datetime.combine(moment.date(), start)
        finish = datetime.combine(moment.date() + timedelta(days=1), time(0)) if end is None else (
            datetime.combine(moment.date(), end))
        if begin <= moment < finish - timedelta(minutes=stop_before_min):
            return True
    return False


def open_now(session: Session, hall: Hall, service: Service | None, at: datetime) -> tuple[bool, str]:
    local = local_time(at, hall.timezone)
    intervals = day_intervals(session, hall, service, local.date())
    stop = service.stop_issue_before_close_min if service is not None else 0
    return is_open(intervals, local, stop), describe(intervals)
