"""Handling a called ticket: start, finish, park and return, transfer, cancel; the legs they record."""

from __future__ import annotations

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import Desk
from tests.engine.desk import refused
from tests.engine.desk import window_id


def setup_hall(store: Store) -> None:
    """Services a and b; window 1 serves a, window 2 serves b, window 3 serves a and b."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        b = factories.service(s, h, "b", "B")
        factories.window(s, h, 1, [a])
        factories.window(s, h, 2, [b])
        factories.window(s, h, 3, [a, b])


def test_legs_record_exact_wait_and_service_seconds(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    clock.advance(minutes=5, seconds=7)
    desk.call(1)
    clock.advance(seconds=50)
    desk.do(engine.start, ticket_id=ticket.id)
    clock.advance(minutes=10, seconds=3)

    finished = desk.finish(ticket, outcome="done", case_no="CX2026-0001")

    assert (finished.status, finished.outcome, finished.case_no) == ("finished", "done", "CX2026-0001")
    [leg] = desk.legs(ticket)
    assert (leg.end, leg.wait_s, leg.service_s, leg.outcome) == ("finished", 307, 603, "done")
    assert leg.window_id == finished.window_id
    assert desk.log(ticket) == ["issued", "called", "started", "finished"]


def test_finish_straight_from_called_counts_service_from_the_call(
    store: Store, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    clock.advance(minutes=3)

    desk.finish(ticket, outcome="consult")

    [leg] = desk.legs(ticket)
    assert (leg.wait_s, leg.service_s, leg.outcome) == (0, 180, "consult")
    assert published.envelopes[-1].type == "ticket.finished"
    assert published.envelopes[-1].data["outcome"] == "consult"


def test_finish_refuses_an_unknown_outcome(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)

    error = refused(desk, "bad_outcome", engine.finish, ticket_id=ticket.id, outcome="lost")

    assert "done" in error.data["allowed"]


def test_start_and_finish_refuse_invalid_transitions(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")

    refused(desk, "invalid_transition", engine.start, ticket_id=ticket.id)
    refused(desk, "invalid_transition", engine.finish, ticket_id=ticket.id)
    refused(desk, "invalid_transition", engine.park, ticket_id=ticket.id)
    refused(desk, "invalid_transition", engine.resume, ticket_id=ticket.id)
    desk.call(1)
    desk.finish(ticket)
    for op in (engine.start, engine.finish, engine.park, engine.recall, engine.no_show, engine.cancel):
        refused(desk, "invalid_transition", op, ticket_id=ticket.id)
    refused(desk, "invalid_transition", engine.transfer, ticket_id=ticket.id, service_code="b")


def test_parked_ticket_frees_the_window_and_comes_back_to_it_by_hand(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(3)
    desk.do(engine.park, ticket_id=ticket.id)
    later = desk.issue("a")

    assert desk.call_no(3) == later.ticket_no
    desk.finish(later)
    returned = desk.do(engine.resume, ticket_id=ticket.id)

    assert returned.status == "waiting"
    assert desk.call(1) is None
    assert desk.call_no(3) == "A001"
    assert desk.ticket(ticket.id).queued_at == ticket.queued_at


def test_parked_ticket_returns_by_itself_when_its_time_is_up(
    store: Store, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    desk.do(engine.park, ticket_id=ticket.id, minutes=15)
    clock.advance(minutes=14, seconds=59)

    assert desk.call(1) is None
    clock.advance(seconds=1)
    called = desk.call(1)

    assert called is not None and called.id == ticket.id
    assert published.types()[-3:] == ["ticket.returned", "ticket.called", "queue.stats"]
    assert desk.log(ticket)[-3:] == ["parked", "returned", "called"]


def test_a_returned_ticket_records_a_fresh_leg_after_the_park(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    clock.advance(minutes=2)
    desk.call(1)
    desk.do(engine.start, ticket_id=ticket.id)
    clock.advance(minutes=4)
    desk.do(engine.park, ticket_id=ticket.id)
    clock.advance(minutes=20)
    desk.do(engine.resume, ticket_id=ticket.id)
    clock.advance(minutes=1)
    desk.call(1)
    desk.do(engine.start, ticket_id=ticket.id)
    clock.advance(minutes=3)

    desk.finish(ticket)

    parked, finished = desk.legs(ticket)
    assert (parked.end, parked.wait_s, parked.service_s) == ("parked", 120, 240)
    assert (finished.end, finished.wait_s, finished.service_s) == ("finished", 60, 180)


def test_park_is_capped_at_a_working_day(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)

    parked = desk.do(engine.park, ticket_id=ticket.id, minutes=24 * 60)

    assert parked.parked_until == clock.now() + engine.queue.handling.MAX_PARK


def test_transfer_to_another_service_keeps_number_and_queue_time(
    store: Store, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    clock.advance(minutes=1)
    desk.issue("b")
    clock.advance(minutes=1)
    desk.call(1)
    clock.advance(minutes=2)

    moved = desk.do(engine.transfer, ticket_id=ticket.id, service_code="b")

    assert (moved.ticket_no, moved.status, moved.queued_at) == ("A001", "waiting", ticket.queued_at)
    assert moved.leg_queued_at == clock.now()
    [leg] = desk.legs(ticket)
    assert (leg.end, leg.wait_s, leg.service_s) == ("transferred", 120, 120)
    event = next(e for e in published.envelopes if e.type == "ticket.transferred")
    assert (event.data["from_service"], event.data["ticket"]["service"]) == ("a", "b")
    assert desk.call_no(2) == "A001"  # its original queue time puts it ahead of B001


def test_transferred_ticket_is_counted_in_its_new_service_only(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    desk.do(engine.transfer, ticket_id=ticket.id, service_code="b")

    next_a = desk.issue("a")

    assert next_a.ticket_no == "A002"
    assert desk.call(1) is not None and desk.ticket(next_a.id).status == "called"


def test_transfer_to_a_window_is_called_only_by_that_window(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)

    moved = desk.do(engine.transfer, ticket_id=ticket.id, window_number=3)

    assert (moved.status, moved.service.code) == ("waiting", "a")
    assert desk.call(1) is None
    assert desk.call_no(3) == "A001"


def test_transfer_of_a_waiting_ticket_by_a_manager(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")

    desk.do(engine.transfer, ticket_id=ticket.id, service_code="b")

    assert desk.legs(ticket) == []
    assert desk.call(1) is None
    assert desk.call_no(2) == "A001"


def test_transfer_refusals(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)

    refused(desk, "transfer_to_same_service", engine.transfer, ticket_id=ticket.id, service_code="a")
    refused(desk, "transfer_target_missing", engine.transfer, ticket_id=ticket.id)
    refused(desk, "service_not_found", engine.transfer, ticket_id=ticket.id, service_code="zz")
    refused(desk, "window_not_found", engine.transfer, ticket_id=ticket.id, window_number=9)

    assert desk.ticket(ticket.id).status == "called"


def test_cancel_a_waiting_ticket_takes_it_out_of_the_queue(
    store: Store, desk: Desk, published: Recorder
) -> None:
    setup_hall(store)
    first = desk.issue("a")
    desk.issue("a")

    cancelled = desk.do(engine.cancel, ticket_id=first.id)

    assert cancelled.status == "cancelled"
    assert published.types()[-2:] == ["ticket.cancelled", "queue.stats"]
    assert published.envelopes[-1].data["services"][0]["waiting"] == 1
    assert desk.call_no(1) == "A002"
    [leg] = desk.legs(first)
    assert (leg.end, leg.wait_s) == ("cancelled", None)


def test_citizen_may_cancel_only_before_being_called(store: Store, desk: Desk) -> None:
    setup_hall(store)
    waiting, called = desk.issue("a"), desk.issue("b")
    desk.call(2)

    refused(desk, "invalid_transition", engine.cancel, ticket_id=called.id, by="citizen")
    desk.do(engine.cancel, ticket_id=waiting.id, by="citizen")

    assert desk.ticket(waiting.id).status == "cancelled"
    assert desk.log(waiting)[-1] == "cancelled"


def test_citizen_may_cancel_a_parked_ticket(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    desk.do(engine.park, ticket_id=ticket.id)

    desk.do(engine.cancel, ticket_id=ticket.id, by="citizen")

    assert desk.ticket(ticket.id).status == "cancelled"


def test_staff_cancels_a_called_ticket_at_their_window(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    called = desk.call(1)
    assert called is not None

    desk.do(engine.cancel, ticket_id=ticket.id, acting_window_id=called.window_id)

    assert desk.ticket(ticket.id).status == "cancelled"
    assert desk.call(1) is None


def test_serving_ticket_cannot_be_cancelled(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    desk.do(engine.start, ticket_id=ticket.id)

    refused(desk, "invalid_transition", engine.cancel, ticket_id=ticket.id)


def test_each_transfer_leg_records_its_own_wait_and_service(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    clock.advance(seconds=30)
    desk.call(1)
    clock.advance(seconds=45)
    desk.do(engine.transfer, ticket_id=ticket.id, service_code="b")
    clock.advance(seconds=90)
    desk.call(2)
    desk.do(engine.start, ticket_id=ticket.id)
    clock.advance(seconds=60)

    desk.finish(ticket)

    first, second = desk.legs(ticket)
    assert (first.end, first.wait_s, first.service_s) == ("transferred", 30, 45)
    assert (second.end, second.wait_s, second.service_s) == ("finished", 90, 60)
    assert first.service_id != second.service_id
    assert desk.log(ticket) == ["issued", "called", "transferred", "called", "started", "finished"]


def test_a_reactivated_ticket_waits_afresh_from_its_reactivation(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    clock.advance(minutes=2)
    desk.do(engine.no_show, ticket_id=ticket.id)
    clock.advance(minutes=10)
    desk.do(engine.reactivate, ticket_id=ticket.id)
    clock.advance(minutes=1)
    desk.call(1)
    clock.advance(minutes=5)

    desk.finish(ticket)

    no_show, finished = desk.legs(ticket)
    assert (no_show.end, no_show.wait_s, no_show.service_s) == ("no_show", 0, None)
    assert (finished.end, finished.wait_s, finished.service_s) == ("finished", 60, 300)


def test_staff_cancel_a_waiting_ticket_only_in_a_queue_their_window_serves(store: Store, desk: Desk) -> None:
    setup_hall(store)
    in_a = desk.issue("a")
    in_b = desk.issue("b")
    window_1, window_2 = window_id(store, 1), window_id(store, 2)

    # Window 2 serves only b: a clerk there cannot withdraw someone waiting for a.
    refused(desk, "window_not_assigned", engine.cancel, ticket_id=in_a.id, acting_window_id=window_2)

    assert desk.do(engine.cancel, ticket_id=in_b.id, acting_window_id=window_2).status == "cancelled"
    assert desk.do(engine.cancel, ticket_id=in_a.id, acting_window_id=window_1).status == "cancelled"


def test_a_ticket_transferred_to_a_window_is_cancelled_only_there(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(1)
    desk.do(engine.transfer, ticket_id=ticket.id, window_number=3)

    # Window 1 still serves service a, but the citizen was sent to window 3 in person.
    refused(desk, "window_not_assigned", engine.cancel, ticket_id=ticket.id, acting_window_id=window_id(store, 1))

    assert desk.do(engine.cancel, ticket_id=ticket.id, acting_window_id=window_id(store, 3)).status == "cancelled"
