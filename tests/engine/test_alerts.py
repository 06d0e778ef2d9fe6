"""Manager alerts on a real database and a FrozenClock: each is raised by a scenario that breaches its limit,
never twice while open, and resolved when the condition ends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.storage.alerts import Alert
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import TicketLeg
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.engine.desk import Desk
from tests.engine.desk import refused


@pytest.fixture
def hall(store: Store) -> None:
    """Hall t1: service a (warning threshold 3, daily cap 10) at window 1 (staffed), service b at window 2."""
    with store.transaction() as s:
        h = factories.hall(s)
        a = factories.service(s, h, "a", "A", warning_threshold=3, daily_cap=10)
        b = factories.service(s, h, "b", "B")
        clerk = factories.staff(s, h, "u1")
        factories.window(s, h, 1, [a], staff_id=clerk.id)
        factories.window(s, h, 2, [b])


def evaluate(desk: Desk) -> list[tuple[str, str, str]]:
    """Run the evaluator; (kind, subject, state) of the alerts it changed."""
    return [(a.kind, a.subject, a.state) for a in desk.do(engine.evaluate_alerts)]


def open_alerts(store: Store) -> list[tuple[str, str]]:
    with store.read_session() as s:
        return sorted((a.kind, a.subject) for a in s.scalars(select(Alert).where(Alert.state != "resolved")))


def test_a_queue_at_the_warning_threshold_raises_one_alert_and_resolves_when_it_shrinks(
    hall: None, desk: Desk, store: Store, published: Recorder
) -> None:
    for _ in range(3):
        desk.issue("a")

    assert evaluate(desk) == [("queue_long", "service:a", "new")]
    assert evaluate(desk) == []  # still open: not raised again
    assert published.types()[-1] == "alert.raised"
    assert published.envelopes[-1].data["alert"]["data"]["waiting"] == 3

    desk.call(1)

    assert evaluate(desk) == [("queue_long", "service:a", "resolved")]
    assert published.types()[-1] == "alert.updated"
    assert open_alerts(store) == []


def test_a_ticket_waiting_past_the_limit_raises_an_alert_until_it_is_called(
    hall: None, desk: Desk, clock: FrozenClock
) -> None:
    desk.issue("b")
    clock.advance(minutes=29)
    assert evaluate(desk) == []

    clock.advance(minutes=1)
    assert evaluate(desk) == [("ticket_wait_long", "service:b", "new")]

    desk.call(2)
    assert evaluate(desk) == [("ticket_wait_long", "service:b", "resolved")]


def test_the_wait_alert_tells_the_oldest_wait_and_how_many_are_past_the_limit(
    hall: None, desk: Desk, clock: FrozenClock, published: Recorder
) -> None:
    desk.issue("b")
    clock.advance(minutes=10)
    desk.issue("b")
    clock.advance(minutes=5)
    desk.issue("b")
    clock.advance(minutes=25)  # waits now 40, 30 (exactly the limit) and 25 minutes

    assert evaluate(desk) == [("ticket_wait_long", "service:b", "new")]
    data = published.envelopes[-1].data["alert"]["data"]
    assert (data["minutes"], data["tickets"], data["limit"]) == (40, 2, 30)


def test_service_longer_than_the_limit_raises_an_alert_until_finished(
    hall: None, desk: Desk, clock: FrozenClock
) -> None:
    desk.issue("a")
    ticket = desk.call(1)
    assert ticket is not None
    desk.do(engine.start, ticket_id=ticket.id)
    clock.advance(minutes=31)

    assert evaluate(desk) == [("service_long", f"ticket:{ticket.id}", "new")]

    desk.finish(ticket, outcome="done")
    assert evaluate(desk) == [("service_long", f"ticket:{ticket.id}", "resolved")]


def test_an_idle_window_with_people_waiting_raises_an_alert_until_it_calls(
    hall: None, desk: Desk, clock: FrozenClock
) -> None:
    desk.issue("a")
    clock.advance(minutes=4)
    assert evaluate(desk) == []

    clock.advance(minutes=1)
    assert evaluate(desk) == [("window_idle", "window:1", "new")]

    desk.call(1)
    assert evaluate(desk) == [("window_idle", "window:1", "resolved")]


def test_a_window_that_finished_a_ticket_lately_is_not_idle_however_long_the_queue_has_waited(
    hall: None, desk: Desk, clock: FrozenClock
) -> None:
    first = desk.issue("a")
    desk.issue("a")
    clock.advance(minutes=2)
    assert desk.call(1) is not None
    clock.advance(minutes=2)
    desk.finish(first, outcome="done")  # the second ticket has waited 4 minutes; the window is free from now

    clock.advance(minutes=1)
    assert evaluate(desk) == []  # the queue has waited 5 minutes, the window has been free for 1

    clock.advance(minutes=4)
    assert evaluate(desk) == [("window_idle", "window:1", "new")]
    with desk.runtime.store.read_session() as s:
        [alert] = s.scalars(select(Alert).where(Alert.kind == "window_idle"))
        assert alert.data["minutes"] == 5  # counted from the finish, not from the oldest ticket's arrival


def test_a_window_paused_too_long_raises_an_alert_until_it_resumes(hall: None, desk: Desk, clock: FrozenClock) -> None:
    desk.do(engine.pause_window, window_number=2, reason="会议")
    clock.advance(minutes=20)

    assert evaluate(desk) == [("window_paused_long", "window:2", "new")]

    desk.do(engine.resume_window, window_number=2)
    assert evaluate(desk) == [("window_paused_long", "window:2", "resolved")]


def test_nine_of_ten_daily_tickets_raise_the_cap_alert_which_clears_when_the_cap_is_raised(
    hall: None, desk: Desk
) -> None:
    for _ in range(9):
        desk.issue("a")
        desk.call(1)
        desk.do(engine.no_show, ticket_id=desk.tickets()[-1].id)

    assert ("daily_cap_near", "service:a", "new") in evaluate(desk)

    desk.do(engine.update_service, service_code="a", changes={"daily_cap": 20}, actor="m1")
    assert ("daily_cap_near", "service:a", "resolved") in evaluate(desk)


def test_a_kiosk_printer_out_of_paper_raises_an_alert_until_it_is_back(hall: None, desk: Desk, store: Store) -> None:
    with store.transaction() as s:
        h = s.scalar(select(Hall))
        kiosk = Device(hall_id=h.id, kind="kiosk", name="一楼取号机1")  # type: ignore[union-attr]
        s.add(kiosk)
        s.flush()
        kiosk_id = kiosk.id
    desk.do(engine.report_printer_state, device_id=kiosk_id, state="paper_out")

    assert evaluate(desk) == [("printer_trouble", f"device:{kiosk_id}", "new")]

    desk.do(engine.report_printer_state, device_id=kiosk_id, state="online")
    assert evaluate(desk) == [("printer_trouble", f"device:{kiosk_id}", "resolved")]


def test_a_new_bad_rating_alerts_until_followed_up_and_an_overdue_case_until_closed(
    hall: None, desk: Desk, store: Store, clock: FrozenClock
) -> None:
    ticket = desk.issue("a")
    desk.call(1)
    desk.finish(ticket, outcome="done")
    with store.read_session() as s:
        leg = s.scalars(select(TicketLeg).where(TicketLeg.ticket_id == ticket.id)).one()
    desk.do(engine.rate, level=5, tags=["态度不好"], text="", channel="window_device", leg_id=leg.id,
            window_id=leg.window_id)
    with store.read_session() as s:
        case_id = s.scalar(select(EvaluationCase.id))
        assert s.scalar(select(Rating.level)) == 5

    assert evaluate(desk) == [("bad_rating", f"case:{case_id}", "new")]

    desk.do(engine.case_step, case_id=case_id, action="follow_up", note="已回访", actor="m1")
    assert evaluate(desk) == [("bad_rating", f"case:{case_id}", "resolved")]

    clock.advance(days=14)  # past five working days
    assert evaluate(desk) == [("case_overdue", f"case:{case_id}", "new")]


def test_seen_marks_a_new_alert_once_and_a_resolved_alert_stays_resolved(hall: None, desk: Desk) -> None:
    for _ in range(3):
        desk.issue("a")
    (alert,) = desk.do(engine.evaluate_alerts)

    seen = desk.do(engine.mark_alert_seen, alert_id=alert.id, actor="m1")

    assert (seen.state, seen.seen_by) == ("seen", "m1")
    desk.call(1)
    assert evaluate(desk) == [("queue_long", "service:a", "resolved")]
    assert desk.do(engine.mark_alert_seen, alert_id=alert.id, actor="m1").state == "resolved"
    assert refused(desk, "alert_not_found", engine.mark_alert_seen, alert_id=999, actor="m1")


def test_hall_alert_limits_apply_at_once_are_validated_and_audited(
    hall: None, desk: Desk, store: Store, clock: FrozenClock
) -> None:
    desk.issue("b")
    clock.advance(minutes=10)

    desk.do(engine.set_alert_limits, limits={"services": {"b": {"ticket_wait_min": 10}}}, actor="m1")

    assert open_alerts(store) == [("ticket_wait_long", "service:b")]
    assert refused(desk, "bad_limit", engine.set_alert_limits, limits={"pause_min": 0}, actor="m1")
    assert refused(desk, "service_not_found", engine.set_alert_limits,
                   limits={"services": {"zz": {"service_min": 5}}}, actor="m1")
    with store.read_session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "alert_limits.set")).all()
    assert [a.data["after"] for a in audit] == [{"services": {"b": {"ticket_wait_min": 10}}}]


def test_open_alerts_survive_a_restart_and_are_not_raised_again(
    hall: None, store: Store, clock: FrozenClock, published: Recorder
) -> None:
    first = Desk(Runtime(store, clock, published))
    for _ in range(3):
        first.issue("a")
    assert evaluate(first) == [("queue_long", "service:a", "new")]

    restarted = Desk(Runtime(store, clock, published))

    assert evaluate(restarted) == []
    assert open_alerts(store) == [("queue_long", "service:a")]
