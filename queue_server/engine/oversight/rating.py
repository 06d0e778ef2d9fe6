"""好差评 ratings: a citizen rates one finished ticket leg, once (一次一评), on the window's tablet or by QR code.

Append-only: a rating is never changed by a rating op. Codes 4 and 5 (差评) need a reason and open a case.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.engine.oversight.cases import case_payload
from queue_server.engine.oversight.cases import open_case
from queue_server.engine.queue.payloads import window_payload
from queue_server.storage.models import Hall
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import Window
from queue_server.storage.ratings import BAD_LEVELS
from queue_server.storage.ratings import CHANNELS
from queue_server.storage.ratings import LEVELS
from queue_server.storage.ratings import Rating

# The tablet offers a finished leg for this long: the citizen is still at the window; later ones use the QR code.
DEVICE_RATING_WINDOW = timedelta(minutes=10)
ANONYMOUS = "匿名"


def pending_leg(session: Session, window_id: int, now: datetime) -> TicketLeg | None:
    """The newest leg finished at the window within the device window and not rated yet."""
    leg = session.scalar(
        select(TicketLeg).where(TicketLeg.window_id == window_id, TicketLeg.end == "finished",
                                TicketLeg.ended_at >= now - DEVICE_RATING_WINDOW)
        .order_by(TicketLeg.ended_at.desc(), TicketLeg.id.desc()).limit(1)
    )
    if leg is None or session.scalar(select(Rating.id).where(Rating.leg_id == leg.id)) is not None:
        return None
    return leg


def _leg_for(session: Session, hall: Hall, now: datetime, *, leg_id: int | None, window_id: int | None,
             track_token: str | None) -> TicketLeg:
    if track_token is not None:
        ticket = session.scalar(select(Ticket).where(Ticket.track_token == track_token, Ticket.hall_id == hall.id))
        leg = None if ticket is None else session.scalar(
            select(TicketLeg).where(TicketLeg.ticket_id == ticket.id, TicketLeg.end == "finished")
            .order_by(TicketLeg.ended_at.desc(), TicketLeg.id.desc()).limit(1))
    else:
        leg = session.get(TicketLeg, leg_id) if leg_id is not None else None
        if leg is not None and (leg.window_id != window_id or leg.end != "finished"
                                or leg.ended_at < now - DEVICE_RATING_WINDOW):
            leg = None
    if leg is None or leg.hall_id != hall.id:
        raise errors.NothingToRate()
    return leg


def rate(
    session: Session, clock: Clock, *, hall: Hall, level: int, tags: list[str], text: str, channel: str,
    leg_id: int | None = None, window_id: int | None = None, track_token: str | None = None,
) -> events.Outcome[Rating]:
    """Record a citizen's rating. Raises bad_rating_level, rating_reason_required, nothing_to_rate,
    already_rated."""
    now = clock.now()
    if level not in LEVELS:
        raise errors.BadRatingLevel()
    tags = [t.strip()[:16] for t in tags if t.strip()]
    text = text.strip()
    if level in BAD_LEVELS and not tags and not text:
        raise errors.RatingReasonRequired()
    assert channel in CHANNELS
    leg = _leg_for(session, hall, now, leg_id=leg_id, window_id=window_id, track_token=track_token)
    ticket = session.get(Ticket, leg.ticket_id)
    assert ticket is not None
    if session.scalar(select(Rating.id).where(Rating.leg_id == leg.id)) is not None:
        raise errors.AlreadyRated(ticket_no=ticket.ticket_no)
    earlier = session.scalar(select(func.count()).select_from(Rating).where(Rating.ticket_id == ticket.id)) or 0
    rating = Rating(
        hall_id=hall.id, ticket_id=ticket.id, leg_id=leg.id, window_id=leg.window_id, staff_id=leg.staff_id,
        service_id=leg.service_id, case_no=ticket.case_no, channel=channel,
        rater=ticket.person_masked or ANONYMOUS, rated_at=now, attempt=earlier + 1, level=level, tags=tags,
        text=text, region_code=hall.region_code, excluded=False,
    )
    session.add(rating)
    session.flush()  # the unique leg constraint backs the check above against a concurrent writer
    service = session.get(Service, leg.service_id)
    assert service is not None
    rated_at = session.get(Window, leg.window_id) if leg.window_id is not None else None
    # The top-level `window` is what the hub routes window subscriptions by: the window's rating tablet hears a
    # rating made on the phone at once and stops asking about that visit.
    out = [events.Event(events.EVALUATION_RATED, {"rating": {
        "id": rating.id, "level": level, "ticket": ticket.ticket_no, "service": service.code,
        "window": rated_at.number if rated_at else None, "channel": channel},
        "window": window_payload(rated_at) if rated_at else None})]
    if level in BAD_LEVELS:
        case = open_case(session, hall, rating, service.department_id, now)
        out.append(events.Event(events.EVALUATION_CASE_OPENED, {"case": case_payload(case, rating)}))
    return events.Outcome(rating, tuple(out))


def mark_reported(session: Session, clock: Clock, *, hall: Hall, ids: list[int]) -> events.Outcome[int]:
    """Outbox: the provincial system accepted these ratings; they leave the export. Returns how many changed."""
    now = clock.now()
    rows = session.scalars(select(Rating).where(Rating.hall_id == hall.id, Rating.id.in_(ids),
                                                Rating.reported_at.is_(None)))
    count = 0
    for row in rows:
        row.reported_at = now
        count += 1
    return events.Outcome(count)
