"""The manager's 差评 case list: filters by status, overdue, service and window, one case by id, and the XLSX
export of the filtered list (the window as "N号 name", the steps with their times in the hall's clock)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.factories import bearer
from tests.staff.rating_setup import rate
from tests.staff.rating_setup import rating_hall
from tests.staff.rating_setup import serve_one


def _cases(client: Any, token: str, query: str = "") -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/halls/t1/evaluation-cases{query}", headers=bearer(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def test_filters_by_service_window_status_and_overdue(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)  # service a at window 1
    assert rate(client, rh.rater, 4, tags=["等候时间长"]).status_code == 201
    manager = rh.hall.manager
    first = _cases(client, manager)[0]
    client.post(f"/api/v1/evaluation-cases/{first['id']}/follow-up", json={"note": "已回访"},
                headers=bearer(manager))
    serve_one(rh, client)
    assert rate(client, rh.rater, 5, text="态度差").status_code == 201

    everything = _cases(client, manager)
    by_service = _cases(client, manager, "?service=a")
    other_service = _cases(client, manager, "?service=b")
    by_window = _cases(client, manager, "?window=1")
    other_window = _cases(client, manager, "?window=2")
    still_open = _cases(client, manager, "?status=open")
    clock.advance(days=14)
    overdue_open = _cases(client, manager, "?overdue=true&status=open")
    bad = client.get("/api/v1/halls/t1/evaluation-cases?window=x", headers=bearer(manager))
    attention = client.get("/api/v1/halls/t1/monitor", headers=bearer(manager)).get_json()["attention"]

    assert len(everything) == 2 and len(by_service) == 2 and other_service == []
    assert len(by_window) == 2 and other_window == []
    assert [c["status"] for c in still_open] == ["open"]
    assert [c["id"] for c in overdue_open] == [still_open[0]["id"]] and overdue_open[0]["overdue"] is True
    assert everything[0]["window_label"] == "1号 1号窗口" and everything[0]["service_name"] == "事项a"
    assert bad.status_code == 422
    # Both cases are past their deadline and not closed: the monitor's attention list names each.
    assert sorted(a["data"]["case"] for a in attention if a["kind"] == "case_overdue") == sorted(
        c["id"] for c in everything)


def test_one_case_by_id_and_the_xlsx_export(store: Store, clock: FrozenClock, client: Any) -> None:
    rh = rating_hall(store, clock, client)
    serve_one(rh, client)
    assert rate(client, rh.rater, 5, tags=["态度不好"], text="窗口人员态度冷淡").status_code == 201
    manager = bearer(rh.hall.manager)
    case = _cases(client, rh.hall.manager)[0]
    client.post(f"/api/v1/evaluation-cases/{case['id']}/follow-up", json={"note": "电话回访，情况属实"},
                headers=manager)

    one = client.get(f"/api/v1/evaluation-cases/{case['id']}", headers=manager).get_json()
    missing = client.get("/api/v1/evaluation-cases/9999", headers=manager)
    resp = client.get("/api/v1/halls/t1/evaluation-cases/export?status=followed_up", headers=manager)
    sheet = load_workbook(io.BytesIO(resp.data)).active
    assert sheet is not None
    rows = [[c.value for c in row] for row in sheet.iter_rows()]

    assert one["status"] == "followed_up" and one["actions"][0]["note"] == "电话回访，情况属实"
    assert missing.status_code == 404 and missing.get_json()["code"] == "case_not_found"
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    header, row = rows[0], rows[1]
    assert len(rows) == 2
    assert header[:4] == ["工单 case", "状态 status", "事项 service", "窗口 window"]
    assert row[0] == case["id"] and row[1] == "已回访 followed up" and row[3] == "1号 1号窗口"
    assert "态度不好" in row[7] and "窗口人员态度冷淡" in row[7]
    follow_at = header.index("回访 follow-up 时间 at")
    assert row[follow_at + 1] == "电话回访，情况属实" and row[follow_at].startswith("2026-")
