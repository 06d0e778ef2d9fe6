"""Kept report days (report_days): a closed day's figures, once computed, are read back instead of its legs, with
exactly the figures a report from the legs gives, and computed again whenever the day or the hall's set-up
changes. On SQLite and PostgreSQL, through the real engine (tests/reports/scenario.py played on two days)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from queue_server import engine
from queue_server.clock import FrozenClock
from queue_server.operations.alert_ticker import AlertTicker
from queue_server.queries.snapshots import hall_by_code
from queue_server.reports import keeper
from queue_server.reports import stats
from queue_server.storage.models import ReportDay
from queue_server.storage.models import Service
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import bearer
from tests.reports.scenario import DAY
from tests.reports.scenario import TOTAL
from tests.reports.scenario import play
from tests.reports.scenario import scenario_hall

MONDAY, TUESDAY, WEDNESDAY = DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)


def _report(store: Store, clock: FrozenClock, by: stats.GroupBy) -> stats.Report:
    with store.read_session() as s:
        return stats.report(s, hall_by_code(s, "t1"), MONDAY, WEDNESDAY, by, clock.now())


def _keep(store: Store, clock: FrozenClock, rep: stats.Report) -> int:
    with store.read_session() as s:
        hall_id = hall_by_code(s, "t1").id
    return keeper.store_days(store, hall_id, rep.kept_now, clock.now())


def _figures(rep: stats.Report) -> dict[str, Any]:
    return {"total": asdict(rep.total), "rows": [asdict(r) for r in rep.rows],
            "windows": [asdict(r) for r in rep.window_ranking], "staff": [asdict(r) for r in rep.staff_ranking]}


def _from_legs(store: Store, clock: FrozenClock, by: stats.GroupBy) -> stats.Report:
    """The report with nothing kept: every figure from the legs."""
    with store.transaction() as s:
        s.execute(delete(ReportDay))
    return _report(store, clock, by)


def _kept_days(rep: stats.Report) -> set[tuple[Any, str]]:
    return {(d.service_on, d.grouping) for d in rep.kept_now}


@pytest.fixture
def two_days(store: Store, clock: FrozenClock, runtime: Runtime) -> BasicHall:
    """The hand-computed morning on Monday and again on Tuesday; the clock then stands at 09:00 on Wednesday."""
    tokens = scenario_hall(store, clock)
    nine = clock.now()
    play(runtime, clock)
    clock.set(nine + timedelta(days=1))
    play(runtime, clock)
    clock.set(nine + timedelta(days=2))
    return tokens


@pytest.mark.parametrize("by", stats.GROUPINGS)
@pytest.mark.usefixtures("two_days")
def test_a_report_keeps_its_closed_days_and_the_next_reads_them_with_the_same_figures(
    store: Store, clock: FrozenClock, by: stats.GroupBy
) -> None:
    first = _report(store, clock, by)
    groupings = {"service", "window", "staff", by}
    assert _kept_days(first) == {(day, g) for day in (MONDAY, TUESDAY) for g in groupings}  # not today
    assert _keep(store, clock, first) == 2 * len(groupings)

    second = _report(store, clock, by)

    assert second.kept_now == ()
    assert _figures(second) == _figures(first)
    assert second.total.tickets["total"] == 2 * TOTAL["tickets"]["total"]  # type: ignore[index]
    assert second.total.wait.median_s == TOTAL["wait"]["median_s"]  # type: ignore[index]


@pytest.mark.usefixtures("two_days")
def test_todays_legs_are_never_kept_and_join_the_kept_days(
    store: Store, clock: FrozenClock, runtime: Runtime
) -> None:
    _keep(store, clock, _report(store, clock, "service"))
    play(runtime, clock)  # Wednesday's morning: today, so read from its legs every time

    rep = _report(store, clock, "service")

    assert WEDNESDAY not in {day for day, _ in _kept_days(rep)}
    assert rep.total.tickets["total"] == 3 * TOTAL["tickets"]["total"]  # type: ignore[index]
    assert _figures(rep) == _figures(_from_legs(store, clock, "service"))


@pytest.mark.usefixtures("two_days")
def test_a_closed_day_that_gains_a_leg_after_it_was_kept_is_computed_again(
    store: Store, clock: FrozenClock, runtime: Runtime
) -> None:
    # Tuesday 17:00: window 1 calls a ticket, and the citizen is still at the window when Wednesday begins.
    clock.set(clock.now() - timedelta(hours=16))
    ticket = runtime.execute(engine.issue_ticket, hall="t1", service_code="a", channel="kiosk").value.ticket
    runtime.execute(engine.call_next, hall="t1", window_number=1)
    clock.set(clock.now() + timedelta(hours=16))
    _keep(store, clock, _report(store, clock, "window"))
    runtime.execute(engine.finish, hall="t1", ticket_id=ticket.id, outcome="done")  # Tuesday's ticket: its leg too

    rep = _report(store, clock, "window")

    assert _kept_days(rep) == {(TUESDAY, g) for g in ("service", "window", "staff")}
    assert rep.total.served == 2 * TOTAL["served"] + 1  # type: ignore[operator]
    assert _figures(rep) == _figures(_from_legs(store, clock, "window"))


@pytest.mark.usefixtures("two_days")
def test_a_new_standard_duration_recomputes_the_kept_over_limit_counts(store: Store, clock: FrozenClock) -> None:
    _keep(store, clock, _report(store, clock, "service"))
    assert _report(store, clock, "service").total.service.over_limit == 2  # B001's 720 s over B's 600 s, each day
    with store.transaction() as s:  # as the service form saves it
        s.execute(update(Service).where(Service.code == "b").values(standard_duration_s=900))

    rep = _report(store, clock, "service")

    assert len(rep.kept_now) == 6  # both days, every grouping: their over-limit counts depend on it
    assert rep.total.service.over_limit == 0
    assert _figures(rep) == _figures(_from_legs(store, clock, "service"))


@pytest.mark.usefixtures("two_days")
def test_the_background_keeper_leaves_the_month_report_nothing_to_compute(store: Store, clock: FrozenClock) -> None:
    kept = keeper.keep_recent(store, clock, "t1")

    rep = _report(store, clock, "staff")

    assert kept == 6 and rep.kept_now == ()
    assert keeper.keep_recent(store, clock, "t1") == 0  # nothing changed: nothing to do
    assert _figures(rep) == _figures(_from_legs(store, clock, "staff"))


def test_the_report_route_keeps_the_closed_days_it_computed(
    client: Any, store: Store, clock: FrozenClock, two_days: BasicHall
) -> None:
    url = "/api/v1/halls/t1/reports?from=2026-03-02&to=2026-03-04&by=window"

    first = client.get(url, headers=bearer(two_days.manager))
    with store.read_session() as s:
        kept = s.scalar(select(func.count()).select_from(ReportDay))
    second = client.get(url, headers=bearer(two_days.manager))

    assert first.status_code == second.status_code == 200
    assert kept == 6  # Monday and Tuesday, by service, window and staff
    assert second.get_json()["total"] == first.get_json()["total"]
    assert second.get_json()["total"]["tickets"]["total"] == 2 * TOTAL["tickets"]["total"]  # type: ignore[index]


@pytest.mark.usefixtures("two_days")
def test_the_alert_ticker_keeps_every_halls_recent_days_at_most_every_5_minutes(store: Store, runtime: Runtime) -> None:
    ticker = AlertTicker(runtime)

    ticker.keep_report_days(["t1", "t2"])
    with store.transaction() as s:
        kept = s.scalar(select(func.count()).select_from(ReportDay))
        s.execute(delete(ReportDay))
    ticker.keep_report_days(["t1", "t2"])  # within 5 minutes: nothing is recomputed

    with store.read_session() as s:
        assert (kept, s.scalar(select(func.count()).select_from(ReportDay))) == (6, 0)
