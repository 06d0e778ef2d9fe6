"""Read side of the manager's live monitor: per service the queue and today's figures (网上预约 by status, 线上取号
tickets not yet arrived), per window its state and current ticket, today's arrivals and waiting by quarter-hour,
the latest booking activity, the alerts and each kiosk's printer. A prefecture summary over halls.
Never writes.

No Flask imports. No personal data: tickets appear by number, staff by 工号 and display name only, citizens of
bookings by their masked ID or mobile number (as on their own ticket) only.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from queue_server import events
from queue_server.clock import as_utc
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.oversight.alerts import alert_payload
from queue_server.engine.oversight.alerts import conditions
from queue_server.engine.queue import estimates
from queue_server.engine.queue.calendar import open_now
from queue_server.storage import alerts as alert_kinds
from queue_server.storage.alerts import OPEN_STATES
from queue_server.storage.alerts import Alert
from queue_server.storage.models import ACTIVE_STATUSES
from queue_server.storage.models import Appointment
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService

BUCKET = timedelta(minutes=15)  # the chart's resolution: a quarter-hour is how hall managers plan staffing
MAX_BUCKETS = 24 * 4  # one day of quarter-hours
RESOLVED_SHOWN = 30  # resolved alerts listed under the open ones (today's context, not the archive)
BOOKING_STATUSES = ("booked", "checked_in", "no_show", "cancelled")
APPOINTMENT_EVENTS = (events.APPOINTMENT_BOOKED, events.APPOINTMENT_MOVED, events.APPOINTMENT_CANCELLED,
                      events.APPOINTMENT_CHECKED_IN, events.APPOINTMENT_MISSED)
# What a line of the booking activity shows; the events carry no code or manage token, and this list keeps it so.
ACTIVITY_FIELDS = ("service", "service_name", "status", "slot_start", "slot_end", "person_masked")
ACTIVITY_SHOWN = 8  # a glance, not a log: the audit page has the rest
ACTIVITY_LOOKBACK = 5000  # hall events read back for it (a busy county hall publishes ~15,000 a day)


def _seconds(later: datetime, earlier: datetime | None) -> int | None:
    return None if earlier is None else max(0, round((later - earlier).total_seconds()))


def services(session: Session, hall: Hall, now: datetime) -> list[dict[str, Any]]:
    today = service_day(now, hall.timezone, hall.day_rollover)
    issued = dict(session.execute(select(DailyCounter.service_id, DailyCounter.issued).join(
        Service, Service.id == DailyCounter.service_id).where(Service.hall_id == hall.id,
                                                             DailyCounter.service_on == today)).all())
    served = dict(session.execute(select(TicketLeg.service_id, func.count()).where(
        TicketLeg.hall_id == hall.id, TicketLeg.service_on == today, TicketLeg.end == "finished")
        .group_by(TicketLeg.service_id)).all())
    # One read of the waiting tickets split by 线上取号 arrival: the longest wait is of the callable queue (a remote
    # ticket on its way is not kept waiting by the hall), and the remote tickets still on their way are counted.
    oldest: dict[int, datetime] = {}
    on_the_way: dict[int, int] = {}
    away = and_(Ticket.remote.is_(True), Ticket.arrived_at.is_(None))
    for service_id, not_here, n, first in session.execute(
            select(Ticket.service_id, away, func.count(), func.min(Ticket.queued_at))
            .where(Ticket.hall_id == hall.id, Ticket.status == TicketStatus.WAITING)
            .group_by(Ticket.service_id, away)):
        if not_here:
            on_the_way[service_id] = int(n)
        else:
            oldest[service_id] = first
    booked = bookings_today(session, hall, today)
    out = []
    for service in session.scalars(select(Service).where(Service.hall_id == hall.id).order_by(Service.id)):
        waiting = estimates.waiting_count(session, service)
        out.append({
            "code": service.code, "name": service.name, "prefix": service.prefix, "active": service.active,
            "closed_today": service.closed_on == today,
            "waiting": waiting, "longest_wait_s": _seconds(now, oldest.get(service.id)),
            "estimated_wait_s": estimates.estimated_wait_s(session, hall, service, waiting, now),
            "issued_today": int(issued.get(service.id, 0)), "served_today": int(served.get(service.id, 0)),
            "warning_threshold": service.warning_threshold, "daily_cap": service.daily_cap,
            "standard_duration_s": service.standard_duration_s,
            "not_arrived": on_the_way.get(service.id, 0),
            "bookings": booked.get(service.id, dict.fromkeys(BOOKING_STATUSES, 0)),
        })
    return out


def _day_bounds(hall: Hall, day: date) -> tuple[datetime, datetime]:
    """A local day as UTC instants: the day a slot belongs to, as numbering.open_bookings counts it."""
    first = datetime.combine(day, time(0), tzinfo=ZoneInfo(hall.timezone))
    return as_utc(first), as_utc(first + timedelta(days=1))


def bookings_today(session: Session, hall: Hall, today: date) -> dict[int, dict[str, int]]:
    """网上预约 per service for today's slots: {service id: {booked (still to check in), checked_in, no_show (爽约),
    cancelled}}. The slot-end bound lets ix_appointments_due (hall, status, slot end) seek past days."""
    start, end = _day_bounds(hall, today)
    out: dict[int, dict[str, int]] = {}
    for service_id, status, n in session.execute(
            select(Appointment.service_id, Appointment.status, func.count())
            .where(Appointment.hall_id == hall.id, Appointment.status.in_(BOOKING_STATUSES),
                   Appointment.slot_end > start, Appointment.slot_start >= start, Appointment.slot_start < end)
            .group_by(Appointment.service_id, Appointment.status)):
        out.setdefault(service_id, dict.fromkeys(BOOKING_STATUSES, 0))[status] = int(n)
    return out


def booking_activity(session: Session, hall: Hall, now: datetime) -> list[dict[str, Any]]:
    """The latest booking changes today, newest first, from the hall's outbox (the events the monitor also gets
    live): what happened (booked, moved, cancelled, checked in, 爽约), when, the service, the slot and the masked
    person. Only the last ACTIVITY_LOOKBACK events are read, so the read stays an index range however long the
    outbox is kept; a quiet morning of bookings in a busy afternoon simply shows fewer lines."""
    start, _ = _day_bounds(hall, service_day(now, hall.timezone, hall.day_rollover))
    rows = session.execute(
        select(HallEvent.seq, HallEvent.type, HallEvent.at, HallEvent.payload)
        .where(HallEvent.hall_id == hall.id, HallEvent.seq > hall.event_seq - ACTIVITY_LOOKBACK,
               HallEvent.type.in_(APPOINTMENT_EVENTS), HallEvent.at >= start)
        .order_by(HallEvent.seq.desc()).limit(ACTIVITY_SHOWN))
    out = []
    for seq, kind, at, payload in rows:
        appt = (payload or {}).get("appointment") or {}
        out.append({"seq": seq, "type": kind, "at": as_utc(at).isoformat(),
                    **{k: appt.get(k) for k in ACTIVITY_FIELDS}})
    return out


def window_label(number: int, name: str) -> str:
    # No shared label helper on this branch yet: the hall's one spelling, "3号 综合窗口", written here.
    return f"{number}号 {name}"


def windows(session: Session, hall: Hall, now: datetime) -> list[dict[str, Any]]:
    current = {t.window_id: t for t in session.scalars(
        select(Ticket).where(Ticket.hall_id == hall.id, Ticket.status.in_(ACTIVE_STATUSES)))}
    out = []
    for window in session.scalars(
        select(Window).where(Window.hall_id == hall.id).order_by(Window.number)
        .options(selectinload(Window.profile).selectinload(WindowService.service), selectinload(Window.staff))
    ):
        ticket = current.get(window.id)
        # serving / idle come from the ticket; paused, 离岗 (away) and closed from the window itself.
        activity = window.state.value if window.state.value != "open" else ("serving" if ticket else "idle")
        since = (ticket.started_at or ticket.called_at) if ticket else window.state_since
        out.append({
            "number": window.number, "name": window.name, "label": window_label(window.number, window.name),
            "state": window.state.value, "activity": activity,
            "reason": window.state_reason, "since": since.isoformat() if since else None,
            "for_s": _seconds(now, since),
            "staff": window.staff.user_no if window.staff else None,
            "staff_name": window.staff.name if window.staff else None,
            "services": [{"service": ws.service.code, "name": ws.service.name, "weight": ws.weight}
                         for ws in window.profile],
            "current": {"id": ticket.id, "number": ticket.ticket_no, "status": ticket.status.value}
            if ticket else None,
        })
    return out


def _first_calls(session: Session, hall: Hall, today: date) -> dict[int, datetime]:
    """When each of today's tickets was first called (its earliest closed leg); the open leg is on the ticket."""
    return {tid: at for tid, at in session.execute(
        select(TicketLeg.ticket_id, func.min(TicketLeg.called_at)).where(
            TicketLeg.hall_id == hall.id, TicketLeg.service_on == today, TicketLeg.called_at.is_not(None))
        .group_by(TicketLeg.ticket_id)).all()}


def chart(session: Session, hall: Hall, now: datetime) -> list[dict[str, Any]]:
    """Today's arrivals per quarter-hour and the number waiting at the end of each, from the first arrival.

    A ticket waits from its issue until its first call (or until it left uncalled); with bucket indexes a (issue)
    and d (leaving) it is waiting at the end of bucket k exactly when a <= k < d, so one pass over the tickets
    and a running sum give the whole line (a county hall issues ~3,800 tickets a day)."""
    today = service_day(now, hall.timezone, hall.day_rollover)
    tickets = list(session.execute(select(Ticket.id, Ticket.issued_at, Ticket.called_at, Ticket.ended_at,
                                          Ticket.status).where(Ticket.hall_id == hall.id,
                                                               Ticket.service_on == today)).all())
    if not tickets:
        return []
    first_call = _first_calls(session, hall, today)
    start_local = local_time(min(t.issued_at for t in tickets), hall.timezone)
    start = start_local.replace(minute=start_local.minute // 15 * 15, second=0, microsecond=0)
    count = min(MAX_BUCKETS, int((now - start) / BUCKET) + 1)
    arrivals = [0] * count
    change = [0] * (count + 1)

    def index(at: datetime) -> int:
        return min(count, int((at - start) / BUCKET))

    for t in tickets:
        called = min((c for c in (first_call.get(t.id), t.called_at) if c is not None), default=None)
        gone = called or (t.ended_at if t.status != TicketStatus.WAITING else None)
        a = index(t.issued_at)
        if a < count:
            arrivals[a] += 1
        change[a] += 1
        change[index(gone) if gone is not None else count] -= 1
    out, waiting = [], 0
    for k in range(count):
        waiting += change[k]
        out.append({"at": local_time(start + k * BUCKET, hall.timezone).strftime("%H:%M"),
                    "arrivals": arrivals[k], "waiting": waiting})
    return out


def alerts(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """Open alerts (newest first), then the latest resolved ones."""
    open_rows = session.scalars(select(Alert).where(Alert.hall_id == hall.id, Alert.state.in_(OPEN_STATES))
                                .order_by(Alert.raised_at.desc(), Alert.id.desc()))
    resolved = session.scalars(select(Alert).where(Alert.hall_id == hall.id, Alert.state.not_in(OPEN_STATES))
                               .order_by(Alert.resolved_at.desc(), Alert.id.desc()).limit(RESOLVED_SHOWN))
    return [alert_payload(a) for a in [*open_rows, *resolved]]


def kiosks(session: Session, hall: Hall) -> list[dict[str, Any]]:
    """Each kiosk with its printer's last reported state (online, paper_low, paper_out, cover_open, offline,
    error, unknown; null before its agent ever reported) and when it last reported."""
    rows = session.scalars(select(Device).where(Device.hall_id == hall.id, Device.kind == "kiosk")
                           .order_by(Device.name, Device.id))
    return [{"id": d.id, "name": d.name, "printer": d.printer is not None, "printer_state": d.printer_state,
             "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None} for d in rows]


# What needs a manager's eye, in the order they act on it: people kept waiting, windows left paused or away,
# kiosks that cannot print, and 差评 past their deadline. Computed from the alert conditions as they hold now
# (not from the alert rows), so the list is right even between two evaluator rounds.
ATTENTION_ORDER = {alert_kinds.TICKET_WAIT_LONG: 0, alert_kinds.QUEUE_LONG: 1, alert_kinds.WINDOW_PAUSED_LONG: 2,
                   alert_kinds.PRINTER_TROUBLE: 3, alert_kinds.CASE_OVERDUE: 4}


def attention(session: Session, hall: Hall, now: datetime) -> list[dict[str, Any]]:
    """[{kind, subject, data}] for the conditions in ATTENTION_ORDER, most urgent kind first, then the longest
    or fullest first within a kind; a window carries its "N号 name" label in data.window_label."""
    found = [c for c in conditions(session, hall, now) if c.kind in ATTENTION_ORDER]
    found.sort(key=lambda c: (ATTENTION_ORDER[c.kind], -int(c.data.get("minutes") or c.data.get("waiting") or 0),
                              c.subject))
    out = []
    for c in found:
        data = dict(c.data)
        if "window" in data and "window_name" in data:
            data["window_label"] = window_label(data["window"], data["window_name"])
        out.append({"kind": c.kind, "subject": c.subject, "data": data})
    return out


def monitor(session: Session, hall: Hall, now: datetime) -> dict[str, Any]:
    return {"hall": hall.code, "hall_name": hall.name, "now": now.isoformat(), "seq": hall.event_seq,
            "services": services(session, hall, now), "windows": windows(session, hall, now),
            "chart": chart(session, hall, now), "alerts": alerts(session, hall), "kiosks": kiosks(session, hall),
            "attention": attention(session, hall, now), "bookings": booking_activity(session, hall, now)}


def prefecture(session: Session, halls: list[Hall], now: datetime) -> list[dict[str, Any]]:
    """One line per hall: open or closed now (its opening hours and calendar), waiting, windows serving, open
    windows, open alerts. A window counts as open only in an open hall with a clerk signed in: a closed county
    hall's windows, left in state "open" overnight with nobody at them, are not open."""
    out = []
    for hall in halls:
        rows = windows(session, hall, now)
        hall_open, hours = open_now(session, hall, None, now)
        out.append({
            "hall": hall.code, "hall_name": hall.name, "open": hall_open, "hours_today": hours,
            "waiting": sum(s["waiting"] for s in services(session, hall, now)),
            "serving": sum(1 for w in rows if w["activity"] == "serving"),
            "open_windows": sum(1 for w in rows if w["state"] == "open" and w["staff"] is not None)
            if hall_open else 0,
            "open_alerts": session.scalar(select(func.count()).select_from(Alert).where(
                Alert.hall_id == hall.id, Alert.state.in_(OPEN_STATES))) or 0,
        })
    return out
