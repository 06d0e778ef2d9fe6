"""Staff statistics credit a ticket to the clerk signed in at the window, not to the manager or admin whose
credential made the call, and the report shows what the manager or admin did there apart (issue 18 point 8):
over HTTP, on SQLite and PostgreSQL, in the JSON report and in the XLSX export."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.api.contract import assert_conforms
from tests.api.steps import act
from tests.api.steps import called
from tests.api.steps import issue
from tests.factories import bearer
from tests.reports.scenario import scenario_hall

REPORT = "/api/v1/halls/t1/reports?from=2026-03-02&to=2026-03-02&by=staff"


def test_a_managers_call_counts_for_the_clerk_at_the_window_and_is_listed_apart(
        client: Any, store: Store, clock: FrozenClock) -> None:
    hall = scenario_hall(store, clock)  # clerks u1 and u2 signed in at windows 1 and 2
    for _ in range(3):
        issue(client, hall.kiosk, "b")

    by_manager = called(client, hall.manager, window=1)  # the manager presses 呼叫 at 1号 with their own login
    clock.advance(minutes=5)
    assert act(client, hall.manager, by_manager["id"], "finish", {"outcome": "done"}).status_code == 200
    specific = client.post("/api/v1/halls/t1/windows/2/call", headers=bearer(hall.admin),
                           json={"ticket_no": "B003", "reason": "群众急事"})
    assert specific.status_code == 200, specific.get_data(as_text=True)
    clock.advance(minutes=5)
    assert act(client, hall.admin, specific.get_json()["ticket"]["id"], "finish").status_code == 200
    own = called(client, hall.staff1, window=1)  # the clerk's own call
    clock.advance(minutes=5)
    assert act(client, hall.staff1, own["id"], "finish").status_code == 200

    response = client.get(REPORT, headers=bearer(hall.manager))
    report = assert_conforms(client, response)

    served = {r["label"].split()[0]: r["served"] for r in report["rows"]}
    assert served == {"u1": 2, "u2": 1}  # nothing for m1 or the admin
    assert [r["label"].split()[0] for r in report["ranking"]["staff"]] == ["u1", "u2"]
    acted = [(a["actor"], a["calls"], a["served"]) for a in report["acted"]]
    assert acted == [("manager:m1", 1, 1), (acted[1][0], 1, 1)] and acted[1][0].startswith("admin:")
    assert report["acted"][0]["window"] != report["acted"][1]["window"]

    export = client.get(REPORT.replace("/reports?", "/reports/export?") + "&format=xlsx",
                        headers=bearer(hall.manager))
    rows = list(load_workbook(io.BytesIO(export.data))["管理代操作 managers"].iter_rows(values_only=True))
    assert [r[1:] for r in rows[2:]] == [("manager:m1", 1, 1), (acted[1][0], 1, 1)]
