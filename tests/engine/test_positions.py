"""The phones' live places (queue_server/realtime/positions.py) agree with what the track page says, priority tickets
included, and a phone is told only when its figures changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.queries import snapshots
from queue_server.realtime.positions import Positions
from queue_server.storage.models import Ticket
from queue_server.storage.store import Store
from tests.engine.desk import Desk
from tests.engine.test_estimates import setup_hall


def _positions(store: Store, clock: FrozenClock, followers: dict[str, int]) -> tuple[Positions, list[Any]]:
    sent: list[tuple[str, dict[str, Any]]] = []
    return Positions(store, clock, followers=lambda hall: followers if hall == "t1" else {},
                     send=lambda sid, message: sent.append((sid, message))), sent


def _tracked(store: Store, clock: FrozenClock, ticket_id: int) -> tuple[int, int]:
    with store.read_session() as s:
        token = s.scalar(select(Ticket.track_token).where(Ticket.id == ticket_id))
        assert token is not None
        found = snapshots.track(s, token, clock.now())
        return found.ahead, found.estimated_wait_s


def test_each_phone_gets_the_place_and_wait_its_track_page_shows(store: Store, clock: FrozenClock,
                                                                  desk: Desk) -> None:
    setup_hall(store)
    tickets = [desk.issue("a") for _ in range(3)]
    elder = desk.do(engine.issue_ticket, service_code="a", priority_code="laonian").ticket
    other = desk.issue("b")
    followers = {"p1": tickets[2].id, "p2": elder.id, "p3": other.id, "gone": 99999}
    positions, sent = _positions(store, clock, followers)

    count = positions.refresh("t1", {"a"})

    by_sid = {sid: message for sid, message in sent}
    assert count == 2 and set(by_sid) == {"p1", "p2"}  # b did not move; 99999 is no waiting ticket
    assert (by_sid["p1"]["ahead"], by_sid["p1"]["estimated_wait_s"]) == _tracked(store, clock, tickets[2].id)
    assert (by_sid["p2"]["ahead"], by_sid["p2"]["estimated_wait_s"]) == _tracked(store, clock, elder.id)
    assert by_sid["p1"]["ahead"] == 3  # A001, A002 and the priority ticket that jumped ahead
    assert by_sid["p2"]["ahead"] == 0


def test_a_phone_is_told_again_only_when_its_figures_changed(store: Store, clock: FrozenClock, desk: Desk) -> None:
    setup_hall(store)
    desk.issue("a")
    mine = desk.issue("a")
    positions, sent = _positions(store, clock, {"p1": mine.id})

    positions.refresh("t1", {"a"})
    positions.refresh("t1", {"a"})  # nothing moved
    desk.call(1)
    positions.refresh("t1", {"a"})

    assert [message["ahead"] for _, message in sent] == [1, 0]
