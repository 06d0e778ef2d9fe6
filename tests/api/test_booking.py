"""网上预约 over the API: a manager's plan makes slots, a citizen books, moves and cancels one from a phone, and
checks in at the kiosk with the code; seats, cut-offs, the horizon, the hall's calendar, the per-person limits and
the daily cap hold. SQLite and PostgreSQL (the `client` fixture runs both).

The clock stands at Monday 2026-03-02 09:00 in Shanghai.
"""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.engine.oversight.housekeeping import housekeep
from queue_server.storage.models import AuditEntry
from queue_server.storage.store import Store
from tests.api.steps import assert_problem
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

PLAN = {"days": {str(d): [{"start": "09:00", "end": "12:00", "minutes": 30, "capacity": 2}] for d in range(1, 6)},
        "horizon_days": 3, "cutoff_min": 60}
TUESDAY_10 = "2026-03-03T10:00:00+08:00"
ID_A = "110101199003074514"  # valid GB 11643 check digits
ID_B = "110101199003078371"
PHONE = "13800138000"


@pytest.fixture
def hall(client: Any, store: Store, clock: FrozenClock) -> BasicHall:
    h = basic_hall(store, clock)
    assert client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager)).status_code == 200
    return h


def slots(client: Any, day: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/halls/t1/services/a/slots?date={day}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["slots"]


def book(client: Any, slot: str = TUESDAY_10, **person: str) -> Any:
    return client.post("/api/v1/halls/t1/appointments",
                       json={"service": "a", "slot_start": slot, **(person or {"id_number": ID_A})})


def test_the_plan_makes_slots_with_their_seats_in_the_halls_time(client: Any, hall: BasicHall) -> None:
    tuesday = slots(client, "2026-03-03")

    assert [s["start"] for s in tuesday][:2] == ["2026-03-03T09:00:00+08:00", "2026-03-03T09:30:00+08:00"]
    assert len(tuesday) == 6 and all(s["capacity"] == 2 and s["left"] == 2 and s["open"] for s in tuesday)
    assert slots(client, "2026-03-07") == []  # Saturday: no plan
    assert slots(client, "2026-03-09") == []  # past the 3 working days of the horizon


def test_a_booking_answers_the_contract_and_takes_a_seat(client: Any, hall: BasicHall, store: Store,
                                                         published: Any) -> None:
    response = book(client)

    assert response.status_code == 201, response.get_data(as_text=True)
    booked = response.get_json()
    assert booked["code"].isdigit() and len(booked["code"]) == 8
    assert booked["service"] == "a" and booked["slot_start"] == TUESDAY_10
    assert booked["slot_end"] == "2026-03-03T10:30:00+08:00"
    assert booked["manage_url"].endswith(f"/book/manage/{booked['manage_token']}")
    assert booked["person_masked"] == "1101**********4514"
    assert next(s for s in slots(client, "2026-03-03") if s["start"] == TUESDAY_10)["left"] == 1
    event = next(e for e in published.envelopes if e.type == "appointment.booked")
    # The live event shows the booking on the monitor, never what checks it in or cancels it.
    assert booked["code"] not in str(event.data) and booked["manage_token"] not in str(event.data)
    with store.read_session() as s:
        assert s.scalar(select(AuditEntry.action).where(AuditEntry.target == booked["code"])) == "appointment.book"


def test_a_full_slot_is_409_slot_full(client: Any, hall: BasicHall) -> None:
    assert book(client, id_number=ID_A).status_code == 201
    assert book(client, id_number=ID_B).status_code == 201

    assert_problem(client, book(client, phone=PHONE), 409, "slot_full")


def test_past_the_cut_off_or_outside_the_plan_is_409_booking_closed(client: Any, hall: BasicHall) -> None:
    today_0930 = "2026-03-02T09:30:00+08:00"  # it is 09:00: within the 60-minute cut-off
    assert not next(s for s in slots(client, "2026-03-02") if s["start"] == today_0930)["open"]

    assert_problem(client, book(client, today_0930), 409, "booking_closed")
    assert_problem(client, book(client, "2026-03-03T10:10:00+08:00"), 409, "booking_closed")  # not a slot start
    assert_problem(client, book(client, "2026-03-10T10:00:00+08:00"), 409, "booking_closed")  # past the horizon


def test_one_booking_per_person_per_service_per_day_and_a_limit_of_open_ones(
        client: Any, hall: BasicHall) -> None:
    assert book(client, TUESDAY_10).status_code == 201
    assert_problem(client, book(client, "2026-03-03T11:00:00+08:00"), 409, "person_limit_reached")

    client.patch("/api/v1/halls/t1/settings", json={"booking_open_limit": 2}, headers=bearer(hall.manager))
    assert book(client, "2026-03-04T10:00:00+08:00").status_code == 201
    body = assert_problem(client, book(client, "2026-03-05T10:00:00+08:00"), 409, "person_limit_reached")
    assert "2" in body["detail"]


def test_cancelling_returns_the_seat_and_a_cancelled_booking_stays_cancelled(client: Any, hall: BasicHall) -> None:
    token = book(client).get_json()["manage_token"]

    response = client.post(f"/api/v1/appointments/{token}/cancel")

    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert next(s for s in slots(client, "2026-03-03") if s["start"] == TUESDAY_10)["left"] == 2
    assert_problem(client, client.post(f"/api/v1/appointments/{token}/cancel"), 409, "booking_closed")
    assert_problem(client, client.post("/api/v1/appointments/no-such-token/cancel"), 404, "booking_not_found")


def test_cancelling_after_the_cut_off_is_refused(client: Any, hall: BasicHall, clock: FrozenClock) -> None:
    token = book(client).get_json()["manage_token"]
    clock.advance(hours=24, minutes=31)  # Tuesday 09:31: the 10:00 slot's cut-off was 09:00

    assert_problem(client, client.post(f"/api/v1/appointments/{token}/cancel"), 409, "booking_closed")


def test_moving_keeps_the_code_and_moves_the_seat(client: Any, hall: BasicHall) -> None:
    booked = book(client).get_json()

    moved = client.post(f"/api/v1/appointments/{booked['manage_token']}/move",
                        json={"slot_start": "2026-03-04T09:00:00+08:00"})

    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert moved.get_json()["code"] == booked["code"]
    assert moved.get_json()["slot_start"] == "2026-03-04T09:00:00+08:00"
    assert next(s for s in slots(client, "2026-03-03") if s["start"] == TUESDAY_10)["left"] == 2
    assert slots(client, "2026-03-04")[0]["left"] == 1
    page = client.get(f"/api/v1/appointments/{booked['manage_token']}").get_json()
    assert page["slot_start"] == "2026-03-04T09:00:00+08:00" and page["status"] == "booked"


def test_checking_in_at_the_kiosk_with_the_code_queues_at_the_slot(client: Any, hall: BasicHall,
                                                                   clock: FrozenClock, published: Any) -> None:
    booked = book(client).get_json()
    clock.advance(hours=24, minutes=30)  # Tuesday 09:30, within the hour before the slot

    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a", "appointment_code": booked["code"]},
                         headers=bearer(hall.kiosk))

    assert issued.status_code == 201, issued.get_data(as_text=True)
    assert issued.get_json()["channel"] == "appointment"
    assert "appointment.checked_in" in published.types()
    assert client.get(f"/api/v1/appointments/{booked['manage_token']}").get_json()["status"] == "checked_in"


def test_a_booked_seat_is_not_sold_again_to_walk_ins(client: Any, store: Store, clock: FrozenClock) -> None:
    h = basic_hall(store, clock)
    client.patch("/api/v1/halls/t1/services/a", json={"daily_cap": 2}, headers=bearer(h.manager))
    client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(h.manager))
    assert book(client, "2026-03-02T11:00:00+08:00").status_code == 201  # today: holds one of the 2

    def walk_in() -> Any:
        return client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(h.kiosk))

    assert walk_in().status_code == 201
    assert_problem(client, walk_in(), 409, "daily_quota_reached")
    # ... and a booking finds no room left under the cap either.
    assert all(s["left"] == 0 for s in slots(client, "2026-03-02"))
    assert_problem(client, book(client, "2026-03-02T11:30:00+08:00", phone=PHONE), 409, "slot_full")


def test_a_holiday_has_no_slots_and_an_adjusted_working_day_takes_mondays(client: Any, hall: BasicHall) -> None:
    client.put("/api/v1/halls/t1/services/a/booking", json={**PLAN, "horizon_days": 10}, headers=bearer(hall.manager))
    for day, kind in (("2026-03-03", "holiday"), ("2026-03-07", "workday")):
        response = client.post("/api/v1/halls/t1/calendar-days", json={"day": day, "kind": kind, "name": "测试"},
                               headers=bearer(hall.manager))
        assert response.status_code in (200, 201), response.get_data(as_text=True)

    assert slots(client, "2026-03-03") == []
    assert len(slots(client, "2026-03-07")) == 6


def test_a_service_without_a_plan_cannot_be_booked(client: Any, hall: BasicHall) -> None:
    assert_problem(client, client.post("/api/v1/halls/t1/appointments",
                                       json={"service": "b", "slot_start": TUESDAY_10, "phone": PHONE}),
                   409, "service_not_bookable")
    assert client.delete("/api/v1/halls/t1/services/a/booking", headers=bearer(hall.manager)).status_code == 200
    assert_problem(client, book(client), 409, "service_not_bookable")


@pytest.mark.parametrize("plan, field", [
    ({"days": {"8": []}}, "days.8"),
    ({"days": {"1": [{"start": "12:00", "end": "09:00", "minutes": 30, "capacity": 1}]}}, "days.1[0].end"),
    ({"days": {"1": [{"start": "09:00", "end": "12:00", "minutes": 1, "capacity": 1}]}}, "days.1[0].minutes"),
    ({"days": {"1": [{"start": "09:00", "end": "12:00", "minutes": 30, "capacity": 1}]}, "horizon_days": 90},
     "horizon_days"),
    ({"days": {"1": [], "2": []}}, "days"),
])
def test_a_bad_plan_is_422_naming_the_field(client: Any, hall: BasicHall, plan: dict[str, Any], field: str) -> None:
    response = client.put("/api/v1/halls/t1/services/a/booking", json=plan, headers=bearer(hall.manager))

    body = assert_problem(client, response, 422, "bad_booking_plan")
    assert field in body["detail"]


def test_a_person_is_required_and_checked(client: Any, hall: BasicHall) -> None:
    no_one = client.post("/api/v1/halls/t1/appointments", json={"service": "a", "slot_start": TUESDAY_10})
    assert_problem(client, no_one, 422, "person_required")
    assert_problem(client, book(client, id_number="110101199003074515"), 422, "bad_person_id")


def test_only_the_halls_managers_set_plans(client: Any, hall: BasicHall) -> None:
    for token in (hall.staff1, hall.display):
        assert_problem(client, client.put("/api/v1/halls/t1/services/a/booking", json=PLAN, headers=bearer(token)),
                       403, "role_required")
    assert_problem(client, client.put("/api/v1/halls/t1/services/a/booking", json=PLAN,
                                      headers=bearer(hall.other_manager)), 403, "hall_not_allowed")


def test_the_days_are_the_halls_local_days(client: Any, hall: BasicHall) -> None:
    first = slots(client, date(2026, 3, 4).isoformat())[0]
    assert first["start"].startswith("2026-03-04T09:00") and first["end"].startswith("2026-03-04T09:30")


def test_a_booking_not_checked_in_by_the_end_of_its_slot_is_a_no_show(client: Any, hall: BasicHall, store: Store,
                                                                      clock: FrozenClock, runtime: Any) -> None:
    booked = book(client).get_json()
    clock.advance(hours=25, minutes=29)  # Tuesday 10:29: the slot still runs
    runtime.execute(housekeep, hall="t1")
    assert client.get(f"/api/v1/appointments/{booked['manage_token']}").get_json()["status"] == "booked"

    clock.advance(minutes=2)  # 10:31: it ended at 10:30
    done = runtime.execute(housekeep, hall="t1")

    assert [e.type for e in done.envelopes if e.type.startswith("appointment.")] == ["appointment.missed"]
    assert client.get(f"/api/v1/appointments/{booked['manage_token']}").get_json()["status"] == "no_show"
    with store.read_session() as s:  # audited: a citizen who disputes a suspension is answered from the log
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "appointment.missed")).one()
        assert (entry.actor, entry.target, entry.data["person"]) == ("hallq housekeeping", booked["code"],
                                                                       "1101**********4514")
    checked_in = client.post("/api/v1/halls/t1/tickets", json={"service": "a", "appointment_code": booked["code"]},
                             headers=bearer(hall.kiosk))
    assert_problem(client, checked_in, 404, "appointment_not_found")


def test_repeated_no_shows_suspend_booking_for_the_configured_days(client: Any, hall: BasicHall,
                                                                  clock: FrozenClock, runtime: Any) -> None:
    client.patch("/api/v1/halls/t1/settings", json={"no_show_limit": 2, "no_show_suspend_days": 7},
                 headers=bearer(hall.manager))
    for _ in range(2):  # booked for tomorrow 10:00 and never came
        assert book(client, _tomorrow_10(clock)).status_code == 201
        clock.advance(hours=26)
        runtime.execute(housekeep, hall="t1")

    body = assert_problem(client, book(client, _tomorrow_10(clock)), 409, "person_limit_reached")
    # The second 爽约 was Wednesday 10:30 (its slot's end): suspended for 7 days from then.
    assert "爽约 2 次" in body["detail"] and "暂停至 2026-03-11 10:30" in body["detail"]
    assert book(client, _tomorrow_10(clock), phone=PHONE).status_code == 201  # someone else books as usual

    clock.advance(days=7)
    assert book(client, _tomorrow_10(clock)).status_code == 201  # the suspension is over


def test_no_shows_older_than_30_days_do_not_count(client: Any, hall: BasicHall, clock: FrozenClock,
                                                  runtime: Any) -> None:
    client.patch("/api/v1/halls/t1/settings", json={"no_show_limit": 2, "no_show_suspend_days": 1},
                 headers=bearer(hall.manager))
    assert book(client, _tomorrow_10(clock)).status_code == 201
    clock.advance(hours=26)
    runtime.execute(housekeep, hall="t1")  # the first 爽约
    clock.advance(days=31)  # out of the 30-day window
    assert book(client, _tomorrow_10(clock)).status_code == 201  # Monday 2026-04-06 (after a weekend)
    clock.advance(days=4)
    runtime.execute(housekeep, hall="t1")  # the second, a month after the first

    assert book(client, _tomorrow_10(clock)).status_code == 201  # one 爽约 in 30 days: below the limit of 2


def _tomorrow_10(clock: FrozenClock) -> str:
    local = clock.now().astimezone(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)
    while local.isoweekday() > 5:  # the plan books weekdays
        local += timedelta(days=1)
    return local.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


def test_a_retired_hall_takes_no_bookings(client: Any, hall: BasicHall) -> None:
    assert client.post("/api/v1/halls/t1/retire", headers=bearer(hall.admin)).status_code == 200

    assert_problem(client, book(client), 409, "hall_retired")
    assert_problem(client, client.get("/api/v1/halls/t1/services/a/slots?date=2026-03-03"), 409, "hall_retired")
