"""线上取号 over the API: the fixed contract (remote-tickets → 201 as a kiosk ticket with channel mobile and
arrived false; track/{token}/arrive with today's entrance code → 200 arrived true), the kiosk's limits and hours,
clear Chinese refusals, a kiosk's confirmation, the entrance code's readers, and ticket.arrived in the OpenAPI
document. SQLite and PostgreSQL (the `client` fixture runs both)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.engine.oversight.housekeeping import housekeep
from queue_server.storage.models import Ticket
from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.steps import assert_problem
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

PHONE = "13800138000"
ID_A = "110101199003074514"


@pytest.fixture
def hall(store: Store, clock: FrozenClock) -> BasicHall:
    return basic_hall(store, clock)


def take(client: Any, **person: str) -> Any:
    return client.post("/api/v1/halls/t1/remote-tickets", json={"service": "a", **(person or {"phone": PHONE})})


def entrance(client: Any, token: str) -> str:
    response = client.get("/api/v1/halls/t1/entrance-code", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_conforms(client, response)
    return str(response.get_json()["code"])


def test_a_remote_ticket_answers_the_contract(client: Any, hall: BasicHall, store: Store) -> None:
    kiosk = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk)).get_json()
    response = take(client)

    assert response.status_code == 201, response.get_data(as_text=True)
    ticket = assert_conforms(client, response)
    assert set(ticket) == set(kiosk)  # the same shape as a kiosk ticket
    assert (ticket["channel"], ticket["arrived"], ticket["status"], ticket["ahead"]) == ("mobile", False, "waiting", 1)
    assert kiosk["arrived"] is True
    assert ticket["track_url"].endswith(f"/t/{ticket['track_token']}")
    with store.read_session() as s:
        row = s.scalar(select(Ticket).where(Ticket.id == ticket["id"]))
        assert row is not None and (row.channel, row.remote, row.arrived_at) == ("mobile", True, None)
        assert row.person_masked == "138****8000" and PHONE not in str(row.person_hash)


def test_arrival_with_todays_code_makes_it_callable(client: Any, hall: BasicHall, published: Any) -> None:
    ticket = take(client).get_json()
    staff = bearer(hall.staff1)
    assert client.post("/api/v1/halls/t1/windows/1/call-next", headers=staff).status_code == 204

    response = client.post(f"/api/v1/track/{ticket['track_token']}/arrive",
                           json={"hall_code": entrance(client, hall.display)})

    assert response.status_code == 200, response.get_data(as_text=True)
    tracked = assert_conforms(client, response)
    assert (tracked["arrived"], tracked["remote"], tracked["status"]) == (True, True, "waiting")
    event = next(e for e in published.envelopes if e.type == "ticket.arrived")
    assert event.data["ticket"]["number"] == ticket["number"] and ticket["track_token"] not in str(event.data)
    called = client.post("/api/v1/halls/t1/windows/1/call-next", headers=staff).get_json()
    assert called["ticket"]["number"] == ticket["number"]


def test_a_wrong_entrance_code_is_refused_in_chinese(client: Any, hall: BasicHall) -> None:
    token = take(client).get_json()["track_token"]
    right = entrance(client, hall.manager)
    wrong = "000000" if right != "000000" else "111111"

    body = assert_problem(client, client.post(f"/api/v1/track/{token}/arrive", json={"hall_code": wrong}),
                          422, "entrance_code_wrong")
    assert body["title"] == "进厅码不正确" and "今天的进厅码" in body["detail"]
    assert client.get(f"/api/v1/track/{token}").get_json()["arrived"] is False


def test_outside_opening_hours_it_is_refused_as_at_the_kiosk(client: Any, store: Store, clock: FrozenClock) -> None:
    basic_hall(store, clock, hours={str(d): [] for d in range(1, 8)})
    assert_problem(client, take(client), 409, "hall_closed")


def test_one_open_remote_ticket_per_person_and_a_number_is_required(client: Any, hall: BasicHall) -> None:
    assert take(client, id_number=ID_A).status_code == 201
    assert_problem(client, take(client, id_number=ID_A), 409, "person_limit_reached")
    assert_problem(client, client.post("/api/v1/halls/t1/remote-tickets", json={"service": "a"}),
                   422, "person_required")
    assert_problem(client, take(client, phone="12345"), 422, "bad_person_id")


def test_a_kiosk_confirms_arrival_by_the_phones_qr(client: Any, hall: BasicHall) -> None:
    token = take(client).get_json()["track_token"]

    assert_problem(client, client.post("/api/v1/halls/t1/arrivals", json={"track_token": token}), 401,
                   "login_required")
    assert client.post("/api/v1/halls/t1/arrivals", json={"track_token": token},
                       headers=bearer(hall.other_manager)).status_code == 403
    response = client.post("/api/v1/halls/t1/arrivals", json={"track_token": token}, headers=bearer(hall.kiosk))

    assert response.status_code == 200 and assert_conforms(client, response)["arrived"] is True


def test_the_entrance_code_is_for_the_halls_devices_and_managers(client: Any, hall: BasicHall) -> None:
    assert client.get("/api/v1/halls/t1/entrance-code").status_code == 401
    assert client.get("/api/v1/halls/t1/entrance-code", headers=bearer(hall.staff1)).status_code == 403
    code = entrance(client, hall.kiosk)
    assert len(code) == 6 and code == entrance(client, hall.display)
    url = client.get("/api/v1/halls/t1/entrance-code", headers=bearer(hall.display)).get_json()["url"]
    assert url.endswith(f"/arrive/t1?code={code}")


def test_a_held_ticket_expires_and_the_phone_says_so(client: Any, app: Any, hall: BasicHall,
                                                     clock: FrozenClock) -> None:
    token = take(client).get_json()["track_token"]
    runtime = app.extensions["hallq"].runtime
    runtime.execute(housekeep, hall="t1")
    held = client.get(f"/api/v1/track/{token}").get_json()
    assert held["held"] is True and held["hold_until_local"] and held["walk_ahead"] == 5

    clock.advance(minutes=10)
    runtime.execute(housekeep, hall="t1")
    gone = client.get(f"/api/v1/track/{token}").get_json()
    assert (gone["status"], gone["held"]) == ("expired", False)
    assert_problem(client, client.post(f"/api/v1/track/{token}/arrive", json={"hall_code": "123456"}),
                   409, "invalid_transition")


def test_ticket_arrived_is_in_the_openapi_document(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/halls/{hall}/remote-tickets" in doc["paths"] or "/halls/{hall}/remote-tickets" in str(doc)
    assert "ticket.arrived" in str(doc)


def test_the_grace_time_and_set_off_distance_are_hall_settings(client: Any, hall: BasicHall) -> None:
    manager = bearer(hall.manager)
    response = client.patch("/api/v1/halls/t1/settings", json={"remote_grace_min": 30, "remote_walk_ahead": 2},
                            headers=manager)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["remote_grace_min"], response.get_json()["remote_walk_ahead"]) == (30, 2)
    assert_problem(client, client.patch("/api/v1/halls/t1/settings", json={"remote_grace_min": 0},
                                        headers=manager), 422, "setting_out_of_range")
    token = take(client).get_json()["track_token"]
    assert client.get(f"/api/v1/track/{token}").get_json()["walk_ahead"] == 2


def test_the_clerks_console_counts_who_has_not_arrived(client: Any, hall: BasicHall) -> None:
    take(client)
    client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk))

    response = client.get("/api/v1/halls/t1/windows/1/console", headers=bearer(hall.staff1))
    assert response.status_code == 200, response.get_data(as_text=True)
    queue = next(q for q in response.get_json()["queues"] if q["service"] == "a")

    assert (queue["waiting"], queue["not_arrived"]) == (2, 1)
