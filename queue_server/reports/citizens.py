"""网上预约 and 线上取号 in the hall reports: per business day and service, the bookings made for that day, how many
were cancelled, checked in or missed (爽约), and the tickets citizens took from a phone (channel mobile).

A booking counts on the day of its slot (what the hall planned for), in the hall's business day like tickets;
counted live from the appointments and tickets tables with a GROUP BY (a month holds a few thousand bookings, not
the legs' hundred thousand), so they are never kept in report_days. Core module: SQLAlchemy, the models, stdlib.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import as_utc
from queue_server.clock import service_day
from queue_server.storage.models import Appointment
from queue_server.storage.models import Channel
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket

REMOTE_CHANNELS = (Channel.MOBILE.value,)  # 线上取号: a ticket taken from the citizen's phone


@dataclass(frozen=True)
class CitizenDay:
    """One service on one business day; `on` None with service "total" is the period's total."""

    on: date | None
    service: str
    service_name: str
    booked: int  # bookings for the day, cancelled ones left out
    cancelled: int  # cancelled by the citizen before the cut-off
    checked_in: int  # 签到 at a kiosk (on time or late)
    no_show: int  # 爽约: not checked in by the end of the slot
    remote: int  # tickets taken from a phone (channel mobile)


_FIGURES = ("booked", "cancelled", "checked_in", "no_show", "remote")


def citizen_days(session: Session, hall: Hall, from_on: date, to_on: date) -> tuple[list[CitizenDay], CitizenDay]:
    """Rows by day then service code (only rows with a non-zero figure), and the period's total."""
    zone = ZoneInfo(hall.timezone)
    services = {s.id: s for s in session.scalars(select(Service).where(Service.hall_id == hall.id))}
    counts: dict[tuple[date, int], dict[str, int]] = defaultdict(lambda: dict.fromkeys(_FIGURES, 0))
    # Slots lie inside opening hours, so a day's bookings start between its local midnight and the next (a day
    # either side of the period is read too, in case the hall's day turns away from midnight).
    start = as_utc(datetime.combine(from_on - timedelta(days=1), time(), zone))
    end = as_utc(datetime.combine(to_on + timedelta(days=2), time(), zone))
    for service_id, slot_start, status, n in session.execute(
            select(Appointment.service_id, Appointment.slot_start, Appointment.status, func.count())
            .where(Appointment.hall_id == hall.id, Appointment.slot_start >= start, Appointment.slot_start < end)
            .group_by(Appointment.service_id, Appointment.slot_start, Appointment.status)):
        on = service_day(as_utc(slot_start), hall.timezone, hall.day_rollover)
        if not from_on <= on <= to_on:
            continue
        row = counts[(on, service_id)]
        if status == "cancelled":
            row["cancelled"] += n
            continue
        row["booked"] += n
        if status in ("checked_in", "no_show"):
            row[status] += n
    for on, service_id, n in session.execute(
            select(Ticket.service_on, Ticket.original_service_id, func.count())
            .where(Ticket.hall_id == hall.id, Ticket.service_on.between(from_on, to_on),
                   Ticket.channel.in_(REMOTE_CHANNELS))
            .group_by(Ticket.service_on, Ticket.original_service_id)):
        counts[(on if isinstance(on, date) else date.fromisoformat(on), service_id)]["remote"] += n
    rows = [CitizenDay(on, services[sid].code, services[sid].name, **figures)
            for (on, sid), figures in counts.items() if sid in services]
    rows.sort(key=lambda r: (r.on or date.min, r.service))
    total = CitizenDay(None, "total", "合计 total", **{f: sum(getattr(r, f) for r in rows) for f in _FIGURES})
    return rows, total
