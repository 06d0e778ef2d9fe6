"""Calling: call next, call a specific number, recall, no-show and reactivation, window pause and resume."""

from __future__ import annotations

from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.models import AuditEntry
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import Desk
from tests.engine.desk import refused
from tests.engine.desk import window_id


def setup_hall(store: Store, **hall_fields: object) -> None:
    """Service a at windows 1 and 2; window 1 has staff u1."""
    with store.transaction() as s:
        h = factories.hall(s, **hall_fields)
        a = factories.service(s, h, "a", "A")
        w1 = factories.window(s, h, 1, [a])
        factories.window(s, h, 2, [a])
        w1.staff_id = factories.staff(s, h, "u1").id


def test_call_next_with_nobody_waiting_returns_none_and_publishes_nothing(
    store: Store, desk: Desk, published: Recorder
) -> None:
    setup_hall(store)

    assert desk.call(1) is None
    assert published.envelopes == []


def test_call_next_calls_in_queue_order_and_records_window_and_staff(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    first = desk.issue()
    clock.advance(minutes=1)
    desk.issue()

    called = desk.call(1)

    assert called is not None and called.id == first.id
    stored = desk.ticket(first.id)
    assert (stored.status, stored.call_count, stored.called_at) == ("called", 1, clock.now())
    assert stored.window_id == window_id(store, 1) and stored.staff_id is not None
    assert desk.log(first) == ["issued", "called"]


def test_two_windows_never_get_the_same_ticket(store: Store, desk: Desk) -> None:
    setup_hall(store)
    desk.issue()
    desk.issue()

    first, second = desk.call(1), desk.call(2)
    assert first is not None and second is not None
    desk.finish(first)

    assert (first.ticket_no, second.ticket_no) == ("A001", "A002")
    assert desk.call(1) is None


def test_window_busy_until_its_ticket_is_finished(store: Store, desk: Desk) -> None:
    setup_hall(store)
    first = desk.issue()
    desk.issue()
    desk.call(1)

    error = refused(desk, "window_busy", engine.call_next, window_number=1)
    desk.finish(first)

    assert error.data["ticket_no"] == "A001"
    assert desk.call_no(1) == "A002"


def test_window_busy_while_serving(store: Store, desk: Desk) -> None:
    setup_hall(store)
    first = desk.issue()
    desk.issue()
    desk.call(1)
    desk.do(engine.start, ticket_id=first.id)

    refused(desk, "window_busy", engine.call_next, window_number=1)


def test_paused_window_cannot_call_until_resumed(store: Store, desk: Desk, published: Recorder) -> None:
    setup_hall(store)
    desk.issue()

    paused = desk.do(engine.pause_window, window_number=1, reason="午休")
    error = refused(desk, "window_not_open", engine.call_next, window_number=1)
    refused(desk, "window_not_open", engine.call_specific, window_number=1, ticket_no="A001", reason="x", actor="u1")
    desk.do(engine.resume_window, window_number=1)

    assert (paused.state, paused.state_reason) == ("paused", "午休")
    assert error.data["state"] == "paused"
    assert "window.paused" in published.types() and "window.resumed" in published.types()
    assert desk.call_no(1) == "A001"


def test_pause_publishes_the_reason_for_the_window_screen(store: Store, desk: Desk, published: Recorder) -> None:
    setup_hall(store)

    desk.do(engine.pause_window, window_number=2, reason="系统维护")

    event = published.envelopes[-1]
    assert event.type == "window.paused"
    assert event.data["window"]["number"] == 2
    assert (event.data["window"]["state"], event.data["window"]["reason"]) == ("paused", "系统维护")


def test_staff_cannot_act_for_another_window(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue()
    mine, other = window_id(store, 1), window_id(store, 2)

    refused(desk, "window_not_assigned", engine.call_next, window_number=1, acting_window_id=other)
    refused(desk, "window_not_assigned", engine.pause_window, window_number=1, reason="x", acting_window_id=other)
    refused(desk, "window_not_assigned", engine.resume_window, window_number=1, acting_window_id=other)
    refused(desk, "window_not_assigned", engine.call_specific, window_number=1, ticket_no="A001", reason="x",
            actor="u2", acting_window_id=other)
    desk.call(1, acting_window_id=mine)
    for op in (engine.recall, engine.no_show, engine.start, engine.finish, engine.park):
        refused(desk, "window_not_assigned", op, ticket_id=ticket.id, acting_window_id=other)
    refused(desk, "window_not_assigned", engine.transfer, ticket_id=ticket.id, window_number=2,
            acting_window_id=other)
    refused(desk, "window_not_assigned", engine.cancel, ticket_id=ticket.id, acting_window_id=other)

    assert desk.ticket(ticket.id).status == "called"


def test_unknown_window_and_ticket_are_not_found(store: Store, desk: Desk) -> None:
    setup_hall(store)

    refused(desk, "window_not_found", engine.call_next, window_number=9)
    refused(desk, "ticket_not_found", engine.recall, ticket_id=12345)


def test_ticket_of_another_hall_is_not_found(store: Store, runtime: Runtime, desk: Desk) -> None:
    setup_hall(store)
    with store.transaction() as s:
        other = factories.hall(s, "t2")
        factories.service(s, other, "a", "A")
    foreign = Desk(runtime, "t2").issue()

    refused(desk, "ticket_not_found", engine.cancel, ticket_id=foreign.id)


def test_recall_counts_calls_up_to_the_limit(store: Store, desk: Desk, published: Recorder) -> None:
    setup_hall(store, recall_limit=2)
    ticket = desk.issue()
    desk.call(1)

    counts = [desk.do(engine.recall, ticket_id=ticket.id).call_count for _ in range(2)]
    error = refused(desk, "recall_limit_reached", engine.recall, ticket_id=ticket.id)

    assert counts == [2, 3]
    assert error.data["calls"] == 3
    recalled = [e.data for e in published.envelopes if e.type == "ticket.recalled"]
    assert [(d["call_count"], d["recalls_left"]) for d in recalled] == [(2, 1), (3, 0)]


def test_recall_only_a_called_ticket(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue()

    error = refused(desk, "invalid_transition", engine.recall, ticket_id=ticket.id)

    assert (error.data["status"], error.data["ticket_no"]) == ("waiting", "A001")


def test_no_show_frees_the_window_and_closes_the_leg(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    ticket = desk.issue()
    desk.issue()
    clock.advance(minutes=4)
    desk.call(1)
    clock.advance(minutes=2)

    marked = desk.do(engine.no_show, ticket_id=ticket.id)

    assert marked.status == "no_show"
    assert desk.call_no(1) == "A002"
    [leg] = desk.legs(ticket)
    assert (leg.end, leg.wait_s, leg.service_s) == ("no_show", 240, None)


def test_reactivated_no_show_goes_back_with_its_original_queue_time(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    ticket = desk.issue()
    desk.call(1)
    desk.do(engine.no_show, ticket_id=ticket.id)
    clock.advance(minutes=5)
    desk.issue()

    back = desk.do(engine.reactivate, ticket_id=ticket.id)

    assert (back.status, back.window_id, back.call_count) == ("waiting", None, 0)
    assert desk.ticket(ticket.id).queued_at == ticket.queued_at
    assert desk.call_no(2) == "A001"


def test_reactivation_allowed_up_to_the_tolerance_and_refused_after(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store, no_show_tolerance_min=10)
    late, on_time = desk.issue(), desk.issue()
    for ticket in (late, on_time):
        desk.call(1)
        desk.do(engine.no_show, ticket_id=ticket.id)
        clock.advance(seconds=1)
    clock.advance(minutes=10, seconds=-1)

    error = refused(desk, "reactivation_expired", engine.reactivate, ticket_id=late.id)
    back = desk.do(engine.reactivate, ticket_id=on_time.id)

    assert error.data["ticket_no"] == "A001"
    assert back.status == "waiting"


def test_only_a_no_show_can_be_reactivated(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue()

    refused(desk, "invalid_transition", engine.reactivate, ticket_id=ticket.id)
    refused(desk, "invalid_transition", engine.no_show, ticket_id=ticket.id)


def test_call_specific_calls_out_of_order_and_is_audited(store: Store, desk: Desk) -> None:
    setup_hall(store)
    desk.issue()
    second = desk.issue()

    called = desk.do(engine.call_specific, window_number=1, ticket_no=" a002 ", reason="急件", actor="u1")

    assert called.id == second.id and called.status == "called"
    with store.read_session() as s:
        [entry] = s.scalars(select(AuditEntry)).all()
    assert (entry.actor, entry.action, entry.target) == ("u1", "ticket.call_specific", "A002")
    assert entry.data == {"window": 1, "reason": "急件"}
    assert desk.call_no(2) == "A001"


def test_call_specific_refuses_bad_unknown_and_already_called_numbers(store: Store, desk: Desk) -> None:
    setup_hall(store)
    desk.issue()
    desk.call(2)

    refused(desk, "bad_ticket_no", engine.call_specific, window_number=1, ticket_no="1-A", reason="x", actor="u1")
    refused(desk, "ticket_not_found", engine.call_specific, window_number=1, ticket_no="A999", reason="x",
            actor="u1")
    refused(desk, "invalid_transition", engine.call_specific, window_number=1, ticket_no="A001", reason="x",
            actor="u1")


def test_call_specific_refused_while_the_window_is_busy(store: Store, desk: Desk) -> None:
    setup_hall(store)
    desk.issue()
    desk.issue()
    desk.call(1)

    refused(desk, "window_busy", engine.call_specific, window_number=1, ticket_no="A002", reason="x", actor="u1")


def test_call_specific_finds_only_todays_number(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    desk.issue()
    clock.advance(days=1)

    refused(desk, "ticket_not_found", engine.call_specific, window_number=1, ticket_no="A001", reason="x",
            actor="u1")
