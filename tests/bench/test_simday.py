"""Smoke run of the simulated day (bench/simday.py): a few dozen tickets on the embedded default (SQLite, one
`hallq serve` on a scaled clock), with displays and phones following. The figures are the bench's business; this
only proves the driver and the server agree: no errors, nothing lost or doubled, every event seen once."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import simday
from tests.realtime.server import free_port

pytestmark = pytest.mark.slow


def test_a_tiny_simulated_day_runs_clean_on_the_embedded_default(tmp_path: Path) -> None:
    quick = simday.QUICK
    plan = simday.make_plan(tickets=quick["tickets"], hours=quick["hours"], windows=quick["windows"],
                            services=quick["services"], phones=quick["phones"], seed=3)

    day = simday.run_day("embedded", plan, speed=quick["speed"], displays=quick["displays"], seed=3,
                         port=free_port(), work=tmp_path)

    assert day.examples == [] and day.errors == 0
    absent = sum(1 for c in plan.citizens if c.absent)  # booked and never came: no ticket
    assert day.issued == day.tickets_planned - absent and day.tickets_planned == quick["tickets"]
    # Every booking was made through the booking API; each citizen who came checked in with its code.
    assert day.bookings["planned"] == sum(1 for c in plan.citizens if c.appointment) > 0
    assert day.bookings.get("checked_in", 0) == day.bookings["came"]
    assert (day.tickets_lost, day.tickets_doubled) == (0, 0)
    assert (day.display_missing, day.display_doubled, day.display_raw_duplicates) == (0, 0, 0)
    assert (day.phone_missing, day.phone_doubled) == (0, 0)
    assert day.phones > 0 and day.latency_n > 0  # phones followed and calls reached every display
    assert day.called > 0  # (on a loaded machine the drain may end before the last ticket: a figure, not a fault)
    assert day.accuracy_n > 0 and day.cpu_s > 0 and day.peak_rss_mib > 0
    assert [r["kind"] for r in day.accuracy_rows] == ["walk-in", "priority", "appointment", "remote"]


def test_the_plan_has_the_day_the_issue_asks_for() -> None:
    plan = simday.make_plan(tickets=4000, hours=8, windows=30, services=30, phones=500, seed=7)

    assert len(plan.windows) == 30 and len(plan.services) == 30 and len(plan.citizens) == 4000
    assert {c for w in plan.windows for c in w} == {s.code for s in plan.services}  # every service has a window
    first_hours = sum(1 for c in plan.citizens if c.at_s < 2 * 3600)
    assert first_hours > 4000 * 2 / 8 * 1.3  # the morning peak
    counts = {k: sum(1 for c in plan.citizens if getattr(c, k)) for k in ("priority", "appointment", "no_show",
                                                                           "transfer_to", "park_min", "phone",
                                                                           "remote", "absent")}
    assert all(counts[k] > 0 for k in counts)
    assert 400 <= counts["phone"] - counts["remote"] <= 600  # remote citizens follow their ticket as well
    assert 250 <= counts["remote"] <= 400 and 20 <= counts["absent"] <= 60  # 8 % remote, 10 % of 10 % booked
    assert all(c.appointment and not c.remote for c in plan.citizens if c.absent)
    assert len({s.prefix for s in plan.services}) == 30  # distinct printed prefixes
