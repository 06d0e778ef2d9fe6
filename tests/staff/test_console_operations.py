"""Every console operation through the console's own endpoints (session cookie + CSRF), and its limits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Service
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.staff.console_client import Console


def issue(client: Any, hall: BasicHall, service: str, **extra: Any) -> dict[str, Any]:
    resp = client.post("/api/v1/halls/t1/tickets", json={"service": service, **extra}, headers=bearer(hall.kiosk))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def test_clerk_calls_recalls_starts_and_finishes_with_a_case_number(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)

    called = console.window_op("call-next").get_json()["ticket"]
    ticket_id = called["id"]
    recalled = console.ticket_op(ticket_id, "recall")
    before_start = console.state().get_json()["current"]
    console.ticket_op(ticket_id, "start")
    clock.advance(minutes=4)
    finished = console.ticket_op(ticket_id, "finish", {"outcome": "done", "case_no": "BJ2026-001"})
    after = console.state().get_json()

    assert called["number"] == "A001" and recalled.status_code == 200
    assert before_start["call_count"] == 2 and before_start["recalls_left"] == 2
    assert finished.get_json()["ticket"]["status"] == "finished"
    assert after["current"] is None
    assert after["today"] == {"served": 1, "average_service_s": 240}


def test_clerk_marks_no_show_parks_returns_and_transfers(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    for _ in range(3):
        issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)

    first = console.window_op("call-next").get_json()["ticket"]["id"]
    no_show = console.ticket_op(first, "no-show").get_json()["ticket"]["status"]
    second = console.window_op("call-next").get_json()["ticket"]["id"]
    parked = console.ticket_op(second, "park", {"minutes": 10}).get_json()["ticket"]["status"]
    parked_list = console.state().get_json()["parked"]
    returned = console.ticket_op(second, "resume").get_json()["ticket"]["status"]
    third = console.window_op("call-next").get_json()["ticket"]
    moved = console.ticket_op(third["id"], "transfer", {"service": "b"}).get_json()["ticket"]
    queues = {q["service"]: q["waiting"] for q in console.state().get_json()["queues"]}

    assert (no_show, parked, returned) == ("no_show", "parked", "waiting")
    assert [p["id"] for p in parked_list] == [second]
    assert moved["service"] == "b" and moved["status"] == "waiting"
    assert queues["b"] == 1


def test_clerk_pauses_with_a_reason_and_resumes(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = Console(client)
    console.login("u1", 1)

    paused = console.window_op("pause", {"reason": "系统维护"}).get_json()
    refused = console.window_op("call-next")
    resumed = console.window_op("resume").get_json()

    assert paused["state"] == "paused" and paused["reason"] == "系统维护"
    assert refused.status_code == 409 and refused.get_json()["title"] == "窗口未开放"
    assert resumed["state"] == "open"


def test_call_specific_number_is_audited_with_the_reason(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)

    resp = console.window_op("call", {"ticket_no": "A002", "reason": "预约优先"})

    assert resp.get_json()["ticket"]["number"] == "A002"
    with store.read_session() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "ticket.call_specific"))
    assert entry is not None and entry.actor == "u1" and entry.data["reason"] == "预约优先"


def test_empty_queue_answers_no_content(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = Console(client)
    console.login("u1", 1)

    assert console.window_op("call-next").status_code == 204


def test_errors_reach_the_console_as_chinese_problem_titles(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)
    console.window_op("call-next")

    busy = console.window_op("call-next")

    assert busy.status_code == 409 and busy.mimetype == "application/problem+json"
    assert busy.get_json()["title"] == "窗口还有未办结的号票" and "A001" in busy.get_json()["detail"]


def test_console_request_without_csrf_header_is_refused_and_changes_nothing(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)

    refused = console.post("/halls/t1/windows/1/call-next", csrf=False)
    wrong = client.post("/api/v1/halls/t1/windows/1/call-next", headers={"X-CSRF-Token": "forged"})

    assert refused.status_code == 403 and refused.get_json()["code"] == "csrf_failed"
    assert wrong.status_code == 403
    assert console.state().get_json()["queues"][0]["waiting"] == 1


def test_clerk_cannot_act_for_or_look_at_another_window(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "b")
    console = Console(client)
    console.login("u1", 1)

    call = console.window_op("call-next", window=2)
    pause = console.window_op("pause", {"reason": "x"}, window=2)
    look = console.state(window=2)

    assert call.status_code == 403 and call.get_json()["code"] == "window_not_assigned"
    assert pause.status_code == 403 and look.status_code == 403


def test_clerk_cannot_act_on_a_ticket_called_at_another_window(
    store: Store, clock: FrozenClock, app: Any
) -> None:
    hall = basic_hall(store, clock)
    issue(app.test_client(), hall, "b")
    other = Console(app.test_client())
    other.login("u2", 2)
    ticket_id = other.window_op("call-next").get_json()["ticket"]["id"]
    console = Console(app.test_client())
    console.login("u1", 1)

    resp = console.ticket_op(ticket_id, "finish", {"outcome": "done"})

    assert resp.status_code == 403 and resp.get_json()["code"] == "window_not_assigned"


def test_clerk_cannot_submit_a_rating(store: Store, clock: FrozenClock, client: Any) -> None:
    basic_hall(store, clock)
    console = Console(client)
    console.login("u1", 1)

    resp = console.post("/rating", {"level": 1})

    assert resp.status_code == 403 and resp.get_json()["code"] == "role_required"


def test_console_shows_the_citizen_id_only_masked(store: Store, clock: FrozenClock, client: Any) -> None:
    hall = basic_hall(store, clock)
    with store.transaction() as s:
        s.scalar(select(Service).where(Service.code == "a")).person_limit = 2  # type: ignore[union-attr]
    issue(client, hall, "a", id_number="53230119800101002X")
    console = Console(client)
    console.login("u1", 1)

    called = console.window_op("call-next").get_data(as_text=True)
    state = console.state().get_data(as_text=True)

    assert "53230119800101002X" not in called and "53230119800101002X" not in state
    assert console.state().get_json()["current"]["person"].count("*") >= 8


def test_pressing_start_twice_answers_a_conflict_not_a_server_error(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    console = Console(client)
    console.login("u1", 1)
    ticket_id = console.window_op("call-next").get_json()["ticket"]["id"]
    console.ticket_op(ticket_id, "start")

    again = console.ticket_op(ticket_id, "start")

    assert again.status_code == 409 and again.get_json()["code"] == "invalid_transition"
    assert again.get_json()["status"] == 409 and "A001" in again.get_json()["detail"]


def test_the_next_window_reads_the_tickets_transfer_history_in_chinese(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    hall = basic_hall(store, clock)
    issue(client, hall, "a")
    first, second = Console(client), Console(client.application.test_client())
    first.login("u1", 1)
    second.login("u2", 2)
    ticket = first.window_op("call-next").get_json()["ticket"]["id"]
    first.ticket_op(ticket, "transfer", {"service": "b", "window": 2})
    with store.read_session() as s:
        b_name = s.scalar(select(Service.name).where(Service.code == "b"))

    second.window_op("call-next", window=2)
    notes = second.state(window=2).get_json()["current"]["notes"]

    assert notes == [f"转移 transferred → {b_name}（2号窗口）"]
