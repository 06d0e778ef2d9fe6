"""Retention: personal data older than the period is anonymised, statistics stay exact, recent data and the
audit log's six months are kept, and running it again changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.engine.oversight.retention import anonymise
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import DailyCounter
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.ratings import Rating
from queue_server.storage.store import Store
from tests import factories
from tests.engine.desk import Desk

ID_NUMBER = "532301199001011238"


def setup_hall(store: Store) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        w1 = factories.window(s, h, 1, [a])
        w1.staff_id = factories.staff(s, h, "u1").id


def statistics(store: Store) -> tuple[Any, ...]:
    """What the monthly report reads: legs with their times, counters, and rating levels."""
    with store.read_session() as s:
        legs = s.execute(select(TicketLeg.service_on, TicketLeg.end, TicketLeg.outcome, TicketLeg.wait_s,
                                TicketLeg.service_s).order_by(TicketLeg.id)).all()
        counters = s.execute(select(DailyCounter.service_on, DailyCounter.issued)).all()
        ratings = s.execute(select(Rating.level, Rating.tags, Rating.rated_at).order_by(Rating.id)).all()
        states = s.execute(select(Ticket.ticket_no, Ticket.status, Ticket.service_on).order_by(Ticket.id)).all()
    return tuple(map(tuple, legs)), tuple(map(tuple, counters)), tuple(map(tuple, ratings)), tuple(map(tuple, states))


def old_and_recent_history(store: Store, desk: Desk, clock: FrozenClock) -> tuple[int, int]:
    """200 days ago: a ticket with an ID number, served, rated with text, called out of order (audited).
    Today: another ticket with an ID number. Returns (old ticket id, recent ticket id)."""
    setup_hall(store)
    old = desk.issue("a", id_number=ID_NUMBER)
    desk.do(engine.call_specific, window_number=1, ticket_no=old.ticket_no, reason="急件", actor="u1")
    clock.advance(minutes=7)
    desk.finish(old)
    [leg] = desk.legs(old)
    desk.do(engine.rate, level=2, tags=[], text="张三 13812345678 办得很快", channel="window_device", leg_id=leg.id,
            window_id=leg.window_id)
    clock.advance(days=200)
    recent = desk.issue("a", id_number=ID_NUMBER)
    return old.id, recent.id


def test_personal_data_past_the_period_is_anonymised_and_statistics_stay_exact(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    old_id, recent_id = old_and_recent_history(store, desk, clock)
    before = statistics(store)

    done = desk.do(anonymise, personal_days=180, audit_days=365)

    assert statistics(store) == before
    old, recent = desk.ticket(old_id), desk.ticket(recent_id)
    assert (old.person_hash, old.person_masked) == (None, None)
    assert recent.person_hash is not None and recent.person_masked is not None
    with store.read_session() as s:
        [rating] = s.scalars(select(Rating)).all()
    assert (rating.rater, rating.text, rating.level) == ("匿名", "", 2)
    assert (done.tickets, done.ratings) == (1, 1)


def test_the_audit_log_keeps_six_months_and_is_pruned_after_its_own_period(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    old_and_recent_history(store, desk, clock)  # the audited call is 200 days old

    def audit_entries() -> int:
        with store.read_session() as s:
            return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)

    desk.do(anonymise, personal_days=30, audit_days=365)
    kept = audit_entries()
    desk.do(anonymise, personal_days=30, audit_days=190)

    assert kept == 1
    assert audit_entries() == 0
    with pytest.raises(ValueError, match="183"):
        desk.do(anonymise, personal_days=30, audit_days=100)


def test_running_retention_again_changes_nothing(store: Store, desk: Desk, clock: FrozenClock) -> None:
    old_and_recent_history(store, desk, clock)
    desk.do(anonymise, personal_days=180, audit_days=365)

    again = desk.do(anonymise, personal_days=180, audit_days=365)

    assert all(count == 0 for count in vars(again).values())
