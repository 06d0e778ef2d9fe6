"""The report routes: who may read them, the JSON against the OpenAPI document, and CSV/XLSX exports that hold
the same totals, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from queue_server.access.credentials import mint_token
from queue_server.clock import FrozenClock
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Window
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.web.api.openapi import OPERATIONS
from tests.api.contract import assert_conforms
from tests.api.steps import assert_problem
from tests.api.test_authorisation import _refused_everywhere
from tests.api.test_authorisation import _scene
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.reports.scenario import TOTAL
from tests.reports.scenario import play
from tests.reports.scenario import scenario_hall

URL = "/api/v1/halls/t1/reports?from=2026-03-02&to=2026-03-31"
EXPORT = "/api/v1/halls/t1/reports/export?from=2026-03-02&to=2026-03-31&by=window"


def _viewer(store: Store, clock: FrozenClock, hall: str = "t1") -> str:
    with store.transaction() as s:
        row = s.scalar(select(Hall).where(Hall.code == hall))
        return mint_token(s, clock.now(), role=Role.VIEWER, hall=row)


@pytest.fixture
def morning(store: Store, clock: FrozenClock, runtime: Runtime) -> BasicHall:
    tokens = scenario_hall(store, clock)
    play(runtime, clock)
    return tokens


def test_viewer_manager_and_admin_read_the_same_report(
    client: Any, store: Store, clock: FrozenClock, morning: BasicHall
) -> None:
    answers = [client.get(URL, headers=bearer(t)) for t in (_viewer(store, clock), morning.manager, morning.admin)]

    for response in answers:
        body = assert_conforms(client, response)
        assert response.status_code == 200
        assert {k: body["total"][k] for k in TOTAL} == TOTAL
    assert answers[0].get_json()["rows"] == answers[2].get_json()["rows"]
    assert [r["label"] for r in answers[0].get_json()["ranking"]["windows"]] == ["2号窗口", "1号窗口"]


def test_a_viewer_reads_reports_but_may_not_change_the_hall(
    client: Any, store: Store, clock: FrozenClock, morning: BasicHall
) -> None:
    viewer = _viewer(store, clock)

    refused = client.post("/api/v1/halls/t1/notices", json={"notices": ["x"]}, headers=bearer(viewer))
    call = client.post("/api/v1/halls/t1/windows/1/call-next", headers=bearer(viewer))

    assert_problem(client, refused, 403, "role_required")
    assert_problem(client, call, 403, "role_required")


def test_a_viewer_is_refused_on_every_route_that_writes(client: Any, store: Store, clock: FrozenClock) -> None:
    hall = basic_hall(store, clock)
    scene = _scene(client, hall)
    writes = [op.operation_id for op in OPERATIONS if op.method == "POST" and not op.public]

    _refused_everywhere(client, store, scene, writes, bearer(_viewer(store, clock)), 403, "role_required")


@pytest.mark.parametrize("who", ["staff1", "display", "kiosk", "rater2"])
def test_staff_and_devices_may_not_read_reports(client: Any, morning: BasicHall, who: str) -> None:
    for url in (URL, EXPORT):
        assert_problem(client, client.get(url, headers=bearer(getattr(morning, who))), 403, "role_required")


def test_a_viewer_of_another_hall_is_refused(client: Any, store: Store, clock: FrozenClock, morning: BasicHall) -> None:
    other = _viewer(store, clock, "t2")

    for url in (URL, EXPORT):
        assert_problem(client, client.get(url, headers=bearer(other)), 403, "hall_not_allowed")


@pytest.mark.parametrize("query", ["from=2026-03-05&to=2026-03-01", "from=2025-01-01&to=2026-03-01",
                                   "from=2026-02-30&to=2026-03-01", "to=2026-03-01", "from=2026-03-01&to=2026-03-01"
                                   "&by=department"])
def test_a_bad_period_or_grouping_is_422_naming_the_problem(client: Any, morning: BasicHall, query: str) -> None:
    response = client.get(f"/api/v1/halls/t1/reports?{query}", headers=bearer(morning.manager))

    body = assert_problem(client, response, 422, "invalid_request")
    assert body["errors"]


def test_xlsx_export_opens_and_holds_the_same_totals(client: Any, morning: BasicHall) -> None:
    report = client.get(URL + "&by=window", headers=bearer(morning.manager)).get_json()

    response = client.get(EXPORT + "&format=xlsx", headers=bearer(morning.manager))

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book["报表 report"]
    rows = list(sheet.iter_rows(values_only=True))
    header, total = rows[1], rows[-1]
    figures = dict(zip(header, total, strict=True))
    assert total[0] == "合计 total"
    assert figures["取号量 tickets"] == report["total"]["tickets"]["total"] == 6
    assert figures["办理 served"] == 4 and figures["空号 no-show"] == 1 and figures["退办 returned"] == 1
    assert figures["平均等候(秒) wait mean s"] == 420 and figures["等候P90(秒) wait p90 s"] == 1020
    assert figures["参评率 rating rate"] == 0.75 and figures["差评率 bad rate"] == 0.3333
    assert [r[0] for r in rows[2:-1]] == [r["label"] for r in report["rows"]]
    ranking = list(book["窗口排名 windows"].iter_rows(values_only=True))
    assert [r[:3] for r in ranking[2:]] == [(1, "2号窗口", 3), (2, "1号窗口", 1)]


def test_csv_export_holds_the_same_totals_and_opens_in_excel(
    client: Any, store: Store, clock: FrozenClock, morning: BasicHall
) -> None:
    response = client.get(EXPORT + "&format=csv", headers=bearer(_viewer(store, clock)))

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode())  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    figures = dict(zip(rows[1], rows[-1], strict=True))
    assert rows[-1][0] == "合计 total"
    assert (figures["取号量 tickets"], figures["自助机 kiosk"], figures["手机 mobile"]) == ("6", "4", "2")
    assert (figures["办理 served"], figures["取消 cancelled"], figures["转移 transferred"]) == ("4", "1", "1")
    assert (figures["等候中位数(秒) wait median s"], figures["按时办结 closed on time"]) == ("330.0", "1")


def test_windows_of_the_same_name_are_told_apart_in_the_report_ranking_and_exports(
    client: Any, store: Store, morning: BasicHall
) -> None:
    """Real halls repeat names (综合窗口 four times in the demo): every report surface leads with the number."""
    with store.transaction() as s:
        for window in s.scalars(select(Window)):
            window.name = "综合窗口"
    report = client.get(URL + "&by=window", headers=bearer(morning.manager)).get_json()
    book = load_workbook(io.BytesIO(client.get(EXPORT + "&format=xlsx", headers=bearer(morning.manager)).data))
    text = client.get(EXPORT + "&format=csv", headers=bearer(morning.manager)).data.decode("utf-8-sig")

    named = ["1号 综合窗口", "2号 综合窗口", "未分配 unassigned"]  # a cancelled ticket had no window
    assert [r["label"] for r in report["rows"]] == named
    assert [r["label"] for r in report["ranking"]["windows"]] == ["2号 综合窗口", "1号 综合窗口"]
    assert [r[:2] for r in list(book["窗口排名 windows"].iter_rows(values_only=True))[2:]] == [
        (1, "2号 综合窗口"), (2, "1号 综合窗口")]
    assert [r[0] for r in list(book["报表 report"].iter_rows(values_only=True))[2:-1]] == named
    assert [row[0] for row in csv.reader(io.StringIO(text))][2:-1] == named
