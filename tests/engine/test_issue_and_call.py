"""Issue a ticket and call it: the basic path through the runtime, with the events it publishes."""

from __future__ import annotations

from queue_server import engine
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder


def test_first_ticket_of_the_day_is_number_one_with_nobody_ahead(store: Store, runtime: Runtime) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        factories.service(s, h, "a", "A")

    issued = runtime.execute(engine.issue_ticket, hall="t1", service_code="a").value

    assert issued.ticket.ticket_no == "A001"
    assert issued.ahead == 0


def test_call_next_calls_the_waiting_ticket_and_publishes_in_seq_order(
    store: Store, runtime: Runtime, published: Recorder
) -> None:
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])
    runtime.execute(engine.issue_ticket, hall="t1", service_code="a")

    called = runtime.execute(engine.call_next, hall="t1", window_number=1).value

    assert called.ticket_no == "A001"
    assert called.status == "called"
    assert published.types() == ["ticket.issued", "queue.stats", "ticket.called", "queue.stats"]
    assert [e.seq for e in published.envelopes] == [1, 2, 3, 4]
