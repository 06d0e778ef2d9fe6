"""The periodic housekeeping round (engine.housekeep, run by the server's ticker): what changes with time alone."""

from __future__ import annotations

import pytest

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.models import Device
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import Desk


@pytest.fixture
def kiosk_id(store: Store) -> int:
    """Hall t1, service a at window 1, and a kiosk with an 80 mm printer."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A")
        factories.window(s, h, 1, [a])
        kiosk = Device(hall_id=h.id, kind="kiosk", name="一楼取号机1", printer={"paper_mm": 80})
        s.add(kiosk)
        s.flush()
        return kiosk.id


def printer_alerts(published: Recorder) -> list[tuple[str, str | None]]:
    return [(e.type, e.data["alert"]["state"]) for e in published.envelopes
            if e.type.startswith("alert.") and e.data["alert"]["kind"] == "printer_trouble"]


def test_a_parked_ticket_returns_to_the_queue_when_its_time_comes_without_any_call(
    kiosk_id: int, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    ticket = desk.issue("a")
    desk.call(1)
    desk.do(engine.park, ticket_id=ticket.id, minutes=10)
    clock.advance(minutes=9)
    desk.do(engine.housekeep)
    assert desk.ticket(ticket.id).status == "parked"

    clock.advance(minutes=1)
    desk.do(engine.housekeep)

    assert desk.ticket(ticket.id).status == "waiting"
    assert published.types()[-2:] == ["ticket.returned", "queue.stats"]
    assert published.envelopes[-1].data["services"][0]["waiting"] == 1


def test_a_print_job_no_agent_claims_expires_unprinted_and_alerts_the_manager(
    kiosk_id: int, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    desk.do(engine.issue_at_kiosk, device_id=kiosk_id, service_code="a")
    clock.advance(seconds=10)
    desk.do(engine.housekeep)
    assert printer_alerts(published) == []  # an agent may still claim it: not yet

    clock.advance(seconds=10)  # the kiosk has said 打印失败: the job is dead and the manager is told
    desk.do(engine.housekeep)
    assert "print_job.expired" in published.types()
    assert printer_alerts(published) == [("alert.raised", "new")]
    assert published.envelopes[-1].data["alert"]["data"]["printer_state"] == "no_answer"

    clock.advance(minutes=10)
    desk.do(engine.housekeep)

    assert printer_alerts(published) == [("alert.raised", "new")]  # still open, not raised twice
    assert [] == desk.do(engine.claim_print_jobs, device_id=kiosk_id, agent="agent-1")  # and it never prints


def test_the_no_answer_alert_ends_once_the_agent_prints_again(
    kiosk_id: int, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    desk.do(engine.issue_at_kiosk, device_id=kiosk_id, service_code="a")
    clock.advance(minutes=11)
    desk.do(engine.housekeep)
    desk.do(engine.issue_at_kiosk, device_id=kiosk_id, service_code="a")

    [job] = desk.do(engine.claim_print_jobs, device_id=kiosk_id, agent="agent-1")
    desk.do(engine.report_print_result, device_id=kiosk_id, job_id=job.id, printed=True)
    desk.do(engine.housekeep)

    assert printer_alerts(published) == [("alert.raised", "new"), ("alert.updated", "resolved")]
