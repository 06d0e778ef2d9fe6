"""People ahead and estimated wait (domain.md §3).

estimate = people ahead x recent mean service time of the service / windows actively serving it.
The mean comes from the same hour of day when there are enough samples, else from all recent samples, else the
service's configured standard duration.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server.clock import local_time
from queue_server.engine.rawsql import RawSQL
from queue_server.models import Hall
from queue_server.models import Service
from queue_server.models import Ticket
from queue_server.models import TicketLeg
from queue_server.models import TicketStatus
from queue_server.models import Window
from queue_server.models import WindowService
from queue_server.models import WindowState

MIN_SAMPLES = 50  # fewer than this and the mean is noise; use the configured standard duration
SAMPLE_WINDOW = timedelta(days=28)  # four weeks: recent enough to follow staffing, long enough to fill
MAX_SAMPLES = 500
CACHE_KEY = "hallq_estimates"  # the TTL cache the store puts in Session.info (store.ESTIMATE_CACHE_KEY)
# Runs on every issue (rawsql.py says why it is hand-written); ix_tickets_queue covers it.
_POSITION = (
    "SELECT count(*), coalesce(sum(CASE WHEN priority_weight > :weight "
    "OR (priority_weight = :weight AND queued_at <= :queued_at) THEN 1 ELSE 0 END), 0) "
    "FROM tickets WHERE hall_id = :hall_id AND status = 'waiting' AND service_id = :service_id"
)


def _recent_mean(session: Session, service: Service, since: datetime, hour: int | None) -> tuple[int, float]:
    """(sample count, mean service seconds) over the newest MAX_SAMPLES legs, optionally of one local hour."""
    recent = (
        select(TicketLeg.service_s.label("s"))
        .where(
            TicketLeg.service_id == service.id,
            TicketLeg.ended_at >= since,
            TicketLeg.service_s.is_not(None),
            # A parked leg is half a service; counting it would pull the mean down.
            TicketLeg.end != "parked",
            *([TicketLeg.local_hour == hour] if hour is not None else []),
        )
        .order_by(TicketLeg.ended_at.desc())
        .limit(MAX_SAMPLES)
        .subquery()
    )
    count, mean = session.execute(select(func.count(), func.avg(recent.c.s))).one()
    return int(count or 0), float(mean or 0.0)


def mean_service_s(session: Session, hall: Hall, service: Service, now: datetime) -> float:
    """Mean service seconds; cached by the store for a minute when it provides a cache in Session.info."""
    cache = session.info.get(CACHE_KEY)
    key = ("mean", service.id)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return float(hit)
    since = now - SAMPLE_WINDOW
    count, mean = _recent_mean(session, service, since, local_time(now, hall.timezone).hour)
    if count < MIN_SAMPLES:
        count, mean = _recent_mean(session, service, since, None)
    value = mean if count >= MIN_SAMPLES else float(service.standard_duration_s)
    if cache is not None:
        cache.put(key, value, now)
    return value


def serving_windows(session: Session, service: Service, now: datetime | None = None) -> int:
    """Open windows whose profile includes the service; at least one, so a closed hall still gets an estimate.
    Cached like the mean when `now` is given (a pause shows in estimates within the cache time)."""
    cache = session.info.get(CACHE_KEY) if now is not None else None
    key = ("windows", service.id)
    if cache is not None and (hit := cache.get(key, now)) is not None:
        return int(hit)
    count = session.scalar(
        select(func.count())
        .select_from(WindowService)
        .join(Window, Window.id == WindowService.window_id)
        .where(WindowService.service_id == service.id, Window.state == WindowState.OPEN)
    )
    value = max(1, int(count or 0))
    if cache is not None:
        cache.put(key, value, now)
    return value


def people_ahead(session: Session, ticket: Ticket) -> int:
    """Waiting tickets of the same service that will be called before this one (priority first, then FIFO)."""
    if ticket.status != TicketStatus.WAITING:
        return 0
    before = or_(
        Ticket.priority_weight > ticket.priority_weight,
        and_(
            Ticket.priority_weight == ticket.priority_weight,
            or_(Ticket.queued_at < ticket.queued_at, and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id)),
        ),
    )
    return int(
        session.scalar(
            select(func.count()).select_from(Ticket).where(
                Ticket.hall_id == ticket.hall_id,
                Ticket.status == TicketStatus.WAITING,
                Ticket.service_id == ticket.service_id,
                before,
            )
        )
        or 0
    )


def position_for_new(
    session: Session, hall_id: int, service_id: int, priority_weight: int, queued_at: datetime
) -> tuple[int, int]:
    """(people ahead, people waiting) for a ticket about to be added: one query, before the insert."""
    raw = RawSQL.of(session)
    waiting, ahead = raw.one(_POSITION, {"weight": priority_weight, "queued_at": raw.stamp(queued_at),
                                         "hall_id": hall_id, "service_id": service_id})
    return int(ahead), int(waiting)


def estimated_wait_s(session: Session, hall: Hall, service: Service, ahead: int, now: datetime) -> int:
    return round(ahead * mean_service_s(session, hall, service, now) / serving_windows(session, service, now))


def waiting_count(session: Session, service: Service) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Ticket).where(
                Ticket.hall_id == service.hall_id,
                Ticket.status == TicketStatus.WAITING,
                Ticket.service_id == service.id,
            )
        )
        or 0
    )
