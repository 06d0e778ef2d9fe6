"""Hall and window routes: services (public), windows, call next (200 or 204), call a number, pause, resume."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.footprint import footprint
from tests.api.steps import assert_problem
from tests.api.steps import call_next
from tests.api.steps import issue
from tests.factories import BasicHall
from tests.factories import bearer


def test_services_are_public_with_waiting_counts_and_estimated_waits(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    issue(client, hall.kiosk, "a")

    response = client.get("/api/v1/halls/t1/services")

    assert response.status_code == 200
    body = assert_conforms(client, response)
    by_code = {s["code"]: s for s in body}
    assert set(by_code) == {"a", "b"}
    assert {"code", "name", "prefix", "waiting", "estimated_wait_s"} <= by_code["a"].keys()
    assert (by_code["a"]["prefix"], by_code["a"]["waiting"], by_code["a"]["estimated_wait_s"]) == ("A", 2, 600)
    assert (by_code["b"]["waiting"], by_code["b"]["estimated_wait_s"]) == (0, 0)


def test_services_of_an_unknown_hall_are_404(client: Any, hall: BasicHall) -> None:
    response = client.get("/api/v1/halls/nope/services")

    assert_problem(client, response, 404, "hall_not_found")


def test_windows_list_number_name_services_and_state(client: Any, hall: BasicHall) -> None:
    response = client.get("/api/v1/halls/t1/windows", headers=bearer(hall.display))

    assert response.status_code == 200
    body = assert_conforms(client, response)
    assert [(w["number"], w["name"], w["services"], w["state"]) for w in body] == [
        (1, "1号窗口", ["a", "b"], "open"), (2, "2号窗口", ["b"], "open"),
    ]
    assert [w["current"] for w in body] == [None, None]


def test_windows_list_shows_the_ticket_at_the_window(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    call_next(client, hall.staff1, 1)

    body = client.get("/api/v1/halls/t1/windows", headers=bearer(hall.staff2)).get_json()

    assert body[0]["current"]["number"] == "A001"
    assert body[0]["current"]["status"] == "called"


def test_call_next_returns_the_called_ticket(client: Any, hall: BasicHall) -> None:
    issued = issue(client, hall.kiosk, "a")

    response = call_next(client, hall.staff1, 1)

    assert response.status_code == 200
    body = assert_conforms(client, response)
    ticket = body["ticket"]
    assert (ticket["id"], ticket["number"], ticket["status"]) == (issued["id"], "A001", "called")
    assert (ticket["window"], ticket["window_name"], ticket["call_count"]) == (1, "1号窗口", 1)
    assert "track_token" not in ticket


def test_call_next_with_nobody_waiting_is_204_and_writes_nothing(
    client: Any, store: Store, hall: BasicHall
) -> None:
    before = footprint(store)

    response = call_next(client, hall.staff1, 1)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert_conforms(client, response)
    assert footprint(store) == before


def test_manager_may_call_for_any_window_of_the_hall(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "b")

    response = call_next(client, hall.manager, 2)

    assert response.status_code == 200
    assert response.get_json()["ticket"]["window"] == 2


def test_call_next_for_an_unknown_window_is_404(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    before = footprint(store)

    response = call_next(client, hall.manager, 99)

    assert_problem(client, response, 404, "window_not_found")
    assert footprint(store) == before


def test_call_next_while_a_ticket_is_at_the_window_is_409_window_busy(
    client: Any, store: Store, hall: BasicHall
) -> None:
    issue(client, hall.kiosk, "a")
    issue(client, hall.kiosk, "a")
    call_next(client, hall.staff1, 1)
    before = footprint(store)

    response = call_next(client, hall.staff1, 1)

    assert_problem(client, response, 409, "window_busy")
    assert footprint(store) == before


def test_call_a_specific_number_out_of_order_is_audited(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    issue(client, hall.kiosk, "a")

    response = client.post("/api/v1/halls/t1/windows/1/call", json={"ticket_no": "A002", "reason": "预约优先"},
                           headers=bearer(hall.staff1))

    assert response.status_code == 200
    assert assert_conforms(client, response)["ticket"]["number"] == "A002"
    with store.read_session() as s:
        audit = s.scalars(select(AuditEntry)).all()
    assert [(a.action, a.target, a.actor, a.data["reason"]) for a in audit] == [
        ("ticket.call_specific", "A002", "u1", "预约优先"),
    ]


def test_call_a_number_that_is_not_a_ticket_number_is_422(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post("/api/v1/halls/t1/windows/1/call", json={"ticket_no": "??", "reason": "x"},
                           headers=bearer(hall.staff1))

    assert_problem(client, response, 422, "bad_ticket_no")
    assert footprint(store) == before


def test_call_a_number_nobody_holds_is_404(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post("/api/v1/halls/t1/windows/1/call", json={"ticket_no": "A009", "reason": "x"},
                           headers=bearer(hall.staff1))

    assert_problem(client, response, 404, "ticket_not_found")
    assert footprint(store) == before


def test_call_a_number_without_a_reason_is_422_naming_the_field(
    client: Any, store: Store, hall: BasicHall
) -> None:
    before = footprint(store)

    response = client.post("/api/v1/halls/t1/windows/1/call", json={"ticket_no": "A001"},
                           headers=bearer(hall.staff1))

    body = assert_problem(client, response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["reason"]
    assert footprint(store) == before


def test_pause_with_a_reason_then_resume(client: Any, hall: BasicHall) -> None:
    paused = client.post("/api/v1/halls/t1/windows/1/pause", json={"reason": "午休"}, headers=bearer(hall.staff1))
    after_pause = client.get("/api/v1/halls/t1/windows", headers=bearer(hall.display)).get_json()
    resumed = client.post("/api/v1/halls/t1/windows/1/resume", headers=bearer(hall.staff1))

    assert paused.status_code == 200
    assert assert_conforms(client, paused)["state"] == "paused"
    assert (after_pause[0]["state"], after_pause[0]["reason"]) == ("paused", "午休")
    assert resumed.status_code == 200
    assert assert_conforms(client, resumed)["state"] == "open"


def test_pause_without_a_body_is_allowed(client: Any, hall: BasicHall) -> None:
    response = client.post("/api/v1/halls/t1/windows/1/pause", headers=bearer(hall.staff1))

    assert response.status_code == 200
    assert response.get_json()["state"] == "paused"


def test_paused_window_cannot_call_409_window_not_open(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    client.post("/api/v1/halls/t1/windows/1/pause", json={"reason": "会议"}, headers=bearer(hall.staff1))
    before = footprint(store)

    response = call_next(client, hall.staff1, 1)

    assert_problem(client, response, 409, "window_not_open")
    assert footprint(store) == before


def test_pause_reason_longer_than_128_characters_is_422(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post("/api/v1/halls/t1/windows/1/pause", json={"reason": "长" * 129},
                           headers=bearer(hall.staff1))

    assert_problem(client, response, 422, "invalid_request")
    assert footprint(store) == before
