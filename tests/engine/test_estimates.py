"""People ahead and estimated wait (domain.md 3): standard duration until 50 samples, then the recent mean of
finished legs (same hour of day where it can), divided by the open windows serving the service; the queues of
other services those windows also serve count too, and a turn more when every one of them is busy.

The store caches the mean and the window count for store.ESTIMATE_TTL, so tests that change either move the
clock past it: a change shows in estimates within that time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.clock import local_time
from queue_server.queries import snapshots
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketLeg
from queue_server.storage.models import Window
from queue_server.storage.store import ESTIMATE_TTL
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import Desk


def setup_hall(store: Store) -> None:
    """Service a (standard 300 s) at windows 1 and 2; service b (600 s) at window 3 only."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", standard_duration_s=300)
        b = factories.service(s, h, "b", "B", standard_duration_s=600)
        factories.priority(s, h, "laonian", 3)
        factories.window(s, h, 1, [a])
        factories.window(s, h, 2, [a])
        factories.window(s, h, 3, [b])


def add_samples(store: Store, clock: FrozenClock, durations: list[int], *, hours_ago: float = 1) -> None:
    """Finished legs of service a, ended `hours_ago` before now (history the estimate learns from); the clock
    then moves past the estimate cache time."""
    ended = clock.now() - timedelta(hours=hours_ago)
    with store.transaction() as s:
        ticket = s.scalars(select(Ticket).order_by(Ticket.id)).first()
        assert ticket is not None
        for seconds in durations:
            s.add(TicketLeg(ticket_id=ticket.id, hall_id=ticket.hall_id, service_on=ticket.service_on,
                            service_id=ticket.service_id, queued_at=ended - timedelta(seconds=seconds + 60),
                            called_at=ended - timedelta(seconds=seconds), ended_at=ended, end="finished",
                            wait_s=60, service_s=seconds, occupied_s=seconds,
                            local_hour=local_time(ended, "Asia/Shanghai").hour))
    clock.advance(seconds=ESTIMATE_TTL.total_seconds())


def issued(desk: Desk, service: str = "a", **kwargs: object) -> engine.Issued:
    return desk.do(engine.issue_ticket, service_code=service, **kwargs)  # type: ignore[no-any-return]


def test_first_ticket_has_nobody_ahead_and_no_wait(store: Store, desk: Desk) -> None:
    setup_hall(store)

    first = issued(desk)

    assert (first.ahead, first.estimated_wait_s) == (0, 0)


def test_wait_uses_the_standard_duration_divided_by_open_windows(store: Store, desk: Desk) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)
    issued(desk, "b")

    third = issued(desk)
    second_b = issued(desk, "b")

    assert (third.ahead, third.estimated_wait_s) == (2, 2 * 300 // 2)
    assert (second_b.ahead, second_b.estimated_wait_s) == (1, 600)
    assert desk.ticket(third.ticket.id).estimated_wait_s == 300


def test_a_paused_window_no_longer_shares_the_load(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    issued(desk)
    desk.do(engine.pause_window, window_number=2, reason="午休")
    clock.advance(seconds=ESTIMATE_TTL.total_seconds())

    assert issued(desk).estimated_wait_s == 300


def test_with_every_window_paused_the_estimate_still_counts_one_window(store: Store, desk: Desk) -> None:
    setup_hall(store)
    issued(desk, "b")
    desk.do(engine.pause_window, window_number=3, reason="暂停")

    assert issued(desk, "b").estimated_wait_s == 600


def test_tickets_ahead_count_priority_tickets_and_skip_called_ones(store: Store, desk: Desk) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)
    priority = issued(desk, priority_code="laonian")
    desk.call(1)

    normal = issued(desk)

    assert priority.ahead == 0
    assert normal.ahead == 2  # A002 and the priority A003; A001 is at the window


def test_fewer_than_fifty_samples_keep_the_standard_duration(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    issued(desk)
    add_samples(store, clock, [900] * 49)

    assert issued(desk).estimated_wait_s == 300 // 2


def test_fifty_samples_switch_to_their_mean(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)
    add_samples(store, clock, [100, 500] * 25)

    third = issued(desk)

    assert third.estimated_wait_s == round(2 * 300 / 2)  # mean of 100 and 500 is 300
    add_samples(store, clock, [900] * 50)
    assert issued(desk).estimated_wait_s == round(3 * 600 / 2)  # mean of the 100 samples is 600


def test_samples_from_the_same_hour_of_day_win_when_there_are_enough(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    issued(desk)
    add_samples(store, clock, [1200] * 50, hours_ago=3)
    add_samples(store, clock, [240] * 50, hours_ago=24)  # yesterday at this hour

    assert issued(desk).estimated_wait_s == 240 // 2


def test_samples_older_than_four_weeks_are_ignored(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    issued(desk)
    add_samples(store, clock, [1200] * 60, hours_ago=29 * 24)

    assert issued(desk).estimated_wait_s == 300 // 2


def test_finished_tickets_feed_the_mean(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    for _ in range(50):
        ticket = desk.issue("a")
        desk.call(1)
        clock.advance(minutes=2)
        desk.finish(ticket)
    issued(desk)

    assert issued(desk).estimated_wait_s == 120 // 2


def test_the_mean_is_window_time_so_the_walk_and_no_shows_count(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    """A window is held from the call, not the start, and a no-show holds it while the clerk waits: 40 citizens
    who walk 1 min and are served 2 min, and 10 who never come (the clerk waits 3 min), cost 3 min each."""
    setup_hall(store)
    for n in range(50):
        ticket = desk.issue("a")
        desk.call(1)
        clock.advance(minutes=1)
        if n % 5 == 4:
            clock.advance(minutes=2)
            desk.do(engine.no_show, ticket_id=ticket.id)
            continue
        desk.do(engine.start, ticket_id=ticket.id)
        clock.advance(minutes=2)
        desk.finish(ticket)
    clock.advance(seconds=ESTIMATE_TTL.total_seconds())
    issued(desk)

    assert issued(desk).estimated_wait_s == 180 // 2  # service time alone (120 s) would say 60


def test_queue_stats_event_carries_waiting_and_a_newcomers_wait(
    store: Store, desk: Desk, published: Recorder
) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)

    stats = published.envelopes[-1]

    assert stats.type == "queue.stats"
    assert stats.data["services"] == [{"code": "a", "waiting": 2, "estimated_wait_s": 300}]
    with store.read_session() as s:
        assert s.scalar(select(Hall.event_seq)) == 4


def setup_shared_windows(store: Store, *, c_also_at_window_3: bool = False) -> None:
    """Windows 1 and 2 serve a (300 s) and c (120 s) from one pooled queue; window 3 serves b (600 s), and c too
    when asked (then a third of c's windows are not a's)."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", standard_duration_s=300)
        b = factories.service(s, h, "b", "B", standard_duration_s=600)
        c = factories.service(s, h, "c", "C", standard_duration_s=120)
        factories.priority(s, h, "laonian", 3)
        factories.window(s, h, 1, [a, c])
        factories.window(s, h, 2, [a, c])
        factories.window(s, h, 3, [b, c] if c_also_at_window_3 else [b])


def test_windows_shared_with_another_service_count_its_queue_too(store: Store, desk: Desk) -> None:
    setup_shared_windows(store)
    for _ in range(3):
        issued(desk, "c")

    a = issued(desk, "a")

    # Nobody waits for a, but windows 1 and 2 call the three c tickets first (longest wait): 3 x 120 s / 2.
    assert (a.ahead, a.estimated_wait_s) == (0, 3 * 120 // 2)
    assert issued(desk, "b").estimated_wait_s == 0  # window 3 shares nothing with a or c


def test_another_service_counts_by_the_share_of_its_windows_that_serve_this_one(store: Store, desk: Desk) -> None:
    setup_shared_windows(store, c_also_at_window_3=True)
    for _ in range(3):
        issued(desk, "c")

    # Two of c's three windows also serve a: two thirds of the c queue lands on a's windows.
    assert issued(desk, "a").estimated_wait_s == round(3 * 120 * 2 / 3 / 2)


def test_a_waiting_ticket_counts_only_the_other_tickets_called_before_it(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_shared_windows(store)
    issued(desk, "c")
    clock.advance(seconds=1)
    a = issued(desk, "a")
    clock.advance(seconds=1)
    issued(desk, "c")
    issued(desk, "c")

    with store.read_session() as s:
        tracked = snapshots.track(s, a.ticket.track_token, clock.now())

    assert (tracked.ahead, tracked.estimated_wait_s) == (0, 120 // 2)  # the c issued before it, not the later two


def test_a_priority_ticket_is_not_behind_the_normal_queue_of_a_shared_service(store: Store, desk: Desk) -> None:
    setup_shared_windows(store)
    issued(desk, "c")
    issued(desk, "c")

    assert issued(desk, "a", priority_code="laonian").estimated_wait_s == 0


def test_when_every_window_is_busy_even_the_head_of_the_queue_waits_for_one(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    issued(desk, "b")
    desk.call(3)

    first = issued(desk, "b")

    assert (first.ahead, first.estimated_wait_s) == (0, 600)  # window 3 (b's only) finishes its ticket first
    second = issued(desk, "b")
    assert (second.ahead, second.estimated_wait_s) == (1, 2 * 600)
    issued(desk, "a")
    assert issued(desk, "a").estimated_wait_s == 300 // 2  # a's windows are idle: no extra turn


def test_a_window_of_its_own_serves_the_queue_while_a_shared_one_works_off_another_service(
    store: Store, desk: Desk
) -> None:
    """Window 1 serves a and c, window 2 only c: window 2 starts on c at once, window 1 only after the a queue."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", standard_duration_s=300)
        c = factories.service(s, h, "c", "C", standard_duration_s=120)
        factories.window(s, h, 1, [a, c])
        factories.window(s, h, 2, [c])
    issued(desk, "a")
    issued(desk, "a")

    assert issued(desk, "c").estimated_wait_s == 0  # window 2 is free
    issued(desk, "c")
    issued(desk, "c")
    # Three c ahead (360 s of work): window 2 alone, since window 1 has 600 s of a to do first.
    assert issued(desk, "c").estimated_wait_s == 3 * 120
    for _ in range(5):
        issued(desk, "c")
    # Nine c ahead (1,080 s): window 2 alone until 600 s, then both share the remaining 480 s.
    assert issued(desk, "c").estimated_wait_s == 600 + 480 // 2
    # a has only window 1: its two a tickets, and window 1's half of the ten c tickets queued before it.
    assert issued(desk, "a").estimated_wait_s == 2 * 300 + 10 * 120 // 2


def add_window_legs(store: Store, clock: FrozenClock, *, joined_ahead: int, in_turn: int, window: int = 1,
                    minutes_ago: float = 10, priority: bool = False) -> None:
    """Legs of 300 s of window time that ended at a window `minutes_ago`: `joined_ahead` of them queued five minutes
    after their ticket's queue time (what a transfer or a return from park leaves), or are a priority ticket's
    when `priority`; the others queued at it. The clock then moves past the estimate cache time."""
    ended = clock.now() - timedelta(minutes=minutes_ago)
    with store.transaction() as s:
        normal = s.scalars(select(Ticket).where(Ticket.priority_weight == 0).order_by(Ticket.id)).first()
        elder = s.scalars(select(Ticket).where(Ticket.priority_weight > 0)).first()
        window_id = s.scalar(select(Window.id).where(Window.number == window))
        assert normal is not None and window_id is not None
        for i in range(joined_ahead + in_turn):
            ahead = i < joined_ahead
            ticket = elder if ahead and priority else normal
            assert ticket is not None
            queued = ticket.queued_at + timedelta(minutes=5) if ahead and not priority else ticket.queued_at
            s.add(TicketLeg(ticket_id=ticket.id, hall_id=ticket.hall_id, service_on=ticket.service_on,
                            service_id=ticket.service_id, window_id=window_id, queued_at=queued,
                            called_at=ended - timedelta(seconds=300), ended_at=ended, end="finished",
                            wait_s=60, service_s=280, occupied_s=300,
                            local_hour=local_time(ended, "Asia/Shanghai").hour))
    clock.advance(seconds=ESTIMATE_TTL.total_seconds())


def test_time_the_windows_spent_on_tickets_that_joined_ahead_lengthens_a_normal_wait(
    store: Store, desk: Desk, clock: FrozenClock
) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)
    add_window_legs(store, clock, joined_ahead=5, in_turn=15)  # a quarter of the last hour's work

    third = issued(desk)

    assert (third.ahead, third.estimated_wait_s) == (2, round(2 * 300 / 2 / 0.75))


def test_priority_tickets_served_count_as_joined_ahead(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)
    issued(desk, priority_code="laonian")
    desk.call(1)  # the priority ticket: the two normal ones wait on
    add_window_legs(store, clock, joined_ahead=10, in_turn=10, window=2, priority=True)

    assert issued(desk).estimated_wait_s == round(2 * 300 / 2 / 0.5)


def test_a_priority_ticket_is_not_slowed_by_others_joining_ahead(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk, priority_code="laonian")
    add_window_legs(store, clock, joined_ahead=10, in_turn=10)

    second_elder = issued(desk, priority_code="laonian")

    assert (second_elder.ahead, second_elder.estimated_wait_s) == (1, round(300 / 2))


def test_few_or_old_legs_change_nothing(store: Store, desk: Desk, clock: FrozenClock) -> None:
    setup_hall(store)
    issued(desk)
    issued(desk)
    add_window_legs(store, clock, joined_ahead=5, in_turn=14)  # 19 legs: too few to judge
    assert issued(desk).estimated_wait_s == round(2 * 300 / 2)

    add_window_legs(store, clock, joined_ahead=20, in_turn=0, minutes_ago=65)  # 39 legs, but 20 are too old
    assert issued(desk).estimated_wait_s == round(3 * 300 / 2)
