"""POST /api/v1/tickets/{id}/<verb>: recall, no-show, reactivate, start, finish, park, resume, transfer, cancel."""

from __future__ import annotations

from typing import Any

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.footprint import footprint
from tests.api.steps import act
from tests.api.steps import assert_problem
from tests.api.steps import call_next
from tests.api.steps import called
from tests.api.steps import issue
from tests.factories import BasicHall


def _ok(client: Any, response: Any, status: str) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    ticket: dict[str, Any] = assert_conforms(client, response)["ticket"]
    assert ticket["status"] == status
    return ticket


def test_recall_announces_again_and_counts_the_calls(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)

    recalled = _ok(client, act(client, hall.staff1, ticket["id"], "recall"), "called")

    assert recalled["call_count"] == 2


def test_recall_past_the_limit_is_409_recall_limit_reached(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)
    for _ in range(3):  # the hall's default limit: three repeats after the first call
        assert act(client, hall.staff1, ticket["id"], "recall").status_code == 200
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "recall")

    assert_problem(client, response, 409, "recall_limit_reached")
    assert footprint(store) == before


def test_finish_is_accepted_straight_from_called(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)

    _ok(client, act(client, hall.staff1, ticket["id"], "finish"), "finished")


def test_start_then_finish_with_an_outcome_and_case_number(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)

    _ok(client, act(client, hall.staff1, ticket["id"], "start"), "serving")
    _ok(client, act(client, hall.staff1, ticket["id"], "finish", {"outcome": "consult", "case_no": "BJ-2026-1"}),
        "finished")


def test_finish_with_an_unknown_outcome_is_422(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "finish", {"outcome": "lost"})

    body = assert_problem(client, response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["outcome"]
    assert footprint(store) == before


def test_finishing_a_waiting_ticket_is_409_invalid_transition(client: Any, store: Store, hall: BasicHall) -> None:
    waiting = issue(client, hall.kiosk)
    before = footprint(store)

    response = act(client, hall.manager, waiting["id"], "finish")

    body = assert_problem(client, response, 409, "invalid_transition")
    assert (body["ticket_no"], body["current_status"], body["status"]) == ("A001", "waiting", 409)
    assert footprint(store) == before


def test_no_show_then_reactivate_puts_the_ticket_back_in_the_queue(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)

    _ok(client, act(client, hall.staff1, ticket["id"], "no-show"), "no_show")
    _ok(client, act(client, hall.staff1, ticket["id"], "reactivate"), "waiting")
    again = called(client, hall.staff1)

    assert again["id"] == ticket["id"]


def test_reactivate_after_the_tolerance_is_409_reactivation_expired(
    client: Any, store: Store, clock: FrozenClock, hall: BasicHall
) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)
    act(client, hall.staff1, ticket["id"], "no-show")
    clock.advance(minutes=31)  # the hall's default tolerance is 30 minutes
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "reactivate")

    assert_problem(client, response, 409, "reactivation_expired")
    assert footprint(store) == before


def test_park_and_resume_by_hand(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)

    _ok(client, act(client, hall.staff1, ticket["id"], "park", {"minutes": 15}), "parked")
    _ok(client, act(client, hall.staff1, ticket["id"], "resume"), "waiting")


def test_a_parked_ticket_comes_back_to_its_window_after_its_minutes(
    client: Any, clock: FrozenClock, hall: BasicHall
) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)
    act(client, hall.staff1, ticket["id"], "park", {"minutes": 10})

    assert call_next(client, hall.staff1).status_code == 204
    clock.advance(minutes=10)
    again = called(client, hall.staff1)

    assert (again["id"], again["number"]) == (ticket["id"], "A001")


def test_park_for_longer_than_a_working_day_is_422(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    ticket = called(client, hall.staff1)
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "park", {"minutes": 481})

    assert_problem(client, response, 422, "invalid_request")
    assert footprint(store) == before


def test_transfer_keeps_the_number_and_queues_for_the_other_service(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)

    moved = _ok(client, act(client, hall.staff1, ticket["id"], "transfer", {"service": "b"}), "waiting")
    at_window_2 = called(client, hall.staff2, 2)

    assert (moved["number"], moved["service"], moved["window"]) == ("A001", "b", None)
    assert (at_window_2["id"], at_window_2["number"]) == (ticket["id"], "A001")


def test_transfer_to_a_window_sends_the_ticket_there_and_only_there(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)

    moved = _ok(client, act(client, hall.staff1, ticket["id"], "transfer", {"window": 2}), "waiting")
    at_window_2 = called(client, hall.staff2, 2)

    assert (moved["number"], moved["service"]) == ("A001", "a")
    assert (at_window_2["id"], at_window_2["window"]) == (ticket["id"], 2)


def test_transfer_without_a_target_is_422_transfer_target_missing(
    client: Any, store: Store, hall: BasicHall
) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "transfer", {})

    assert_problem(client, response, 422, "transfer_target_missing")
    assert footprint(store) == before


def test_transfer_without_a_body_is_400(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "transfer")

    assert_problem(client, response, 400, "bad_request")
    assert footprint(store) == before


def test_transfer_to_an_unknown_service_is_404(client: Any, store: Store, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)
    before = footprint(store)

    response = act(client, hall.staff1, ticket["id"], "transfer", {"service": "zz"})

    assert_problem(client, response, 404, "service_not_found")
    assert footprint(store) == before


def test_staff_cancel_the_ticket_at_their_window(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)

    _ok(client, act(client, hall.staff1, ticket["id"], "cancel"), "cancelled")

    assert call_next(client, hall.staff1).status_code == 204


def test_action_on_an_unknown_ticket_is_404_ticket_not_found(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = act(client, hall.staff1, 4242, "finish")

    assert_problem(client, response, 404, "ticket_not_found")
    assert footprint(store) == before


def test_action_on_a_ticket_id_beyond_any_row_is_404_not_a_crash(client: Any, hall: BasicHall) -> None:
    response = act(client, hall.staff1, 2**70, "finish")

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_action_with_a_malformed_body_is_400_and_leaves_the_ticket_alone(
    client: Any, store: Store, hall: BasicHall
) -> None:
    issue(client, hall.kiosk, "a")
    ticket = called(client, hall.staff1)
    before = footprint(store)

    response = client.post(f"/api/v1/tickets/{ticket['id']}/finish", data="{", content_type="application/json",
                           headers={"Authorization": f"Bearer {hall.staff1}"})

    assert_problem(client, response, 400, "bad_request")
    assert footprint(store) == before
