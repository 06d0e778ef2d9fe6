"""A service's booking plan: which slots exist on a given day, and how far ahead and until when they can be booked.

The plan is weekly, like opening hours: ISO weekday -> blocks of equal slots, each with a capacity. A holiday has
no slots; a 调休 working day takes Monday's (as its opening hours do, engine/queue/calendar.py). A slot is offered
only where the service is open for the whole of it, so a plan never sells a time the hall is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import as_utc
from queue_server.engine.audit import audit
from queue_server.engine.queue import calendar
from queue_server.engine.queue.ledger import load_service
from queue_server.engine.queue.payloads import service_payload
from queue_server.storage.models import Hall
from queue_server.storage.models import Service

# A slot shorter than 5 minutes is a typo; one longer than a half day is not a slot.
SLOT_MINUTES = (5, 240)
CAPACITY = (1, 500)
# 7 working days is the common horizon; a month is the longest seen in the province's halls.
HORIZON_DAYS = (1, 30)
# Cut-off before a slot: none, up to a day ahead (the hall prepares files for bookings).
CUTOFF_MIN = (0, 1440)
DEFAULT_HORIZON_DAYS = 7
DEFAULT_CUTOFF_MIN = 60


@dataclass(frozen=True)
class Slot:
    start: datetime  # aware, hall local time
    end: datetime
    capacity: int


def _clock_time(text: Any, where: str) -> time:
    try:
        hour, minute = str(text).split(":")
        return time(int(hour), int(minute))
    except ValueError as exc:
        raise errors.BadBookingPlan(field=where, reason="时间应为 HH:MM / time must be HH:MM") from exc


def _bounded(value: Any, bounds: tuple[int, int], where: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise errors.BadBookingPlan(field=where, reason=f"应为 {low}–{high} 的整数 / a whole number {low}–{high}")
    return value


def check_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan in its stored form, or bad_booking_plan naming the first bad field."""
    days = plan.get("days")
    if not isinstance(days, dict):
        raise errors.BadBookingPlan(field="days", reason="缺少每周安排 / the weekly plan is missing")
    checked: dict[str, list[dict[str, Any]]] = {}
    for key, blocks in days.items():
        if key not in {str(d) for d in range(1, 8)} or not isinstance(blocks, list):
            raise errors.BadBookingPlan(field=f"days.{key}", reason="星期应为 1–7 / weekday must be 1–7")
        out = []
        for i, block in enumerate(blocks):
            where = f"days.{key}[{i}]"
            if not isinstance(block, dict):
                raise errors.BadBookingPlan(field=where, reason="格式不对 / not an object")
            start = _clock_time(block.get("start"), f"{where}.start")
            end = _clock_time(block.get("end"), f"{where}.end")
            minutes = _bounded(block.get("minutes"), SLOT_MINUTES, f"{where}.minutes")
            capacity = _bounded(block.get("capacity"), CAPACITY, f"{where}.capacity")
            if end <= start:
                raise errors.BadBookingPlan(field=f"{where}.end", reason="结束应晚于开始 / end must be after start")
            out.append({"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "minutes": minutes, "capacity": capacity})
        out.sort(key=lambda b: b["start"])
        for before, after in zip(out, out[1:], strict=False):
            if after["start"] < before["end"]:
                raise errors.BadBookingPlan(field=f"days.{key}", reason="时段重叠 / blocks overlap")
        checked[key] = out
    if not any(checked.values()):  # a bookable service with no slot would only puzzle citizens
        raise errors.BadBookingPlan(field="days", reason="至少设置一天的时段 / give slots for at least one day")
    return {
        "days": checked,
        "horizon_days": _bounded(plan.get("horizon_days", DEFAULT_HORIZON_DAYS), HORIZON_DAYS, "horizon_days"),
        "cutoff_min": _bounded(plan.get("cutoff_min", DEFAULT_CUTOFF_MIN), CUTOFF_MIN, "cutoff_min"),
    }


def _inside(intervals: list[calendar.Interval], start: time, end: time) -> bool:
    return any(open_ <= start and (close is None or end <= close) for open_, close in intervals)


def day_slots(session: Session, hall: Hall, service: Service, on: date) -> list[Slot]:
    """The plan's slots on a local day, where the service is open for the whole slot; none on a holiday."""
    plan = service.booking
    if not plan:
        return []
    intervals = calendar.day_intervals(session, hall, service, on)
    if not intervals:
        return []
    kind = session.info.get("hallq_calendar", {}).get((hall.id, on))
    key = calendar.WORKDAY_TEMPLATE if kind == "workday" else str(on.isoweekday())
    zone = ZoneInfo(hall.timezone)
    slots = []
    for block in plan["days"].get(key, []):
        at = datetime.combine(on, _clock_time(block["start"], "start"))
        stop = datetime.combine(on, _clock_time(block["end"], "end"))
        step = timedelta(minutes=block["minutes"])
        while at + step <= stop:
            if _inside(intervals, at.time(), (at + step).time() if (at + step).date() == on else time(23, 59)):
                slots.append(Slot(at.replace(tzinfo=zone), (at + step).replace(tzinfo=zone), block["capacity"]))
            at += step
    return slots


def bookable_days(session: Session, hall: Hall, service: Service, today: date) -> list[date]:
    """Today and the working days ahead within the plan's horizon (days the service is open count)."""
    plan = service.booking
    if not plan:
        return []
    days, on = [], today
    # Bounded walk: a horizon of 30 working days never needs more than a few months of calendar.
    for _ in range(plan["horizon_days"] * 3 + 14):
        if calendar.day_intervals(session, hall, service, on):
            days.append(on)
            if len(days) > plan["horizon_days"]:
                break
        on += timedelta(days=1)
    return days


def cutoff(service: Service, slot_start: datetime) -> datetime:
    """The last instant a slot can be booked, moved or cancelled."""
    return as_utc(slot_start) - timedelta(minutes=int(service.booking["cutoff_min"] if service.booking else 0))


def set_plan(session: Session, clock: Clock, *, hall: Hall, service_code: str, plan: dict[str, Any] | None,
             actor: str) -> events.Outcome[dict[str, Any] | None]:
    """A manager sets (or, with None, withdraws) a service's booking plan. Bookings already made stay: a
    withdrawn plan stops new ones. Raises service_not_found, bad_booking_plan."""
    service = load_service(session, hall, service_code)
    checked = check_plan(plan) if plan is not None else None
    before = service.booking
    service.booking = checked
    audit(session, clock.now(), hall, actor, "service.set_booking", service.code, before=before, after=checked)
    return events.Outcome(checked, (events.Event(events.SERVICE_UPDATED, {
        "service": {**service_payload(service), "bookable": checked is not None}}),))

