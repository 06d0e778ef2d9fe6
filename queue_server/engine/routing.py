"""Which waiting ticket a window calls next.

Rules, in order:
1. Class: priority tickets (a priority category, or a green-channel service) and normal tickets alternate by the
   window's ratio — after `ratio` normal calls a waiting priority ticket goes next — so neither class starves.
2. Inside the class, a queue head that has waited past the hall's escalation limit goes first (longest wait).
3. Otherwise the longest wait weighted by the window profile (waited time x weight); services of weight 0 are
   served only when nothing else waits, priority tickets included. Priority tickets order by category weight,
   then queue time.
Ties fall to the profile order, then the queue time, then the ticket id, so the order is total and FIFO holds
within a service and class.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.models import Hall
from queue_server.models import Service
from queue_server.models import Ticket
from queue_server.models import TicketStatus
from queue_server.models import Window
from queue_server.models import WindowService


def is_priority(ticket: Ticket, services: dict[int, Service]) -> bool:
    service = services.get(ticket.service_id)
    return ticket.priority_weight > 0 or bool(service and service.green_channel)


def waiting_for_window(session: Session, hall: Hall, window: Window) -> list[Ticket]:
    """The head of every queue this window may call: per service, priority weight and target window, only the
    earliest ticket can be next (FIFO inside a group), so a long queue costs one row, not one row per person."""
    service_ids = [ws.service_id for ws in window.profile]
    mine = and_(Ticket.service_id.in_(service_ids), Ticket.target_window_id.is_(None)) if service_ids else false()
    ranked = (
        select(
            Ticket.id,
            func.row_number()
            .over(
                partition_by=(Ticket.service_id, Ticket.priority_weight, Ticket.target_window_id),
                order_by=(Ticket.queued_at, Ticket.id),
            )
            .label("place"),
        )
        .where(
            Ticket.hall_id == hall.id,
            Ticket.status == TicketStatus.WAITING,
            or_(mine, Ticket.target_window_id == window.id),
        )
        .subquery()
    )
    heads = select(ranked.c.id).where(ranked.c.place == 1)
    return list(session.scalars(select(Ticket).where(Ticket.id.in_(heads)).order_by(Ticket.queued_at, Ticket.id)))


def rank(
    hall: Hall, window: Window, tickets: list[Ticket], services: dict[int, Service], now: datetime
) -> list[Ticket]:
    """All candidates, best first, by the rules in the module docstring."""
    if not tickets:
        return []
    profile: dict[int, WindowService] = {ws.service_id: ws for ws in window.profile}
    escalation = timedelta(minutes=hall.escalation_min)
    ratio = window.priority_ratio if window.priority_ratio is not None else hall.priority_ratio

    def position(t: Ticket) -> int:
        ws = profile.get(t.service_id)
        return ws.position if ws is not None else -1  # transferred to this window: ahead on ties

    def weight(t: Ticket) -> int:
        ws = profile.get(t.service_id)
        return ws.weight if ws is not None else 1

    def key(t: Ticket) -> tuple[int, float, int, datetime, int]:
        waited = (now - t.queued_at).total_seconds()
        if waited >= escalation.total_seconds():
            return (0, -waited, position(t), t.queued_at, t.id)
        if is_priority(t, services):
            return (1, -float(t.priority_weight), 0, t.queued_at, t.id)
        w = weight(t)
        if w == 0:
            return (3, -waited, position(t), t.queued_at, t.id)
        return (2, -waited * w, position(t), t.queued_at, t.id)

    # Weight 0 means "only when nothing else waits", so those tickets stand behind both classes (a priority
    # ticket included), unless they escalated.
    last = sorted((t for t in tickets if key(t)[0] == 3), key=key)
    rest = [t for t in tickets if key(t)[0] != 3]
    priority = sorted((t for t in rest if is_priority(t, services)), key=key)
    normal = sorted((t for t in rest if not is_priority(t, services)), key=key)
    # Priority first only when its turn has come by the ratio, or nothing normal waits.
    first, second = (priority, normal) if priority and (not normal or window.normal_streak >= ratio) else (
        normal, priority)
    return first + second + last


def candidates(session: Session, hall: Hall, window: Window, now: datetime) -> Iterator[Ticket]:
    services = {s.id: s for s in hall.services}
    yield from rank(hall, window, waiting_for_window(session, hall, window), services, now)
