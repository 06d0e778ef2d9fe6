"""预约签到 from the booking's own page: once in the hall the citizen types today's entrance code and gets the
kiosk's ticket, queued at the slot time; a wrong code, an early hour, a cancelled or already checked-in booking
are refused as the kiosk refuses them. SQLite and PostgreSQL (the `client` fixture runs both).

The clock stands at Monday 2026-03-02 09:00 in Shanghai; the booking is Tuesday 10:00.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.api.steps import assert_problem
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

PLAN = {"days": {str(d): [{"start": "09:00", "end": "12:00", "minutes": 30, "capacity": 2}] for d in range(1, 6)},
        "horizon_days": 3, "cutoff_min": 60}
TUESDAY_10 = "2026-03-03T10:00:00+08:00"
ID_A = "110101199003074514"


@pytest.fixture
def hall(client: Any, store: Store, clock: FrozenClock) -> BasicHall:
    h = basic_hall(store, clock)
    assert client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager)).status_code == 200
    return h


@pytest.fixture
def token(client: Any, hall: BasicHall) -> str:
    booked = client.post("/api/v1/halls/t1/appointments",
                         json={"service": "a", "slot_start": TUESDAY_10, "id_number": ID_A})
    assert booked.status_code == 201, booked.get_data(as_text=True)
    return str(booked.get_json()["manage_token"])


def entrance(client: Any, hall: BasicHall) -> str:
    return str(client.get("/api/v1/halls/t1/entrance-code", headers=bearer(hall.display)).get_json()["code"])


def check_in(client: Any, token: str, code: str) -> Any:
    return client.post(f"/api/v1/appointments/{token}/check-in", json={"hall_code": code})


def test_the_right_code_gives_the_kiosks_ticket_queued_at_the_slot(client: Any, hall: BasicHall, token: str,
                                                                    clock: FrozenClock, published: Any) -> None:
    clock.advance(hours=24, minutes=30)  # Tuesday 09:30, within the hour before the slot

    issued = check_in(client, token, entrance(client, hall))

    assert issued.status_code == 201, issued.get_data(as_text=True)
    ticket = issued.get_json()
    assert ticket["channel"] == "appointment" and ticket["service"] == "a" and ticket["arrived"]
    assert ticket["track_url"].endswith(f"/t/{ticket['track_token']}")
    assert datetime.fromisoformat(ticket["queued_at"]) == datetime.fromisoformat(TUESDAY_10)
    assert {"appointment.checked_in", "ticket.issued"} <= set(published.types())
    assert client.get(f"/api/v1/appointments/{token}").get_json()["status"] == "checked_in"
    track = client.get(f"/api/v1/track/{ticket['track_token']}")
    assert track.status_code == 200 and track.get_json()["number"] == ticket["number"]


def test_a_wrong_code_is_refused_and_the_booking_stays_booked(client: Any, hall: BasicHall, token: str,
                                                             clock: FrozenClock) -> None:
    clock.advance(hours=24, minutes=30)
    right = entrance(client, hall)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    assert_problem(client, check_in(client, token, wrong), 422, "entrance_code_wrong")
    assert client.get(f"/api/v1/appointments/{token}").get_json()["status"] == "booked"


def test_yesterdays_code_does_not_check_in_today(client: Any, hall: BasicHall, token: str,
                                                  clock: FrozenClock) -> None:
    mondays = entrance(client, hall)
    clock.advance(hours=24, minutes=30)

    assert mondays != entrance(client, hall)
    assert_problem(client, check_in(client, token, mondays), 422, "entrance_code_wrong")


def test_more_than_an_hour_early_is_refused_as_at_the_kiosk(client: Any, hall: BasicHall, token: str,
                                                            clock: FrozenClock) -> None:
    clock.advance(hours=23, minutes=30)  # Tuesday 08:30: the slot is 90 minutes away

    body = assert_problem(client, check_in(client, token, entrance(client, hall)), 409, "appointment_not_checkable")
    assert "2026-03-03 09:00" in body["detail"]  # when check-in opens, in the hall's time


def test_a_cancelled_booking_cannot_check_in(client: Any, hall: BasicHall, token: str, clock: FrozenClock) -> None:
    assert client.post(f"/api/v1/appointments/{token}/cancel").status_code == 200
    clock.advance(hours=24, minutes=30)

    assert_problem(client, check_in(client, token, entrance(client, hall)), 404, "appointment_not_found")


def test_checking_in_twice_gives_one_ticket(client: Any, hall: BasicHall, token: str, clock: FrozenClock) -> None:
    clock.advance(hours=24, minutes=30)
    code = entrance(client, hall)
    assert check_in(client, token, code).status_code == 201

    assert_problem(client, check_in(client, token, code), 404, "appointment_not_found")


def test_an_unknown_booking_is_404(client: Any, hall: BasicHall) -> None:
    assert_problem(client, check_in(client, "x" * 43, "123456"), 404, "booking_not_found")


# ---- the kiosk's 预约签到 by ID or mobile number ----------------------------------------------------------------

def todays(client: Any, hall: BasicHall, **person: str) -> Any:
    return client.post("/api/v1/halls/t1/appointments/today", json=person, headers=bearer(hall.kiosk))


def test_the_kiosk_finds_the_persons_booking_by_id_number_and_checks_it_in(
        client: Any, hall: BasicHall, token: str, clock: FrozenClock) -> None:
    clock.advance(hours=24, minutes=30)

    found = todays(client, hall, id_number=ID_A)

    assert found.status_code == 200, found.get_data(as_text=True)
    booking = client.get(f"/api/v1/appointments/{token}").get_json()
    assert found.get_json()["code"] == booking["code"] and found.get_json()["service"] == "a"
    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a", "appointment_code": booking["code"]},
                         headers=bearer(hall.kiosk))
    assert issued.status_code == 201 and issued.get_json()["channel"] == "appointment"
    assert_problem(client, todays(client, hall, id_number=ID_A), 404, "no_booking_today")  # checked in already


def test_of_several_bookings_today_the_first_checkable_one_is_found(client: Any, hall: BasicHall,
                                                                    clock: FrozenClock) -> None:
    codes = {}
    for service, slot in (("a", "2026-03-03T11:30:00+08:00"), ("b", "2026-03-03T09:30:00+08:00")):
        plan = client.put(f"/api/v1/halls/t1/services/{service}/booking", json=PLAN, headers=bearer(hall.manager))
        assert plan.status_code == 200
        booked = client.post("/api/v1/halls/t1/appointments",
                             json={"service": service, "slot_start": slot, "phone": "13800138000"})
        assert booked.status_code == 201, booked.get_data(as_text=True)
        codes[service] = booked.get_json()["code"]
    clock.advance(hours=24, minutes=10)  # Tuesday 09:10: b's 09:30 is open for check-in, a's 11:30 not yet

    assert todays(client, hall, phone="13800138000").get_json()["code"] == codes["b"]
    clock.advance(hours=1, minutes=30)  # 10:40: both open; b's (past its end, still booked) comes first
    assert todays(client, hall, phone="13800138000").get_json()["code"] == codes["b"]


def test_no_booking_today_or_not_yet_is_said_in_chinese(client: Any, hall: BasicHall, token: str,
                                                        clock: FrozenClock) -> None:
    body = assert_problem(client, todays(client, hall, id_number=ID_A), 404, "no_booking_today")  # it is Monday
    assert "1101**********4514" in body["detail"]
    clock.advance(hours=23, minutes=30)  # Tuesday 08:30

    body = assert_problem(client, todays(client, hall, id_number=ID_A), 409, "appointment_not_checkable")
    assert "2026-03-03 09:00" in body["detail"]
    assert_problem(client, todays(client, hall, phone="123"), 422, "bad_person_id")


def test_only_the_halls_kiosk_and_staff_look_a_person_up(client: Any, hall: BasicHall) -> None:
    url = "/api/v1/halls/t1/appointments/today"
    assert client.post(url, json={"id_number": ID_A}).status_code == 401
    assert client.post(url, json={"id_number": ID_A}, headers=bearer(hall.display)).status_code == 403
