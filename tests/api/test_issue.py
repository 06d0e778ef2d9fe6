"""POST /api/v1/halls/{hall}/tickets: the fixed response, and every refusal answered as problem+json with nothing
written (no ticket, no counter step, no hall event)."""

from __future__ import annotations

from typing import Any

from queue_server.clock import FrozenClock
from queue_server.storage.models import Service
from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.footprint import footprint
from tests.api.steps import assert_problem
from tests.api.steps import issue
from tests.factories import OFFICE_HOURS
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

URL = "/api/v1/halls/t1/tickets"
ISSUE_FIELDS = {"id", "number", "hall", "service", "status", "ahead", "estimated_wait_s", "track_token", "track_url",
                "issued_at"}


def test_kiosk_issues_a_ticket_with_the_fixed_response_fields(client: Any, hall: BasicHall) -> None:
    response = client.post(URL, json={"service": "a", "priority": None, "channel": None, "appointment_code": None,
                                      "id_number": None, "phone": None}, headers=bearer(hall.kiosk))

    assert response.status_code == 201
    body = assert_conforms(client, response)
    assert ISSUE_FIELDS <= body.keys()
    assert body["number"] == "A001"
    assert (body["hall"], body["service"], body["status"]) == ("t1", "a", "waiting")
    assert body["ahead"] == 0
    assert body["estimated_wait_s"] == 0
    assert body["track_url"].endswith(f"/t/{body['track_token']}")
    assert body["issued_at"].startswith("2026-03-02T01:00:00")


def test_second_ticket_has_the_next_number_and_one_ahead(client: Any, hall: BasicHall) -> None:
    issue(client, hall.kiosk)

    second = issue(client, hall.kiosk)

    assert second["number"] == "A002"
    assert second["ahead"] == 1
    assert second["estimated_wait_s"] == 300  # one ahead x 5 min standard duration / one window (1) serving a


def test_staff_and_manager_may_issue_and_the_channel_says_who(client: Any, hall: BasicHall) -> None:
    by_staff = issue(client, hall.staff1, service="b")
    by_manager = issue(client, hall.manager, service="b", channel="api", priority="laonian")

    assert (by_staff["number"], by_staff["channel"]) == ("B001", "staff")
    assert (by_manager["number"], by_manager["channel"], by_manager["priority"]) == ("B002", "api", "laonian")


def test_a_channel_of_the_halls_own_is_recorded_as_sent(client: Any, hall: BasicHall) -> None:
    # The contract types channel as a plain string: a WeChat mini-program or 12345 hotline gateway may name itself.
    ticket = issue(client, hall.manager, service="b", channel="wechat")

    assert ticket["channel"] == "wechat"


def test_admin_may_issue_in_any_hall(client: Any, hall: BasicHall) -> None:
    ticket = issue(client, hall.admin, hall="t2")

    assert (ticket["hall"], ticket["number"]) == ("t2", "A001")


def test_unknown_service_is_404_service_not_found_and_writes_nothing(
    client: Any, store: Store, hall: BasicHall
) -> None:
    before = footprint(store)

    response = client.post(URL, json={"service": "zz"}, headers=bearer(hall.kiosk))

    body = assert_problem(client, response, 404, "service_not_found")
    assert body["service"] == "zz"
    assert footprint(store) == before


def test_unknown_hall_is_404_hall_not_found(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post("/api/v1/halls/nope/tickets", json={"service": "a"}, headers=bearer(hall.admin))

    assert_problem(client, response, 404, "hall_not_found")
    assert footprint(store) == before


def test_missing_service_is_422_invalid_request_naming_the_field(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, json={"priority": "laonian"}, headers=bearer(hall.kiosk))

    body = assert_problem(client, response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["service"]
    assert all(e["message"] for e in body["errors"])
    assert footprint(store) == before


def test_wrong_field_types_are_422_with_every_bad_field(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, json={"service": 7, "channel": "x" * 17}, headers=bearer(hall.kiosk))

    body = assert_problem(client, response, 422, "invalid_request")
    assert {e["field"] for e in body["errors"]} == {"service", "channel"}
    assert footprint(store) == before


def test_a_json_array_body_is_422_not_a_crash(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, json=["a"], headers=bearer(hall.kiosk))

    body = assert_problem(client, response, 422, "invalid_request")
    assert body["errors"][0]["field"] == "body"
    assert footprint(store) == before


def test_malformed_json_is_400_bad_request(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, data='{"service": "a"', content_type="application/json", headers=bearer(hall.kiosk))

    assert_problem(client, response, 400, "bad_request")
    assert footprint(store) == before


def test_body_that_is_not_utf8_is_400_bad_request(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, data=b'{"service": "\xff"}', content_type="application/json",
                           headers=bearer(hall.kiosk))

    assert_problem(client, response, 400, "bad_request")
    assert footprint(store) == before


def test_empty_body_is_400_bad_request(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, headers=bearer(hall.kiosk))

    assert_problem(client, response, 400, "bad_request")
    assert footprint(store) == before


def test_body_over_64_kib_is_413_payload_too_large(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)
    padded = '{"service": "a", "pad": "' + "x" * (64 * 1024) + '"}'

    response = client.post(URL, data=padded, content_type="application/json", headers=bearer(hall.kiosk))

    assert_problem(client, response, 413, "payload_too_large")
    assert footprint(store) == before


def test_form_encoded_body_is_415_unsupported_media_type(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, data={"service": "a"}, headers=bearer(hall.kiosk))

    assert_problem(client, response, 415, "unsupported_media_type")
    assert footprint(store) == before


def test_closed_hall_is_409_hall_closed_on_a_sunday(client: Any, store: Store, clock: FrozenClock) -> None:
    h = basic_hall(store, clock, hours=OFFICE_HOURS)
    clock.advance(days=6)  # Monday 2 March 2026 09:00 -> Sunday 8 March 09:00, Asia/Shanghai
    before = footprint(store)

    response = client.post(URL, json={"service": "a"}, headers=bearer(h.kiosk))

    body = assert_problem(client, response, 409, "hall_closed")
    assert body["hall"] == "t1"
    assert footprint(store) == before


def test_the_same_hall_issues_on_a_weekday_morning(client: Any, store: Store, clock: FrozenClock) -> None:
    h = basic_hall(store, clock, hours=OFFICE_HOURS)

    ticket = issue(client, h.kiosk)

    assert ticket["number"] == "A001"


def test_daily_cap_reached_is_409_and_the_counter_does_not_move(
    client: Any, store: Store, hall: BasicHall
) -> None:
    with store.transaction() as s:
        s.query(Service).filter(Service.code == "a").update({"daily_cap": 2})
    issue(client, hall.kiosk)
    issue(client, hall.kiosk)
    before = footprint(store)

    response = client.post(URL, json={"service": "a"}, headers=bearer(hall.kiosk))

    body = assert_problem(client, response, 409, "daily_quota_reached")
    assert body["quota"] == 2
    assert footprint(store) == before
    assert [c[2] for c in before.counters] == [2]


def test_refusals_speak_english_when_asked(client: Any, hall: BasicHall) -> None:
    response = client.post(URL, json={"service": "zz"}, headers={**bearer(hall.kiosk), "Accept-Language": "en"})

    body = assert_problem(client, response, 404, "service_not_found", english=True)
    assert body["title"] == "Service not found"
    assert body["detail"] == "Hall t1 has no service zz."


def test_validation_refusal_speaks_english_when_asked(client: Any, hall: BasicHall) -> None:
    response = client.post(URL, json={}, headers={**bearer(hall.kiosk), "Accept-Language": "en-US,en;q=0.9"})

    body = assert_problem(client, response, 422, "invalid_request", english=True)
    assert body["title"] == "Invalid request"


def test_unknown_fields_are_ignored_so_older_kiosks_keep_working(client: Any, hall: BasicHall) -> None:
    ticket = issue(client, hall.kiosk, lang="zh", screen="large")

    assert ticket["number"] == "A001"
