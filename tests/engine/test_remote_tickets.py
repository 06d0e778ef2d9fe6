"""线上取号: a remote ticket queues at once, is passed over by call-next until its citizen confirms arrival, is held
at the head of its queue and expires after the hall's grace time, and once arrived is called in its original
place."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

import pytest

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.engine.booking import remote
from queue_server.storage.models import Hall
from queue_server.storage.models import Ticket
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import TEST_PERSON_KEYS
from tests.engine.desk import Desk
from tests.engine.desk import refused

KEY = b"k" * 32
PHONE = "13800138000"


@pytest.fixture
def hall(store: Store) -> None:
    with store.transaction() as s:
        h = factories.hall(s, remote_grace_min=10)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])


def take(desk: Desk, phone: str = PHONE, **kwargs: Any) -> Ticket:
    return desk.do(engine.take_remote, service_code="a", phone=phone, person_keys=TEST_PERSON_KEYS, **kwargs).ticket


def code_today(desk: Desk) -> str:
    with desk.runtime.store.read_session() as s:
        h = s.query(Hall).filter_by(code="t1").one()
        return remote.todays_code(KEY, h, desk.runtime.clock.now())[0]


def arrive(desk: Desk, ticket: Ticket, typed: str) -> Ticket:
    return desk.do(engine.arrive, ticket_id=ticket.id, via="hall_code", hall_code=typed, entrance_key=KEY)


@pytest.mark.usefixtures("hall")
def test_a_remote_ticket_queues_as_mobile_and_is_not_called_until_it_arrives(desk: Desk) -> None:
    far = take(desk)
    walk_in = desk.issue("a")

    assert (far.channel, far.remote, far.arrived_at) == ("mobile", True, None)
    assert desk.call_no(1) == walk_in.ticket_no  # the earlier remote ticket is passed over
    desk.finish(desk.ticket(walk_in.id))
    assert desk.call(1) is None  # nothing callable: the remote citizen is not here yet
    refused(desk, "ticket_not_arrived", engine.call_specific, window_number=1, ticket_no=far.ticket_no,
            reason="test", actor="t")


@pytest.mark.usefixtures("hall")
def test_after_arrival_it_is_called_in_its_original_place(desk: Desk, clock: FrozenClock,
                                                          published: Recorder) -> None:
    first = desk.issue("a")
    far = take(desk)
    clock.advance(minutes=1)
    later = desk.issue("a")

    arrived = arrive(desk, far, code_today(desk))

    assert arrived.arrived_via == "hall_code" and arrived.arrived_at == clock.now()
    assert "ticket.arrived" in published.types()
    assert [desk.call_no(1), desk.finish(desk.ticket(first.id)) and desk.call_no(1)] == [
        first.ticket_no, far.ticket_no]
    assert desk.ticket(later.id).status == "waiting"


@pytest.mark.usefixtures("hall")
def test_a_wrong_or_yesterdays_code_is_refused_and_changes_nothing(desk: Desk, clock: FrozenClock) -> None:
    far = take(desk)
    today = code_today(desk)
    clock.advance(days=-1)
    yesterday = code_today(desk)
    clock.advance(days=1)

    assert yesterday != today
    refused(desk, "entrance_code_wrong", engine.arrive, ticket_id=far.id, via="hall_code", hall_code=yesterday,
            entrance_key=KEY)
    refused(desk, "entrance_code_wrong", engine.arrive, ticket_id=far.id, via="hall_code", hall_code="",
            entrance_key=KEY)
    assert desk.ticket(far.id).arrived_at is None


@pytest.mark.usefixtures("hall")
def test_a_kiosk_confirms_without_the_code_and_twice_changes_nothing(desk: Desk, published: Recorder) -> None:
    far = take(desk)
    desk.do(engine.arrive, ticket_id=far.id, via="kiosk")
    seq = desk.event_seq()
    again = desk.do(engine.arrive, ticket_id=far.id, via="kiosk")

    assert again.arrived_via == "kiosk" and desk.event_seq() == seq
    assert desk.call_no(1) == far.ticket_no


@pytest.mark.usefixtures("hall")
def test_a_kiosk_ticket_has_no_arrival_to_confirm(desk: Desk) -> None:
    walk_in = desk.issue("a")
    refused(desk, "not_remote_ticket", engine.arrive, ticket_id=walk_in.id, via="kiosk")


@pytest.mark.usefixtures("hall")
def test_held_at_the_head_then_expired_after_the_grace_time(desk: Desk, clock: FrozenClock,
                                                            published: Recorder) -> None:
    walk_in = desk.issue("a")
    far = take(desk)
    desk.do(engine.housekeep)
    assert desk.ticket(far.id).held_at is None  # a callable ticket still stands before it

    desk.call(1)  # the walk-in goes to the window: the remote ticket now heads its queue
    desk.do(engine.housekeep)
    held = desk.ticket(far.id)
    assert held.held_at == clock.now() and "ticket.held" in published.types()
    assert desk.ticket(walk_in.id).status == "called"

    clock.advance(minutes=9, seconds=59)
    desk.do(engine.housekeep)
    assert desk.ticket(far.id).status == "waiting"  # keeps its place through the grace time

    clock.advance(seconds=1)
    desk.do(engine.housekeep)
    gone = desk.ticket(far.id)
    assert (gone.status, gone.outcome, gone.arrived_at) == ("expired", "not_arrived", None)
    assert published.types().count("ticket.expired") == 1
    assert desk.log(gone)[-2:] == ["held", "expired"]


@pytest.mark.usefixtures("hall")
def test_arrival_during_the_grace_time_keeps_the_place(desk: Desk, clock: FrozenClock) -> None:
    far = take(desk)
    behind = desk.issue("a")
    desk.do(engine.housekeep)
    assert desk.ticket(far.id).held_at is not None
    clock.advance(minutes=5)

    desk.do(engine.arrive, ticket_id=far.id, via="kiosk")
    clock.advance(minutes=30)
    desk.do(engine.housekeep)

    assert desk.ticket(far.id).status == "waiting"
    assert desk.call_no(1) == far.ticket_no
    assert desk.ticket(behind.id).status == "waiting"


@pytest.mark.usefixtures("hall")
def test_one_open_remote_ticket_per_person_and_service(desk: Desk) -> None:
    take(desk)
    refused(desk, "person_limit_reached", engine.take_remote, service_code="a", phone=PHONE,
            person_keys=TEST_PERSON_KEYS)
    refused(desk, "person_required", engine.take_remote, service_code="a", person_keys=TEST_PERSON_KEYS)
    assert take(desk, phone="13900139000").remote


def test_the_kiosks_caps_and_hours_apply(store: Store, desk: Desk, clock: FrozenClock) -> None:
    with store.transaction() as s:
        h = factories.hall(s, hours={str(d): [] for d in range(1, 8)})
        factories.service(s, h, "a", "A")
        other = factories.hall(s, "t2")
        factories.service(s, other, "a", "A", daily_cap=1)
    refused(desk, "hall_closed", engine.take_remote, service_code="a", phone=PHONE, person_keys=TEST_PERSON_KEYS)
    elsewhere = Desk(desk.runtime, "t2")
    elsewhere.issue("a")
    refused(elsewhere, "daily_quota_reached", engine.take_remote, service_code="a", phone=PHONE,
            person_keys=TEST_PERSON_KEYS)


def test_the_entrance_code_changes_every_day_and_differs_between_halls() -> None:
    a, b = Hall(id=1, code="a"), Hall(id=2, code="b")
    codes = {remote.entrance_code(KEY, h, date(2026, 3, 2) + timedelta(days=n)) for h in (a, b) for n in range(3)}
    assert len(codes) == 6 and all(len(c) == 6 and c.isdigit() for c in codes)
