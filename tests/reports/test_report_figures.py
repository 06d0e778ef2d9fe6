"""Report figures against the hand-computed morning of tests/reports/scenario.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from queue_server.clock import FrozenClock
from queue_server.queries.snapshots import hall_by_code
from queue_server.reports import stats
from queue_server.storage.ratings import Rating
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.reports.scenario import DAY
from tests.reports.scenario import TOTAL
from tests.reports.scenario import play
from tests.reports.scenario import scenario_hall


def _report(store: Store, clock: FrozenClock, by: stats.GroupBy, days: int = 0) -> stats.Report:
    with store.read_session() as s:
        return stats.report(s, hall_by_code(s, "t1"), DAY, DAY + timedelta(days=days), by, clock.now())


def _rows(rep: stats.Report) -> dict[str, dict[str, Any]]:
    return {row.label: asdict(row) for row in rep.rows}


@pytest.fixture
def morning(store: Store, clock: FrozenClock, runtime: Runtime) -> None:
    scenario_hall(store, clock)
    play(runtime, clock)


@pytest.mark.usefixtures("morning")
def test_hall_totals_match_the_hand_computed_morning(store: Store, clock: FrozenClock) -> None:
    rep = _report(store, clock, "service")

    total = asdict(rep.total)
    assert {k: total[k] for k in TOTAL} == TOTAL
    assert rep.wait_limit_s == 600


@pytest.mark.usefixtures("morning")
def test_by_service_splits_tickets_by_their_first_service_and_legs_by_theirs(
    store: Store, clock: FrozenClock
) -> None:
    rows = _rows(_report(store, clock, "service"))

    a, b = rows["事项a"], rows["事项b"]
    assert a["tickets"]["total"] == 4 and a["tickets"]["mobile"] == 1
    assert (a["served"], a["no_show"], a["transferred"], a["cancelled"]) == (1, 1, 1, 1)
    assert a["wait"]["count"] == 3 and a["wait"]["max_s"] == 480
    assert b["tickets"]["total"] == 2
    assert (b["served"], b["done"], b["returned"], b["consult"]) == (3, 1, 1, 1)
    assert b["levels"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1} and b["bad_rate"] == 0.5
    assert b["service"]["over_limit"] == 1 and a["service"]["over_limit"] == 0


@pytest.mark.usefixtures("morning")
def test_by_window_counts_each_handled_ticket_once_and_leaves_unassigned_legs_apart(
    store: Store, clock: FrozenClock
) -> None:
    rows = _rows(_report(store, clock, "window"))

    assert list(rows) == ["1号窗口", "2号窗口", "未分配 unassigned"]
    assert rows["1号窗口"]["tickets"]["total"] == 3  # A001, A002 and A003 before its transfer
    assert rows["2号窗口"]["tickets"]["total"] == 3  # B001, A003 after the transfer, B002
    assert rows["2号窗口"]["rating_rate"] == round(2 / 3, 4)
    assert rows["未分配 unassigned"]["cancelled"] == 1


@pytest.mark.usefixtures("morning")
def test_ranking_puts_the_window_and_clerk_with_more_served_first(store: Store, clock: FrozenClock) -> None:
    rep = _report(store, clock, "hour")

    assert [(r.rank, r.row.label, r.row.served) for r in rep.window_ranking] == [(1, "2号窗口", 3), (2, "1号窗口", 1)]
    assert [(r.rank, r.row.label) for r in rep.staff_ranking] == [(1, "u2 u2"), (2, "u1 u1")]


@pytest.mark.usefixtures("morning")
def test_by_hour_puts_the_whole_morning_in_the_nine_oclock_hour(store: Store, clock: FrozenClock) -> None:
    rep = _report(store, clock, "hour")

    assert [(r.label, r.tickets["total"], r.served) for r in rep.rows] == [("09:00–10:00", 6, 4)]


@pytest.mark.usefixtures("morning")
def test_the_next_business_day_alone_is_empty_and_a_wider_period_keeps_the_totals(
    store: Store, clock: FrozenClock
) -> None:
    with store.read_session() as s:
        next_day = stats.report(s, hall_by_code(s, "t1"), DAY + timedelta(days=1), DAY + timedelta(days=1),
                                "service", clock.now())
    week = _report(store, clock, "service", days=6)

    assert next_day.total.tickets["total"] == 0 and next_day.total.wait.mean_s is None and next_day.rows == []
    assert asdict(week.total) == asdict(_report(store, clock, "service").total)


@pytest.mark.usefixtures("morning")
def test_a_rating_excluded_on_appeal_leaves_the_figures(store: Store, clock: FrozenClock) -> None:
    with store.transaction() as s:  # as an upheld appeal marks a malicious rating
        s.execute(update(Rating).where(Rating.level == 2).values(excluded=True))

    total = _report(store, clock, "service").total

    assert total.rated == 2 and total.levels["2"] == 0 and total.rating_rate == 0.5
