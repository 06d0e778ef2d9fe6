"""Which ticket a window calls next: priority ratio, category weights, window-service weights, escalation,
tickets sent to a window, parked tickets coming back."""

from __future__ import annotations

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests import factories
from tests.engine.desk import Desk


def setup_hall(store: Store, *, ratio: int | None = None, **hall_fields: object) -> None:
    """Service a (normal), g (green channel); priority categories junren (5) and laonian (3); window 1: a, g."""
    with store.transaction() as s:
        h = factories.hall(s, **hall_fields)
        a = factories.service(s, h, "a", "A")
        g = factories.service(s, h, "g", "G", green_channel=True)
        factories.priority(s, h, "junren", 5)
        factories.priority(s, h, "laonian", 3)
        factories.window(s, h, 1, [a, g], priority_ratio=ratio)
        factories.window(s, h, 2, [a, g])


def weighted_hall(store: Store, weights: dict[str, int], **hall_fields: object) -> None:
    """Services a, b, c; window 1 serves them with the given weights (profile order a, b, c)."""
    with store.transaction() as s:
        h = factories.hall(s, **hall_fields)
        services = {code: factories.service(s, h, code, code.upper()) for code in weights}
        factories.priority(s, h, "laonian", 3)
        factories.window(s, h, 1, [(services[c], w) for c, w in weights.items()])


def serve_all(desk: Desk, window: int = 1, limit: int = 50) -> list[str]:
    """Call and finish at one window until nobody waits; the numbers in call order."""
    order = []
    for _ in range(limit):
        called = desk.call(window)
        if called is None:
            break
        order.append(called.ticket_no)
        desk.finish(called)
    return order


def test_fifo_within_a_service(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    for _ in range(4):
        desk.issue("a")
        clock.advance(seconds=30)

    assert serve_all(desk) == ["A001", "A002", "A003", "A004"]


def test_priority_is_called_after_every_ratio_normal_calls(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store, priority_ratio=2)
    for _ in range(3):
        desk.issue("a", priority_code="laonian")
    for _ in range(5):
        desk.issue("a")

    order = serve_all(desk)

    kinds = ["P" if n in {"A001", "A002", "A003"} else "N" for n in order]
    assert kinds == ["N", "N", "P", "N", "N", "P", "N", "P"]


def test_window_overrides_the_hall_priority_ratio(store: Store, desk: Desk) -> None:
    setup_hall(store, ratio=1, priority_ratio=3)
    for _ in range(2):
        desk.issue("a", priority_code="laonian")
    for _ in range(3):
        desk.issue("a")

    assert serve_all(desk) == ["A003", "A001", "A004", "A002", "A005"]


def test_call_next_prefers_green_channel_when_its_turn_comes(store: Store, desk: Desk) -> None:
    setup_hall(store, priority_ratio=1)
    desk.issue("a")
    desk.issue("a")
    desk.issue("g")

    assert serve_all(desk) == ["A001", "G001", "A002"]


def test_priority_is_called_at_once_when_no_normal_ticket_waits(store: Store, desk: Desk) -> None:
    setup_hall(store)
    desk.issue("g")

    assert desk.call_no(1) == "G001"


def test_priority_arriving_after_a_run_of_normals_is_called_next(store: Store, desk: Desk) -> None:
    setup_hall(store, priority_ratio=2)
    for _ in range(4):
        desk.issue("a")
    assert serve_all(desk, limit=3) == ["A001", "A002", "A003"]

    desk.issue("a", priority_code="junren")

    assert serve_all(desk) == ["A005", "A004"]


def test_the_ratio_is_counted_per_window(store: Store, desk: Desk) -> None:
    setup_hall(store, priority_ratio=1)
    for _ in range(2):
        desk.issue("a")
    desk.issue("g")
    desk.finish(desk.call(1))  # type: ignore[arg-type]

    assert desk.call_no(2) == "A002"
    assert desk.call_no(1) == "G001"


def test_higher_priority_category_goes_first_among_priority_tickets(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store, priority_ratio=0)
    desk.issue("g")
    clock.advance(minutes=1)
    desk.issue("a", priority_code="laonian")
    clock.advance(minutes=1)
    desk.issue("a", priority_code="junren")

    assert serve_all(desk) == ["A002", "A001", "G001"]


def test_a_preferred_service_doubles_its_waited_time(store: Store, desk: Desk, clock: FrozenClock) -> None:
    weighted_hall(store, {"a": 1, "b": 2})
    desk.issue("a")
    clock.advance(minutes=4)
    desk.issue("b")  # waits 6 min, weighted 12 > A's 10
    clock.advance(minutes=6)

    assert desk.call_no(1) == "B001"


def test_a_preferred_service_loses_when_it_has_waited_much_less(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    weighted_hall(store, {"a": 1, "b": 2})
    desk.issue("a")
    clock.advance(minutes=6)
    desk.issue("b")  # waits 4 min, weighted 8 < A's 10
    clock.advance(minutes=4)

    assert desk.call_no(1) == "A001"


def test_equal_weighted_waits_fall_to_the_profile_order(store: Store, desk: Desk) -> None:
    weighted_hall(store, {"b": 1, "a": 1})
    desk.issue("a")
    desk.issue("b")

    assert desk.call_no(1) == "B001"


def test_weight_zero_service_is_served_only_when_nothing_else_waits(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    weighted_hall(store, {"a": 1, "c": 0})
    desk.issue("c")
    clock.advance(minutes=30)
    desk.issue("a")

    assert serve_all(desk) == ["A001", "C001"]


def test_weight_zero_service_waits_behind_a_priority_ticket(store: Store, desk: Desk) -> None:
    weighted_hall(store, {"a": 1, "c": 0}, priority_ratio=2)
    desk.issue("c")
    desk.issue("a", priority_code="laonian")

    assert serve_all(desk) == ["A001", "C001"]


def test_escalated_queue_head_goes_before_weighted_order(store: Store, desk: Desk, clock: FrozenClock) -> None:
    weighted_hall(store, {"a": 1, "b": 3}, escalation_min=30)
    desk.issue("a")
    clock.advance(minutes=20)
    desk.issue("b")
    clock.advance(minutes=15)  # A waited 35 (escalated), B 15 x 3 = 45

    assert desk.call_no(1) == "A001"


def test_below_the_escalation_limit_weights_decide(store: Store, desk: Desk, clock: FrozenClock) -> None:
    weighted_hall(store, {"a": 1, "b": 3}, escalation_min=60)
    desk.issue("a")
    clock.advance(minutes=20)
    desk.issue("b")
    clock.advance(minutes=15)

    assert desk.call_no(1) == "B001"


def test_longest_escalated_wait_goes_first(store: Store, desk: Desk, clock: FrozenClock) -> None:
    weighted_hall(store, {"a": 1, "b": 5}, escalation_min=10)
    desk.issue("b")
    clock.advance(minutes=1)
    desk.issue("a")
    clock.advance(minutes=30)

    assert serve_all(desk) == ["B001", "A001"]


def test_ticket_sent_to_a_window_is_not_called_by_the_others(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.issue("a")
    desk.do(engine.transfer, ticket_id=ticket.id, window_number=2)

    assert serve_all(desk, window=1) == ["A002"]
    assert serve_all(desk, window=2) == ["A001"]


def test_ticket_sent_to_a_window_outside_its_profile_is_called_there(store: Store, desk: Desk) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])
        factories.window(s, h, 7, [])  # 咨询 desk: no queue of its own
    ticket = desk.issue("a")
    desk.call(1)

    desk.do(engine.transfer, ticket_id=ticket.id, window_number=7)

    assert desk.call_no(7) == "A001"


def test_parked_ticket_comes_back_to_the_window_that_parked_it(store: Store, desk: Desk) -> None:
    setup_hall(store)
    ticket = desk.issue("a")
    desk.call(2)
    desk.do(engine.park, ticket_id=ticket.id)
    desk.do(engine.resume, ticket_id=ticket.id)

    assert desk.call(1) is None
    assert desk.call_no(2) == "A001"
