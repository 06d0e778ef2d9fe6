"""A citizen's ticket by track token (public; status, people ahead, estimated wait; self-cancel) and the events
replay over HTTP."""

from __future__ import annotations

from typing import Any

from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.footprint import footprint
from tests.api.steps import assert_problem
from tests.api.steps import called
from tests.api.steps import issue
from tests.factories import BasicHall
from tests.factories import bearer


def test_track_shows_status_people_ahead_and_wait_without_a_login(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    mine = issue(client, hall.kiosk)

    response = client.get(f"/api/v1/track/{mine['track_token']}")

    assert response.status_code == 200
    body = assert_conforms(client, response)
    assert (body["number"], body["status"], body["ahead"], body["estimated_wait_s"]) == ("A002", "waiting", 1, 300)
    assert (body["hall"], body["window"]) == ("t1", None)
    assert "id" not in body


def test_track_follows_the_ticket_to_its_window(client: Any, hall: BasicHall) -> None:
    mine = issue(client, hall.kiosk)
    called(client, hall.staff1)

    body = client.get(f"/api/v1/track/{mine['track_token']}").get_json()

    assert (body["status"], body["window"], body["window_name"], body["ahead"]) == ("called", 1, "1号窗口", 0)


def test_unknown_track_token_is_404_ticket_not_found(client: Any, hall: BasicHall) -> None:
    response = client.get("/api/v1/track/not-a-real-token")

    assert_problem(client, response, 404, "ticket_not_found")


def test_citizen_cancels_their_own_waiting_ticket(client: Any, hall: BasicHall) -> None:
    mine = issue(client, hall.kiosk)

    response = client.post(f"/api/v1/track/{mine['track_token']}/cancel")

    assert response.status_code == 200
    assert assert_conforms(client, response)["status"] == "cancelled"
    assert client.get(f"/api/v1/track/{mine['track_token']}").get_json()["status"] == "cancelled"


def test_citizen_cannot_cancel_once_called_409(client: Any, store: Store, hall: BasicHall) -> None:
    mine = issue(client, hall.kiosk)
    called(client, hall.staff1)
    before = footprint(store)

    response = client.post(f"/api/v1/track/{mine['track_token']}/cancel")

    assert_problem(client, response, 409, "invalid_transition")
    assert footprint(store) == before


def test_cancel_with_an_unknown_track_token_is_404_and_writes_nothing(
    client: Any, store: Store, hall: BasicHall
) -> None:
    issue(client, hall.kiosk)
    before = footprint(store)

    response = client.post("/api/v1/track/not-a-real-token/cancel")

    assert_problem(client, response, 404, "ticket_not_found")
    assert footprint(store) == before


def test_events_replay_in_seq_order_after_a_given_seq(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)
    called(client, hall.staff1)

    everything = client.get("/api/v1/halls/t1/events", headers=bearer(hall.display))
    later = client.get("/api/v1/halls/t1/events?after=2", headers=bearer(hall.display))

    assert everything.status_code == 200
    body = assert_conforms(client, everything)
    assert [(e["seq"], e["type"]) for e in body] == [
        (1, "ticket.issued"), (2, "queue.stats"), (3, "ticket.called"), (4, "queue.stats"),
    ]
    assert all(e["hall"] == "t1" for e in body)
    assert [e["seq"] for e in assert_conforms(client, later)] == [3, 4]


def test_events_with_a_bad_after_is_422_naming_the_field(client: Any, hall: BasicHall) -> None:
    for bad in ("-1", "abc", "²", str(2**63)):
        response = client.get(f"/api/v1/halls/t1/events?after={bad}", headers=bearer(hall.display))

        body = assert_problem(client, response, 422, "invalid_request")
        assert [e["field"] for e in body["errors"]] == ["after"]
