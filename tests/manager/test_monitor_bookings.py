"""网上预约 and 线上取号 on the manager monitor's read model: per service, today's bookings by what became of them
(still to check in, checked in, 爽约, cancelled) and the remote tickets whose citizen is still on the way, and the
latest booking activity with the masked person only. SQLite and PostgreSQL; the clock stands at Monday
2026-03-02 09:00 in Shanghai."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.clock import FrozenClock
from queue_server.engine.oversight.housekeeping import housekeep
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

PLAN = {"days": {str(d): [{"start": "09:00", "end": "17:00", "minutes": 30, "capacity": 3}] for d in range(1, 6)},
        "horizon_days": 3, "cutoff_min": 0}
PHONES = ("13800138000", "13800138001", "13800138002", "13800138003")


@pytest.fixture
def hall(client: Any, store: Store, clock: FrozenClock) -> BasicHall:
    h = basic_hall(store, clock)
    assert client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager)).status_code == 200
    return h


def _book(client: Any, slot: str, phone: str) -> dict[str, Any]:
    response = client.post("/api/v1/halls/t1/appointments", json={"service": "a", "slot_start": slot, "phone": phone})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def _monitor(client: Any, hall: BasicHall) -> dict[str, Any]:
    response = client.get("/api/v1/halls/t1/monitor", headers=bearer(hall.manager))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


def _service(view: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for s in view["services"] if s["code"] == code)


def test_todays_bookings_are_counted_by_what_became_of_them(client: Any, hall: BasicHall, clock: FrozenClock,
                                                            runtime: Runtime) -> None:
    early = _book(client, "2026-03-02T09:30:00+08:00", PHONES[0])
    missed = _book(client, "2026-03-02T09:30:00+08:00", PHONES[1])
    cancelled = _book(client, "2026-03-02T11:00:00+08:00", PHONES[2])
    _book(client, "2026-03-02T11:00:00+08:00", PHONES[3])
    _book(client, "2026-03-03T10:00:00+08:00", PHONES[0])  # tomorrow's: not today's figure
    assert client.post(f"/api/v1/appointments/{cancelled['manage_token']}/cancel").status_code == 200
    checked_in = client.post("/api/v1/halls/t1/tickets", json={"service": "a", "appointment_code": early["code"]},
                             headers=bearer(hall.kiosk))
    assert checked_in.status_code == 201, checked_in.get_data(as_text=True)
    clock.advance(minutes=61)  # 10:01: the 09:30 slot is over
    runtime.execute(housekeep, hall="t1")

    view = _monitor(client, hall)

    assert _service(view, "a")["bookings"] == {"booked": 1, "checked_in": 1, "no_show": 1, "cancelled": 1}
    assert _service(view, "b")["bookings"] == {"booked": 0, "checked_in": 0, "no_show": 0, "cancelled": 0}
    activity = [(a["type"], a["slot_start"][11:16], a["person_masked"]) for a in view["bookings"]]
    assert activity[:3] == [("appointment.missed", "01:30", "138****8001"),
                            ("appointment.checked_in", "01:30", "138****8000"),
                            ("appointment.cancelled", "03:00", "138****8002")]
    assert [a["type"] for a in view["bookings"]].count("appointment.booked") == 5
    assert missed["code"] not in str(view) and missed["manage_token"] not in str(view)
    assert all(a["service_name"] == "事项a" and a["person_masked"] != PHONES[0] for a in view["bookings"])


def test_remote_tickets_on_their_way_are_counted_apart_from_the_queue(client: Any, hall: BasicHall,
                                                                      clock: FrozenClock) -> None:
    assert client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(hall.kiosk)).status_code == 201
    clock.advance(minutes=5)
    far = client.post("/api/v1/halls/t1/remote-tickets", json={"service": "a", "phone": PHONES[0]})
    assert far.status_code == 201, far.get_data(as_text=True)
    clock.advance(minutes=5)

    a = _service(_monitor(client, hall), "a")
    assert (a["waiting"], a["not_arrived"], a["longest_wait_s"]) == (1, 1, 600)

    code = client.get("/api/v1/halls/t1/entrance-code", headers=bearer(hall.display)).get_json()["code"]
    arrived = client.post(f"/api/v1/track/{far.get_json()['track_token']}/arrive", json={"hall_code": code})
    assert arrived.status_code == 200, arrived.get_data(as_text=True)

    a = _service(_monitor(client, hall), "a")
    assert (a["waiting"], a["not_arrived"], a["longest_wait_s"]) == (2, 0, 600)
