"""好差评 on the window tablet and by QR code: levels, reasons for 差评, one rating per leg, 表9 records,
the reporting outbox, and who may rate."""

from __future__ import annotations

from typing import Any

import pytest

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.factories import bearer
from tests.staff.rating_setup import rate
from tests.staff.rating_setup import rating_hall
from tests.staff.rating_setup import serve_one


def test_tablet_is_idle_with_window_and_staff_until_a_service_finishes(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)

    idle = client.get("/api/v1/rating/pending", headers=bearer(rh.rater)).get_json()
    serve_one(rh, client)
    after = client.get("/api/v1/rating/pending", headers=bearer(rh.rater)).get_json()

    assert idle["pending"] is None and idle["window_name"] == "1号窗口" and idle["staff"] == "u1"
    assert after["pending"]["ticket_no"] == "A001"
    assert [(lv["code"], lv["name"]) for lv in after["levels"]] == [
        ("1", "非常满意"), ("2", "满意"), ("3", "基本满意"), ("4", "不满意"), ("5", "非常不满意")]


def test_tablet_rating_is_a_table9_record(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client, case_no="BJ-532300-0001")

    resp = rate(client, rh.rater, 2, text="办得很快")

    assert resp.status_code == 201
    record = resp.get_json()
    assert record["case_no"] == "BJ-532300-0001" and record["channel"] == "window_device"
    assert record["rater"] == "匿名" and record["attempt"] == 1 and record["region_code"] == "532300"
    assert (record["level"], record["level_name"], record["text"]) == (2, "满意", "办得很快")
    assert record["staff"] == "u1" and record["window"] == 1 and record["case_id"] is None
    assert client.get("/api/v1/rating/pending", headers=bearer(rh.rater)).get_json()["pending"] is None


@pytest.mark.parametrize("level", [1, 2, 3])
def test_good_and_middle_levels_need_no_reason(store: Store, clock: FrozenClock, client: Any, level: int) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)

    assert rate(client, rh.rater, level).status_code == 201


@pytest.mark.parametrize("level", [0, 6, -1])
def test_levels_outside_one_to_five_are_refused(store: Store, clock: FrozenClock, client: Any, level: int) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)

    resp = rate(client, rh.rater, level)

    assert resp.status_code == 422 and resp.get_json()["code"] == "bad_rating_level"


@pytest.mark.parametrize("level", [4, 5])
def test_bad_rating_without_a_reason_is_refused(store: Store, clock: FrozenClock, client: Any, level: int) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)

    refused = rate(client, rh.rater, level, text="   ")
    with_tag = rate(client, rh.rater, level, tags=["等候时间长"])

    assert refused.status_code == 422 and refused.get_json()["title"] == "请选择或填写原因"
    assert with_tag.status_code == 201 and with_tag.get_json()["case_id"] is not None


def test_a_leg_is_rated_once_on_the_tablet_and_not_again_by_qr(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)
    ticket = serve_one(rh, client)
    pending = client.get("/api/v1/rating/pending", headers=bearer(rh.rater)).get_json()["pending"]

    first = client.post("/api/v1/rating", json={"level": 1, "leg_id": pending["leg_id"]}, headers=bearer(rh.rater))
    again = client.post("/api/v1/rating", json={"level": 5, "leg_id": pending["leg_id"], "text": "x"},
                        headers=bearer(rh.rater))
    by_qr = client.post(f"/api/v1/track/{ticket['track_token']}/rating", json={"level": 3})

    assert first.status_code == 201
    assert again.status_code == 409 and again.get_json()["code"] == "already_rated"
    assert by_qr.status_code == 409 and by_qr.get_json()["code"] == "already_rated"


def test_citizen_rates_by_qr_code_once_after_finish(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    issued = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(rh.hall.kiosk))
    token = issued.get_json()["track_token"]

    too_early = client.post(f"/api/v1/track/{token}/rating", json={"level": 1})
    ticket = rh.console.window_op("call-next").get_json()["ticket"]
    rh.console.ticket_op(ticket["id"], "finish", {"outcome": "consult"})
    clock.advance(hours=2)  # long after the tablet stopped offering it
    rated = client.post(f"/api/v1/track/{token}/rating", json={"level": 1})
    twice = client.post(f"/api/v1/track/{token}/rating", json={"level": 2})

    assert too_early.status_code == 409 and too_early.get_json()["code"] == "nothing_to_rate"
    assert rated.status_code == 201 and rated.get_json()["channel"] == "qr_code"
    assert twice.status_code == 409


def test_tablet_of_another_window_cannot_rate_this_windows_service(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)
    leg = client.get("/api/v1/rating/pending", headers=bearer(rh.rater)).get_json()["pending"]["leg_id"]

    resp = client.post("/api/v1/rating", json={"level": 1, "leg_id": leg}, headers=bearer(rh.rater2))

    assert resp.status_code == 409 and resp.get_json()["code"] == "nothing_to_rate"


def test_staff_and_manager_credentials_cannot_rate(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)

    staff = client.post("/api/v1/rating", json={"level": 1}, headers=bearer(rh.hall.staff1))
    manager = client.post("/api/v1/rating", json={"level": 1}, headers=bearer(rh.hall.manager))

    assert staff.status_code == 403 and manager.status_code == 403


def test_outbox_exports_unreported_ratings_until_marked_reported(
    store: Store, clock: FrozenClock, client: Any
) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)
    rate(client, rh.rater, 1)
    serve_one(rh, client)
    rate(client, rh.rater, 3)
    auth = bearer(rh.hall.manager)

    before = client.get("/api/v1/halls/t1/ratings/outbox", headers=auth).get_json()
    marked = client.post("/api/v1/halls/t1/ratings/outbox/mark-reported", json={"ids": [before[0]["id"]]},
                         headers=auth).get_json()
    after = client.get("/api/v1/halls/t1/ratings/outbox", headers=auth).get_json()
    clerk = rh.console.client.get("/api/v1/halls/t1/ratings/outbox")

    assert [r["level"] for r in before] == [1, 3] and marked == {"marked": 1}
    assert [r["level"] for r in after] == [3]
    assert clerk.status_code == 403


def test_citizen_phone_page_offers_the_five_levels(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    ticket = serve_one(rh, client)

    page = client.get(f"/rate/{ticket['track_token']}").get_data(as_text=True)

    assert all(name in page for name in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"))
    assert f'data-track="{ticket["track_token"]}"' in page


def test_openapi_document_lists_the_console_and_rating_routes(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"/halls/{hall}/windows/{number}/console", "/rating/pending", "/rating", "/track/{token}/rating",
            "/halls/{hall}/evaluation-cases", "/halls/{hall}/ratings/outbox"} <= set(paths)
