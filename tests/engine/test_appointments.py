"""Appointment check-in: early check-in queues at the slot time, late becomes a walk-in, too early is refused,
and a booked place is not subject to the daily cap."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.models import Appointment
from queue_server.storage.store import Store
from tests import factories
from tests.engine.desk import Desk
from tests.engine.desk import refused


def book(store: Store, clock: FrozenClock, *, slot_in: timedelta, daily_cap: int | None = None) -> datetime:
    """Service a at window 1, and appointment YY01 for a 30-minute slot starting `slot_in` from now."""
    start = clock.now() + slot_in
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", daily_cap=daily_cap)
        factories.service(s, h, "b", "B")
        factories.window(s, h, 1, [a])
        s.add(Appointment(hall_id=h.id, service_id=a.id, code="YY01", slot_start=start,
                          slot_end=start + timedelta(minutes=30)))
    return start


def appointment_status(store: Store) -> str:
    with store.read_session() as s:
        return str(s.scalar(select(Appointment.status)))


def test_early_check_in_queues_at_the_slot_time(store: Store, desk: Desk, clock: FrozenClock) -> None:
    slot = book(store, clock, slot_in=timedelta(minutes=40))

    ticket = desk.issue("a", appointment_code="YY01")

    assert (ticket.channel, ticket.queued_at, ticket.issued_at) == ("appointment", slot, clock.now())
    assert appointment_status(store) == "checked_in"


def test_an_early_check_in_is_told_the_time_to_its_slot_plus_the_queue(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    book(store, clock, slot_in=timedelta(minutes=20))
    desk.issue("a")
    desk.call(1)  # window 1 busy, A002 waiting
    desk.issue("a")

    early = desk.do(engine.issue_ticket, service_code="a", appointment_code="YY01")
    walk_in = desk.do(engine.issue_ticket, service_code="a")  # comes later, yet queued before the slot

    assert walk_in.ahead == 1 and walk_in.estimated_wait_s > 0  # A002, then a free window
    assert early.estimated_wait_s == 20 * 60 + walk_in.estimated_wait_s


def test_an_early_check_in_in_an_idle_hall_is_told_it_is_next(store: Store, desk: Desk, clock: FrozenClock) -> None:
    book(store, clock, slot_in=timedelta(minutes=20))

    early = desk.do(engine.issue_ticket, service_code="a", appointment_code="YY01")

    assert (early.ahead, early.estimated_wait_s) == (0, 0)  # a free window calls it at once


def test_walk_ins_before_the_slot_go_first_and_later_ones_after(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    book(store, clock, slot_in=timedelta(minutes=30))
    appointment = desk.issue("a", appointment_code="YY01")
    clock.advance(minutes=10)
    before = desk.issue("a")
    clock.advance(minutes=25)  # 5 minutes past the slot start
    after = desk.issue("a")

    order = []
    while (called := desk.call(1)) is not None:
        order.append(called.id)
        desk.finish(called)

    assert order == [before.id, appointment.id, after.id]


def test_late_check_in_becomes_a_walk_in(store: Store, desk: Desk, clock: FrozenClock) -> None:
    book(store, clock, slot_in=timedelta(minutes=-45))
    desk.issue("a")
    clock.advance(minutes=1)

    late = desk.issue("a", appointment_code="YY01")

    assert late.queued_at == clock.now()
    assert desk.call_no(1) == "A001"


def test_check_in_too_early_is_refused_and_the_booking_kept(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    book(store, clock, slot_in=timedelta(minutes=61))

    error = refused(desk, "appointment_not_checkable", engine.issue_ticket, service_code="a",
                    appointment_code="YY01")
    clock.advance(minutes=1)

    assert error.data["appointment_code"] == "YY01"
    assert appointment_status(store) == "booked"
    assert desk.issue("a", appointment_code="YY01").ticket_no == "A001"


def test_unknown_used_or_other_service_appointment_is_not_found(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    book(store, clock, slot_in=timedelta(minutes=10))

    refused(desk, "appointment_not_found", engine.issue_ticket, service_code="a", appointment_code="NOPE")
    refused(desk, "appointment_not_found", engine.issue_ticket, service_code="b", appointment_code="YY01")
    desk.issue("a", appointment_code="YY01")
    refused(desk, "appointment_not_found", engine.issue_ticket, service_code="a", appointment_code="YY01")


def test_on_time_check_in_bypasses_the_daily_cap(store: Store, desk: Desk, clock: FrozenClock) -> None:
    book(store, clock, slot_in=timedelta(minutes=5), daily_cap=1)
    desk.issue("a")
    refused(desk, "daily_quota_reached", engine.issue_ticket, service_code="a")

    booked = desk.issue("a", appointment_code="YY01")

    assert booked.ticket_no == "A002"


def test_late_check_in_is_subject_to_the_daily_cap(store: Store, desk: Desk, clock: FrozenClock) -> None:
    book(store, clock, slot_in=timedelta(minutes=-40), daily_cap=1)
    desk.issue("a")

    refused(desk, "daily_quota_reached", engine.issue_ticket, service_code="a", appointment_code="YY01")

    assert appointment_status(store) == "booked"
