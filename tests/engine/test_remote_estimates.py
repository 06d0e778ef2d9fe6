"""线上取号 and the estimates: a remote ticket whose citizen has not confirmed arrival is passed over by call-next,
so it is nobody's "ahead" and not in the waiting count a newcomer stands behind; once it arrives it counts again.
Its own phone page counts the callable tickets before it (when to set off)."""

from __future__ import annotations

from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.engine.oversight import alerts
from queue_server.queries import snapshots
from queue_server.realtime.positions import Positions
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import TEST_PERSON_KEYS
from tests.engine.desk import Desk

PHONE = "13800138000"


def _hall(store: Store) -> None:
    with store.transaction() as s:
        h = factories.hall(s, remote_grace_min=10)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])


def _take(desk: Desk, phone: str = PHONE) -> Ticket:
    return desk.do(engine.take_remote, service_code="a", phone=phone, person_keys=TEST_PERSON_KEYS).ticket


def _track(store: Store, clock: FrozenClock, ticket_id: int) -> tuple[int, int]:
    """(ahead, estimated wait) as the ticket's phone page shows them."""
    with store.read_session() as s:
        token = s.scalar(select(Ticket.track_token).where(Ticket.id == ticket_id))
        assert token is not None
        found = snapshots.track(s, token, clock.now())
        return found.ahead, found.estimated_wait_s


def _waiting(store: Store, clock: FrozenClock) -> int:
    """The service's waiting figure as the wall display and kiosk show it."""
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert hall is not None
        return next(x["waiting"] for x in snapshots.services(s, hall, clock.now()) if x["code"] == "a")


def test_a_walk_in_behind_an_unconfirmed_remote_ticket_is_told_nobody_is_ahead(store: Store, clock: FrozenClock,
                                                                               desk: Desk) -> None:
    _hall(store)
    far = _take(desk)
    issued = desk.do(engine.issue_ticket, service_code="a")
    walk_in = issued.ticket

    assert (issued.ahead, issued.estimated_wait_s) == (0, 0)  # the window calls the walk-in first
    assert _track(store, clock, walk_in.id) == (0, 0)
    assert _waiting(store, clock) == 1

    desk.do(engine.arrive, ticket_id=far.id, via="kiosk")

    ahead, wait = _track(store, clock, walk_in.id)
    assert ahead == 1 and wait > 0  # the remote citizen is here and is called first, in the original place
    assert _waiting(store, clock) == 2
    assert desk.call_no(1) == far.ticket_no


def test_a_remote_ticket_counts_the_callable_tickets_before_it(store: Store, clock: FrozenClock,
                                                               desk: Desk) -> None:
    _hall(store)
    first = desk.issue("a")
    other_far = _take(desk, phone="13900139000")  # not here either: in nobody's way
    far = _take(desk)
    later = desk.issue("a")

    assert _track(store, clock, far.id)[0] == 1  # first only: the citizen sets off by this figure
    assert _track(store, clock, later.id)[0] == 1  # first only: both remote tickets are still on their way
    assert _waiting(store, clock) == 2

    desk.do(engine.arrive, ticket_id=other_far.id, via="kiosk")

    assert _track(store, clock, far.id)[0] == 2
    assert _track(store, clock, later.id)[0] == 2
    desk.call(1)
    assert desk.ticket(first.id).status == "called"
    assert _track(store, clock, far.id)[0] == 1


def test_phones_get_the_places_their_track_pages_show(store: Store, clock: FrozenClock, desk: Desk) -> None:
    _hall(store)
    far = _take(desk)
    walk_in = desk.issue("a")
    sent: list[tuple[str, dict[str, object]]] = []
    positions = Positions(store, clock, followers=lambda hall: {"far": far.id, "walk": walk_in.id},
                          send=lambda sid, message: sent.append((sid, message)))

    positions.refresh("t1", {"a"})
    desk.do(engine.arrive, ticket_id=far.id, via="kiosk")
    positions.refresh("t1", {"a"})

    told = [(sid, m["ahead"]) for sid, m in sent]
    assert told == [("far", 0), ("walk", 0), ("walk", 1)]
    assert sent[-1][1]["estimated_wait_s"] == _track(store, clock, walk_in.id)[1]


def test_queue_stats_counts_the_callable_queue(store: Store, desk: Desk, published: Recorder) -> None:
    _hall(store)
    desk.issue("a")
    far = _take(desk)
    desk.do(engine.arrive, ticket_id=far.id, via="kiosk")

    stats = [e.data["services"][0]["waiting"] for e in published.envelopes if e.type == "queue.stats"]
    assert stats == [1, 1, 2]  # the wall's count takes the remote ticket in once its citizen is here


def test_a_remote_ticket_raises_no_alert_on_its_way_and_its_wait_counts_from_arrival(
        store: Store, clock: FrozenClock, desk: Desk) -> None:
    with store.transaction() as s:
        h = factories.hall(s, remote_grace_min=60)
        a = factories.service(s, h, "a", "A", warning_threshold=1)
        clerk = factories.staff(s, h, "u1")
        factories.window(s, h, 1, [a], staff_id=clerk.id)
    far = _take(desk)
    clock.advance(minutes=40)  # past the idle window's 5 minutes and the 30-minute wait

    assert _conditions(store, clock) == []  # nobody the clerk could call: not a queue, not an idle window

    desk.do(engine.arrive, ticket_id=far.id, via="kiosk")

    # The citizen has just walked in: a queue now, but neither a long wait nor a window idling while they waited.
    assert _conditions(store, clock) == ["queue_long"]
    clock.advance(minutes=6)
    assert _conditions(store, clock) == ["queue_long", "window_idle"]
    clock.advance(minutes=25)  # 31 minutes in the hall: past the 30-minute wait
    assert _conditions(store, clock) == ["queue_long", "ticket_wait_long", "window_idle"]


def _conditions(store: Store, clock: FrozenClock) -> list[str]:
    with store.read_session() as s:
        hall = s.scalar(select(Hall).where(Hall.code == "t1"))
        assert hall is not None
        return sorted(c.kind for c in alerts.conditions(s, hall, clock.now()))
