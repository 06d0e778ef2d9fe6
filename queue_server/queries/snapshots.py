"""The read side: service and window lists, a ticket by its track token, events after a seq. Never writes.

No Flask imports; the API and the realtime hub render these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from queue_server import errors
from queue_server.clock import local_time
from queue_server.clock import service_day
from queue_server.engine.queue import estimates
from queue_server.engine.queue.payloads import window_payload
from queue_server.engine.queue.printing import REPRINT_LIMIT
from queue_server.engine.queue.printing import seconds_left
from queue_server.storage.models import ACTIVE_STATUSES
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import HallNotice
from queue_server.storage.models import PrintJob
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.ratings import LEVELS
from queue_server.storage.ratings import Rating


def hall_by_code(session: Session, code: str) -> Hall:
    hall = session.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        raise errors.HallNotFound(hall=code)
    return hall


def services(session: Session, hall: Hall, now: datetime) -> list[dict[str, Any]]:
    today = service_day(now, hall.timezone, hall.day_rollover)
    out = []
    for service in session.scalars(
        select(Service).where(Service.hall_id == hall.id).options(selectinload(Service.department))
        .order_by(Service.id)
    ):
        waiting = estimates.waiting_count(session, service)
        out.append({
            "code": service.code,
            "name": service.name,
            "prefix": service.prefix,
            "department": service.department.name if service.department else None,
            "active": service.active and service.closed_on != today,  # 暂停今日取号 hides it for today only
            "green_channel": service.green_channel,
            "person_limit": service.person_limit,
            "waiting": waiting,
            "estimated_wait_s": estimates.estimated_wait_s(session, hall, service, waiting, now),
        })
    return out


def windows(session: Session, hall: Hall) -> list[dict[str, Any]]:
    current = {
        t.window_id: t for t in session.scalars(
            select(Ticket).where(Ticket.hall_id == hall.id, Ticket.status.in_(ACTIVE_STATUSES))
        )
    }
    out = []
    for window in session.scalars(
        select(Window).where(Window.hall_id == hall.id).order_by(Window.number)
        .options(selectinload(Window.profile).selectinload(WindowService.service), selectinload(Window.staff))
    ):
        ticket = current.get(window.id)
        item = window_payload(window)
        item["label"] = window.label
        item["services"] = [ws.service.code for ws in window.profile]
        item["current"] = (
            {"id": ticket.id, "number": ticket.ticket_no, "status": ticket.status.value} if ticket else None
        )
        out.append(item)
    return out


@dataclass(frozen=True)
class Tracked:
    ticket: Ticket
    hall: Hall
    ahead: int
    estimated_wait_s: int
    print_job: dict[str, Any] | None = None  # the latest print job, for the phone page's 补打
    visit: dict[str, Any] | None = None  # the latest finished visit, what the phone's rating is about
    at: datetime | None = None  # when it was read: a 过号 past the tolerance can no longer be put back


def visit(session: Session, hall: Hall, ticket: Ticket) -> dict[str, Any] | None:
    """The ticket's latest finished leg as the citizen remembers it (service, "3号 综合窗口", clerk's 工号, the
    local time it ended) and whether it was rated: the phone's 好差评 names what is rated and is offered once."""
    leg = session.scalar(select(TicketLeg).where(TicketLeg.ticket_id == ticket.id, TicketLeg.end == "finished")
                         .order_by(TicketLeg.ended_at.desc(), TicketLeg.id.desc()).limit(1))
    if leg is None or leg.ended_at is None:
        return None
    window = session.get(Window, leg.window_id) if leg.window_id is not None else None
    staff = session.get(Staff, leg.staff_id) if leg.staff_id is not None else None
    service = session.get(Service, leg.service_id)
    rated = session.scalar(select(Rating.level).where(Rating.leg_id == leg.id))
    return {"service_name": service.name if service else "", "window_label": window.label if window else None,
            "staff": staff.user_no if staff else None,
            "finished_at_local": local_time(leg.ended_at, hall.timezone).strftime("%H:%M"),
            "rated": rated is not None, "rated_level_name": LEVELS.get(rated) if rated is not None else None}


def track(session: Session, token: str, now: datetime) -> Tracked:
    ticket = session.scalar(select(Ticket).where(Ticket.track_token == token))
    if ticket is None:
        raise errors.TicketNotFound(ticket="?")
    hall = session.get(Hall, ticket.hall_id)
    assert hall is not None
    ahead, wait = position(session, hall, ticket, now)
    return Tracked(ticket, hall, ahead, wait, print_state(session, ticket, now), visit(session, hall, ticket),
                   now)


def print_state(session: Session, ticket: Ticket, now: datetime) -> dict[str, Any] | None:
    """The ticket's latest print job as its owner sees it: status, where it prints, reprints left; None when no
    kiosk printer ever had the ticket."""
    jobs = session.execute(select(PrintJob, Device.name).join(Device, Device.id == PrintJob.device_id)
                           .where(PrintJob.ticket_id == ticket.id).order_by(PrintJob.id)).all()
    if not jobs:
        return None
    job, kiosk = jobs[-1]
    reprints = sum(1 for j, _ in jobs if j.reprint)
    return {"status": job.status.value, "error": job.error, "reprint": job.reprint, "kiosk": kiosk,
            "deadline_in_s": round(seconds_left(job, now), 3), "reprints_left": max(0, REPRINT_LIMIT - reprints)}


def position(session: Session, hall: Hall, ticket: Ticket, now: datetime) -> tuple[int, int]:
    """(people ahead, estimated wait in seconds) of a ticket; (0, 0) once it has left the queue."""
    if ticket.status != TicketStatus.WAITING:
        return 0, 0
    ahead = estimates.people_ahead(session, ticket)
    return ahead, estimates.estimated_wait_s(session, hall, ticket.service, ahead, now,
                                             priority_weight=ticket.priority_weight, queued_at=ticket.queued_at)


def events_after(session: Session, hall: Hall, after: int, limit: int = 500) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(HallEvent).where(HallEvent.hall_id == hall.id, HallEvent.seq > after)
        .order_by(HallEvent.seq).limit(limit)
    )
    return [{**r.payload, "seq": r.seq, "type": r.type, "hall": hall.code, "at": r.at.isoformat()} for r in rows]


def hall_seqs(session: Session) -> dict[str, int]:
    """Every hall's latest seq, by code (the realtime relay compares what it delivered with it)."""
    return {code: seq for code, seq in session.execute(select(Hall.code, Hall.event_seq))}


def oldest_seq(session: Session, hall: Hall) -> int | None:
    """The first seq still in the outbox (older ones were pruned), or None when it is empty."""
    return session.scalar(select(func.min(HallEvent.seq)).where(HallEvent.hall_id == hall.id))


def recent_calls(session: Session, hall: Hall, limit: int = 10) -> list[dict[str, Any]]:
    """The latest ticket.called / ticket.recalled events, newest first (the display's 最近呼叫 list)."""
    rows = session.scalars(
        select(HallEvent).where(HallEvent.hall_id == hall.id, HallEvent.type.in_(("ticket.called", "ticket.recalled")))
        .order_by(HallEvent.seq.desc()).limit(limit)
    )
    return [{**r.payload, "seq": r.seq, "type": r.type, "hall": hall.code, "at": r.at.isoformat()} for r in rows]


def ticket_for_token(session: Session, token: str) -> tuple[int, str] | None:
    """(ticket id, hall code) of a track token, or None: the realtime hub's credential check for phones."""
    row = session.execute(
        select(Ticket.id, Hall.code).join(Hall, Hall.id == Ticket.hall_id).where(Ticket.track_token == token)
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def notices(session: Session, hall: Hall) -> list[str]:
    """Active scrolling notices of the wall display, in display order."""
    return list(session.scalars(
        select(HallNotice.text).where(HallNotice.hall_id == hall.id, HallNotice.active.is_(True))
        .order_by(HallNotice.position, HallNotice.id)
    ))


@dataclass(frozen=True)
class ServiceCounts:
    """Today's figures of one service, for /metrics: issued and finished today, waiting now."""

    hall: str
    service: str
    issued: int
    served: int
    waiting: int


def service_counts(session: Session, now: datetime) -> list[ServiceCounts]:
    """Every hall's services with today's issued and served counts and the waiting count; three grouped, indexed
    queries per hall (daily_counters, ticket_legs by day, tickets by status), so history does not slow it."""
    out = []
    for hall in session.scalars(select(Hall).order_by(Hall.id)):
        today = service_day(now, hall.timezone, hall.day_rollover)
        issued = _by_service(session, select(DailyCounter.service_id, DailyCounter.issued)
                             .join(Service, Service.id == DailyCounter.service_id)
                             .where(Service.hall_id == hall.id, DailyCounter.service_on == today))
        served = _by_service(session, select(TicketLeg.service_id, func.count())
                             .where(TicketLeg.hall_id == hall.id, TicketLeg.service_on == today,
                                    TicketLeg.end == "finished")
                             .group_by(TicketLeg.service_id))
        waiting = _by_service(session, select(Ticket.service_id, func.count())
                              .where(Ticket.hall_id == hall.id, Ticket.status == TicketStatus.WAITING)
                              .group_by(Ticket.service_id))
        for service_id, code in session.execute(
                select(Service.id, Service.code).where(Service.hall_id == hall.id).order_by(Service.id)):
            out.append(ServiceCounts(hall.code, code, issued.get(service_id, 0), served.get(service_id, 0),
                                     waiting.get(service_id, 0)))
    return out


def _by_service(session: Session, stmt: Any) -> dict[int, int]:
    return {int(service_id): int(n) for service_id, n in session.execute(stmt)}
