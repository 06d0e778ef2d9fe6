"""Whether each of a hall's services takes tickets now, and its hours today in words a citizen reads.

The kiosk offers only what it can issue: a service closed for the day (暂停今日取号), switched off, outside its
own hours or in a closed hall is shown with the hours it really has today, never as takeable. Uses the engine's
calendar (the same rules issuing enforces), so the page and the refusal agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.queue import calendar
from queue_server.storage.models import Hall
from queue_server.storage.models import Service


@dataclass(frozen=True)
class Today:
    open_now: bool  # a ticket can be taken right now
    paused: bool  # switched off, or closed for today by the hall (暂停今日取号)
    hours: str  # today's hours, "08:30-12:00、14:30-17:30"; "" when it does not open today at all


def _hours(intervals: list[calendar.Interval]) -> str:
    return "、".join(f"{s:%H:%M}-{'24:00' if e is None else f'{e:%H:%M}'}" for s, e in intervals)


def services_today(session: Session, hall: Hall, now: datetime) -> dict[str, Today]:
    """Each service of the hall by code."""
    local = local_time(now, hall.timezone)
    day = service_day(now, hall.timezone, hall.day_rollover)
    hall_hours = calendar.day_intervals(session, hall, None, local.date())
    hall_open = calendar.is_open(hall_hours, local)
    out = {}
    for service in session.scalars(select(Service).where(Service.hall_id == hall.id)):
        paused = not service.active or service.closed_on == day
        intervals = calendar.day_intervals(session, hall, service, local.date()) if hall_hours else []
        open_now = (hall_open and not paused
                    and calendar.is_open(intervals, local, service.stop_issue_before_close_min))
        out[service.code] = Today(open_now=open_now, paused=paused, hours="" if paused else _hours(intervals))
    return out
