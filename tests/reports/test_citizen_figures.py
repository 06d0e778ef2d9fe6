"""网上预约 and 线上取号 in the hall report, its page's JSON and its CSV/XLSX exports: a known week of bookings,
cancellations, check-ins, 爽约 and phone tickets gives known numbers per business day and service. SQLite and
PostgreSQL (the `client` fixture runs both).

The clock starts at Monday 2026-03-02 09:00 in Shanghai; service a books Monday to Friday 09:00-12:00 in
30-minute slots of 2 seats.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from queue_server.clock import FrozenClock
from queue_server.engine.oversight.housekeeping import housekeep
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.api.test_booking import ID_A
from tests.api.test_booking import ID_B
from tests.api.test_booking import PHONE
from tests.api.test_booking import PLAN
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer

REPORT = "/api/v1/halls/t1/reports?from=2026-03-01&to=2026-03-31"
EXPORT = "/api/v1/halls/t1/reports/export?from=2026-03-01&to=2026-03-31"
ID_C = "110101199003071233"


def _book(client: Any, slot: str, **person: str) -> dict[str, Any]:
    response = client.post("/api/v1/halls/t1/appointments", json={"service": "a", "slot_start": slot, **person})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()  # type: ignore[no-any-return]


@pytest.fixture
def week(client: Any, store: Store, clock: FrozenClock, runtime: Runtime) -> BasicHall:
    """Tuesday: 3 bookings for a (one checked in, one 爽约, one cancelled) and 2 phone tickets for a and 1 for b;
    Wednesday: 1 booking still open, and 1 phone ticket for b."""
    hall = basic_hall(store, clock)
    assert client.put("/api/v1/halls/t1/services/a/booking", json=PLAN,
                      headers=bearer(hall.manager)).status_code == 200
    came = _book(client, "2026-03-03T10:00:00+08:00", id_number=ID_A)
    _book(client, "2026-03-03T10:00:00+08:00", id_number=ID_B)  # never comes
    cancelled = _book(client, "2026-03-03T11:00:00+08:00", phone=PHONE)
    _book(client, "2026-03-04T09:30:00+08:00", id_number=ID_C)
    assert client.post(f"/api/v1/appointments/{cancelled['manage_token']}/cancel").status_code == 200

    clock.advance(hours=24, minutes=30)  # Tuesday 09:30
    checked_in = client.post("/api/v1/halls/t1/tickets", json={"service": "a", "appointment_code": came["code"]},
                             headers=bearer(hall.kiosk))
    assert checked_in.status_code == 201, checked_in.get_data(as_text=True)
    for service in ("a", "a", "b"):
        assert client.post("/api/v1/halls/t1/tickets", json={"service": service, "channel": "mobile"},
                           headers=bearer(hall.kiosk)).status_code == 201
    assert client.post("/api/v1/halls/t1/tickets", json={"service": "a"},  # a walk-in: not a remote ticket
                       headers=bearer(hall.kiosk)).status_code == 201
    clock.advance(hours=1, minutes=5)  # 10:35: the 10:00 slot ended at 10:30
    runtime.execute(housekeep, hall="t1")

    clock.advance(days=1)  # Wednesday 10:35
    assert client.post("/api/v1/halls/t1/tickets", json={"service": "b", "channel": "mobile"},
                       headers=bearer(hall.kiosk)).status_code == 201
    return hall


def test_the_report_counts_bookings_check_ins_no_shows_and_remote_tickets_per_day_and_service(
        client: Any, week: BasicHall) -> None:
    report = client.get(REPORT, headers=bearer(week.manager)).get_json()

    rows = {(r["on"], r["service"]): (r["booked"], r["cancelled"], r["checked_in"], r["no_show"], r["remote"])
            for r in report["citizens"]["rows"]}
    assert rows == {
        ("2026-03-03", "a"): (2, 1, 1, 1, 2),
        ("2026-03-03", "b"): (0, 0, 0, 0, 1),
        ("2026-03-04", "a"): (1, 0, 0, 0, 0),  # booked for 09:30, not yet due when the report runs
        ("2026-03-04", "b"): (0, 0, 0, 0, 1),
    }
    total = report["citizens"]["total"]
    assert (total["booked"], total["cancelled"], total["checked_in"], total["no_show"], total["remote"]) == (
        3, 1, 1, 1, 4)
    # The ticket counts by channel agree: the check-in is an appointment ticket, the phone ones mobile.
    assert report["total"]["tickets"]["appointment"] == 1 and report["total"]["tickets"]["mobile"] == 4


def test_a_day_outside_the_period_is_left_out(client: Any, week: BasicHall) -> None:
    report = client.get(REPORT.replace("from=2026-03-01", "from=2026-03-04"), headers=bearer(week.manager)).get_json()

    assert [(r["on"], r["service"]) for r in report["citizens"]["rows"]] == [("2026-03-04", "a"),
                                                                              ("2026-03-04", "b")]


def test_the_exports_carry_the_same_figures(client: Any, week: BasicHall) -> None:
    book = load_workbook(io.BytesIO(client.get(EXPORT + "&format=xlsx", headers=bearer(week.manager)).data))
    sheet = list(book["预约与线上取号 bookings"].iter_rows(values_only=True))
    response = client.get(EXPORT + "&format=csv&part=citizens", headers=bearer(week.manager))
    text = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))

    assert sheet[1] == ("日期 day", "事项 service", "预约 booked", "取消 cancelled", "签到 checked in", "爽约 no-show",
                        "线上取号 remote tickets")
    assert sheet[2][0] == "2026-03-03" and sheet[2][2:] == (2, 1, 1, 1, 2)
    assert sheet[-1] == ("合计 total", None, 3, 1, 1, 1, 4)
    assert response.headers["Content-Disposition"].endswith('-citizens.csv"')
    assert text[1:] == [[str(c) if c is not None else "" for c in row] for row in sheet[1:]]
