"""Replay edge cases: subscribing while the hall is busy, and a client whose missed events were pruned."""

from __future__ import annotations

import threading

from sqlalchemy import delete

from queue_server.storage.models import HallEvent
from queue_server.storage.store import make_store
from tests.factories import BasicHall
from tests.realtime.feed import connected
from tests.realtime.feed import events_until
from tests.realtime.feed import no_more_events
from tests.realtime.feed import receive
from tests.realtime.feed import subscribe
from tests.realtime.server import Server

ISSUES_DURING_SUBSCRIBE = 15


def test_subscribing_while_tickets_are_being_issued_misses_nothing_and_doubles_nothing(
    server: Server, tokens: BasicHall
) -> None:
    for _ in range(5):
        server.issue("t1", tokens.kiosk)
    issued_before = 10  # five tickets, each ticket.issued + queue.stats
    busy = threading.Thread(target=lambda: [server.issue("t1", tokens.kiosk) for _ in range(ISSUES_DURING_SUBSCRIBE)])

    with connected(server.url, {"token": tokens.display}) as display:
        busy.start()
        subscribe(display, "t1", since=3)  # replay from seq 4 while new events are being published
        busy.join()
        final = issued_before + 2 * ISSUES_DURING_SUBSCRIBE
        received = events_until(display, final, timeout=10)
        assert no_more_events(display)

    assert [e["seq"] for e in received] == list(range(4, final + 1))


def test_a_client_behind_pruned_events_gets_one_snapshot_then_live_events(
    server: Server, tokens: BasicHall
) -> None:
    for _ in range(3):
        server.issue("t1", tokens.kiosk)
    store = make_store(server.database_url)
    with store.transaction() as s:  # housekeeping pruned the outbox up to seq 4
        s.execute(delete(HallEvent).where(HallEvent.seq <= 4))
    store.dispose()

    with connected(server.url, {"token": tokens.display}) as display:
        ack = subscribe(display, "t1", since=1)
        name, snap = receive(display)
        assert no_more_events(display)
        server.call_next("t1", tokens.staff1, window=1)
        live = events_until(display, 7)

    assert name == "snapshot"
    assert snap["seq"] == ack["seq"] == 6
    assert [(e["seq"], e["type"]) for e in live] == [(7, "ticket.called")]
