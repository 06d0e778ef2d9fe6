"""Read side of the staff console: one window's current ticket, its waiting queues, parked tickets and the
clerk's own figures for today. Never writes.

No Flask imports. Personal data leaves here only in masked form (Ticket.person_masked).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm import selectinload

from queue_server import errors
from queue_server.clock import service_day
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.models import ACTIVE_STATUSES
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Staff
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketEvent
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import TicketStatus
from queue_server.storage.models import Window
from queue_server.storage.models import WindowService
from queue_server.storage.models import window_label

# Earlier steps of the ticket the clerk should know about (the ticket log's notes, labelled).
HISTORY_KINDS = {"transferred": "转移 transferred", "parked": "挂起 parked", "returned": "回到队列 returned",
                 "reactivated": "过号后恢复 reactivated"}


def _history_note(kind: str, note: str, service_name: str) -> str:
    """The clerk reads the ticket's history in Chinese: the log's notes are terse English for operators."""
    text = HISTORY_KINDS[kind]
    if kind == "transferred":
        window = note.partition(" window ")[2]
        return f"{text} → {service_name}" + (f"（{window_label(int(window), None)}）" if window.isdigit() else "")
    if kind == "parked" and note.removesuffix(" min").isdigit() and note != "0 min":
        return f"{text}（{note.removesuffix(' min')} 分钟后回到队列）"
    if kind == "returned":
        return text + ("（自动）" if note == "auto" else "")
    return text


def window_by_number(session: Session, hall: Hall, number: int) -> Window:
    window = session.scalar(
        select(Window).where(Window.hall_id == hall.id, Window.number == number)
        .options(selectinload(Window.profile).selectinload(WindowService.service), selectinload(Window.staff))
    )
    if window is None:
        raise errors.WindowNotFound(hall=hall.code, window=number)
    return window


def _seconds(later: datetime, earlier: datetime | None) -> int | None:
    return None if earlier is None else max(0, round((later - earlier).total_seconds()))


def _current(session: Session, hall: Hall, window: Window, now: datetime) -> dict[str, Any] | None:
    ticket = session.scalar(
        # hall_id + status: ix_tickets_queue (window_id has no index; history is millions of rows).
        select(Ticket).where(Ticket.hall_id == window.hall_id, Ticket.window_id == window.id,
                             Ticket.status.in_(ACTIVE_STATUSES)).limit(1)
    )
    if ticket is None:
        return None
    notes = [_history_note(kind, note, name) for kind, note, name in session.execute(
        select(TicketEvent.kind, TicketEvent.note, Service.name).join(Service, Service.id == TicketEvent.service_id)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(HISTORY_KINDS)).order_by(TicketEvent.id)
    )]
    return {
        "id": ticket.id, "number": ticket.ticket_no, "status": ticket.status.value,
        "service": ticket.service.code, "service_name": ticket.service.name,
        "priority": ticket.priority.code if ticket.priority else None,
        "priority_name": ticket.priority.name if ticket.priority else None,
        "channel": ticket.channel, "call_count": ticket.call_count,
        # Total calls allowed = 1 + recall_limit (engine.recall).
        "recalls_left": max(0, hall.recall_limit + 1 - ticket.call_count),
        "waited_s": _seconds(ticket.called_at or now, ticket.queued_at),
        "serving_s": _seconds(now, ticket.started_at),
        "person": ticket.person_masked, "case_no": ticket.case_no, "notes": notes,
    }


def _queues(session: Session, window: Window, now: datetime) -> list[dict[str, Any]]:
    ids = [ws.service_id for ws in window.profile]
    rows = dict.fromkeys(ids, (0, None, 0))
    waiting = (
        Ticket.status == TicketStatus.WAITING,
        or_(Ticket.target_window_id.is_(None), Ticket.target_window_id == window.id),
    )
    # 线上取号: remote tickets whose citizen has not arrived wait too, but call-next passes over them; the clerk is
    # told how many, so "1 waiting" and "nobody to call" do not contradict each other.
    away = func.sum(case((and_(Ticket.remote.is_(True), Ticket.arrived_at.is_(None)), 1), else_=0))
    for service_id, count, oldest, not_arrived in session.execute(
        select(Ticket.service_id, func.count(), func.min(Ticket.queued_at), away)
        .where(Ticket.service_id.in_(ids), *waiting).group_by(Ticket.service_id)
    ):
        rows[service_id] = (count, oldest, int(not_arrived or 0))
    out = []
    for ws in window.profile:
        count, oldest, not_arrived = rows[ws.service_id]
        if oldest is not None and oldest.tzinfo is None:  # SQLite aggregates lose the type decorator
            oldest = oldest.replace(tzinfo=UTC)
        out.append({"service": ws.service.code, "service_name": ws.service.name, "prefix": ws.service.prefix,
                    "waiting": count, "longest_wait_s": _seconds(now, oldest) if oldest else 0,
                    "not_arrived": not_arrived})
    return out


def _parked(session: Session, window: Window, now: datetime) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(Ticket).where(Ticket.hall_id == window.hall_id, Ticket.status == TicketStatus.PARKED,
                             Ticket.target_window_id == window.id)
        .order_by(Ticket.queued_at)
    )
    return [{"id": t.id, "number": t.ticket_no, "service_name": t.service.name,
             "returns_in_s": _seconds(t.parked_until, now) if t.parked_until else None} for t in rows]


def _no_shows(session: Session, hall: Hall, window: Window, now: datetime) -> list[dict[str, Any]]:
    """Today's 过号 tickets a clerk here may put back in the queue: those this window called, and those of its
    services, still within the hall's tolerance (engine.reactivate refuses older ones), newest first."""
    ids = [ws.service_id for ws in window.profile]
    since = now - timedelta(minutes=hall.no_show_tolerance_min)
    rows = session.scalars(
        select(Ticket).where(Ticket.hall_id == hall.id, Ticket.status == TicketStatus.NO_SHOW,
                             Ticket.ended_at >= since,
                             or_(Ticket.window_id == window.id, Ticket.service_id.in_(ids)))
        .options(selectinload(Ticket.service), selectinload(Ticket.window))
        .order_by(Ticket.ended_at.desc())
    )
    out = []
    for t in rows:
        ended = t.ended_at if t.ended_at is None or t.ended_at.tzinfo else t.ended_at.replace(tzinfo=UTC)
        left = hall.no_show_tolerance_min * 60 - (_seconds(now, ended) or 0)
        out.append({"id": t.id, "number": t.ticket_no, "service_name": t.service.name,
                    "window_label": t.window.label if t.window else None,
                    "missed_s": _seconds(now, ended), "reactivate_left_s": max(0, left)})
    return out


def _figures(session: Session, hall: Hall, staff_id: int | None, now: datetime) -> dict[str, Any]:
    if staff_id is None:
        return {"served": 0, "average_service_s": None}
    today = service_day(now, hall.timezone, hall.day_rollover)
    served, mean = session.execute(
        select(func.count(), func.avg(TicketLeg.service_s)).where(
            TicketLeg.hall_id == hall.id, TicketLeg.service_on == today, TicketLeg.staff_id == staff_id,
            TicketLeg.end == "finished",
        )
    ).one()
    return {"served": int(served or 0), "average_service_s": round(mean) if mean is not None else None}


def console(session: Session, hall: Hall, number: int, now: datetime) -> dict[str, Any]:
    """Everything the console page shows for window `number` of `hall`."""
    window = window_by_number(session, hall, number)
    staff = session.get(Staff, window.staff_id) if window.staff_id else None
    services = session.scalars(select(Service).where(Service.hall_id == hall.id, Service.active.is_(True))
                               .order_by(Service.id))
    return {
        "hall": hall.code, "hall_name": hall.name, "now": now.isoformat(),
        "window": {**window_payload(window), "label": window.label, "staff_name": staff.name if staff else None},
        "current": _current(session, hall, window, now),
        "queues": _queues(session, window, now),
        "parked": _parked(session, window, now),
        "no_shows": _no_shows(session, hall, window, now),
        "no_show_tolerance_min": hall.no_show_tolerance_min,
        "today": _figures(session, hall, window.staff_id, now),
        "recall_limit": hall.recall_limit,
        "transfer_services": [{"code": s.code, "name": s.name} for s in services],
        # With their state, so a clerk does not send a citizen to a window that is paused, away or closed.
        "transfer_windows": [{"number": w.number, "name": w.name, "label": w.label, "state": w.state.value,
                              "staff": w.staff_id is not None} for w in session.scalars(
            select(Window).where(Window.hall_id == hall.id, Window.id != window.id).order_by(Window.number))],
    }
