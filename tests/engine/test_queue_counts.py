"""The waiting counts the database keeps (queue_counts, migration 0026's triggers) agree with counting the queue
after every kind of change a hall makes to its tickets, on SQLite and PostgreSQL: the displays' waiting figures and
every estimate are read from them."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy import text

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.models import Hall
from queue_server.storage.store import Store
from tests import factories
from tests.engine.desk import Desk
from tests.engine.test_remote_tickets import arrive
from tests.engine.test_remote_tickets import code_today
from tests.engine.test_remote_tickets import take

_KEPT = text("SELECT s.code, q.waiting, q.unarrived FROM queue_counts q JOIN services s ON s.id = q.service_id "
             "JOIN halls h ON h.id = q.hall_id WHERE h.code = 't1' ORDER BY s.code")
_COUNTED = text(
    "SELECT s.code, count(t.id), coalesce(sum(CASE WHEN t.remote AND t.arrived_at IS NULL THEN 1 ELSE 0 END), 0) "
    "FROM services s JOIN halls h ON h.id = s.hall_id "
    "LEFT JOIN tickets t ON t.service_id = s.id AND t.status = 'waiting' "
    "WHERE h.code = 't1' GROUP BY s.code ORDER BY s.code")


def kept_and_counted(store: Store) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    with store.read_session() as s:
        kept = [(c, int(w), int(u)) for c, w, u in s.execute(_KEPT)]
        counted = [(c, int(w), int(u)) for c, w, u in s.execute(_COUNTED)]
    return kept, counted


@pytest.fixture
def hall(store: Store) -> None:
    """Hall t1: services a and b, window 1 serving both; remote tickets on (grace 10 minutes)."""
    with store.transaction() as s:
        h = factories.hall(s, remote_grace_min=10)
        a = factories.service(s, h, "a", "A")
        b = factories.service(s, h, "b", "B")
        factories.window(s, h, 1, [a, b])


@pytest.mark.usefixtures("hall")
def test_the_kept_counts_follow_issue_call_transfer_cancel_arrival_and_the_nightly_expiry(
    desk: Desk, store: Store, clock: FrozenClock
) -> None:
    def agree() -> list[tuple[str, int, int]]:
        kept, counted = kept_and_counted(store)
        assert kept == counted
        return kept

    assert agree() == [("a", 0, 0), ("b", 0, 0)]  # a service has its row from the start
    first = desk.issue("a")
    desk.issue("a")
    second_b = desk.issue("b")
    far = take(desk)  # 线上取号 in service a: waiting, not yet arrived
    assert agree() == [("a", 3, 1), ("b", 1, 0)]

    called = desk.call(1)
    assert called is not None and called.id == first.id
    assert agree() == [("a", 2, 1), ("b", 1, 0)]
    desk.do(engine.transfer, ticket_id=called.id, service_code="b")  # back into a queue, in b
    assert agree() == [("a", 2, 1), ("b", 2, 0)]

    desk.do(engine.cancel, ticket_id=second_b.id)
    arrive(desk, far, code_today(desk))
    assert agree() == [("a", 2, 0), ("b", 1, 0)]

    clock.advance(days=1)  # the next day's first op expires yesterday's queue
    desk.issue("b")
    assert agree() == [("a", 0, 0), ("b", 1, 0)]


@pytest.mark.usefixtures("hall")
def test_a_purged_waiting_ticket_and_a_service_added_later_keep_the_counts_right(desk: Desk, store: Store) -> None:
    """Paths the engine's ops do not take: an operator's SQL, and the catalogue adding a service."""
    doomed = desk.issue("a")
    desk.issue("a")
    with store.transaction() as s:
        s.execute(text("DELETE FROM ticket_events WHERE ticket_id = :id"), {"id": doomed.id})
        s.execute(text("DELETE FROM tickets WHERE id = :id"), {"id": doomed.id})
        factories.service(s, s.scalars(select(Hall).where(Hall.code == "t1")).one(), "c", "C")

    kept, counted = kept_and_counted(store)
    assert kept == counted == [("a", 1, 0), ("b", 0, 0), ("c", 0, 0)]


def test_the_waiting_figure_on_the_displays_comes_from_the_kept_counts(hall: None, desk: Desk, store: Store) -> None:
    """A call's queue.stats reads the kept row, not the queue: a count set by hand (as if the triggers had missed
    a change) shows through, less the ticket the call took. That is what makes a call's cost independent of the
    queue's length."""
    desk.issue("a")
    desk.issue("a")
    with store.transaction() as s:
        s.execute(text("UPDATE queue_counts SET waiting = 41 WHERE service_id = (SELECT s.id FROM services s "
                       "JOIN halls h ON h.id = s.hall_id WHERE s.code = 'a' AND h.code = 't1')"))

    done = desk.runtime.execute(engine.call_next, hall="t1", window_number=1)

    [stats] = [e for e in done.envelopes if e.type == "queue.stats"]
    assert {row["code"]: row["waiting"] for row in stats.data["services"]} == {"a": 40}
