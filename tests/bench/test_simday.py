"""Smoke run of the simulated day (bench/simday.py): a few dozen tickets on the embedded default (SQLite, one
`hallq serve` on a scaled clock), with displays and phones following. The figures are the bench's business; this
only proves the driver and the server agree: no errors, nothing lost or doubled, every event seen once."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
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
    assert [r["kind"] for r in day.accuracy_rows] == ["walk-in", "priority", "appointment", "remote", "remote_held"]
    assert day.remote["taken"] == sum(1 for c in plan.citizens if c.remote)


def test_remote_citizens_take_their_number_from_home_and_confirm_arrival_with_the_walls_code(tmp_path: Path) -> None:
    """线上取号 on the simulated day: remote citizens use the public remote-ticket route from an address of their
    own, type the entrance code the wall display shows, and are served; one who comes late is held, then served;
    one who never comes expires. The rate limits stay on at the shipped values and refuse nobody."""
    quick = simday.QUICK
    plan = simday.make_plan(tickets=quick["tickets"], hours=quick["hours"], windows=quick["windows"],
                            services=quick["services"], phones=quick["phones"], seed=3)
    # Eight walk-ins of the first quarter hour become remote citizens: five in time, one late, two never come.
    walk_ins = [i for i, c in enumerate(plan.citizens)
                if not (c.appointment or c.priority or c.remote or c.no_show or c.transfer_to or c.park_min)
                and c.at_s < 900][:8]
    assert len(walk_ins) == 8
    fates = ["in_time"] * 5 + ["late", "gone", "gone"]
    citizens = list(plan.citizens)
    for i, fate in zip(walk_ins, fates, strict=True):
        citizens[i] = replace(citizens[i], remote=True, phone=True, arrival=fate, travel_s=240.0)
    plan = replace(plan, citizens=citizens)
    remote = sum(1 for c in plan.citizens if c.remote)

    day = simday.run_day("embedded", plan, speed=quick["speed"], displays=quick["displays"], seed=3,
                         port=free_port(), work=tmp_path)

    assert day.examples == [] and day.errors == 0  # no 429 from the per-address limits, no refused code
    assert (day.tickets_lost, day.tickets_doubled) == (0, 0)
    assert day.remote["taken"] == day.remote["driver_taken"] == remote  # all through POST .../remote-tickets
    came = remote - 2
    assert day.remote["arrived_by_code"] == day.remote["driver_arrived"] == came  # with the wall's code
    assert day.remote["served"] == came
    assert day.remote["held"] >= 3 and day.remote["held_then_arrived"] >= 1  # the late one, held, then served
    assert day.remote["expired"] == 2 and day.remote["awaiting_at_end"] == 0  # the two who never came
    assert (day.phone_missing, day.phone_doubled) == (0, 0)
    rows = {r["kind"]: r for r in day.accuracy_rows}
    assert rows["remote"]["n"] + rows["remote_held"]["n"] == came  # remote citizens are rows of their own


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
    fates = Counter(c.arrival for c in plan.citizens if c.remote)
    assert fates["in_time"] > 0.75 * counts["remote"]  # most remote citizens come before their turn
    assert all(fates[k] > 0 for k in ("late", "too_late", "gone"))
    assert all(c.arrival == "" for c in plan.citizens if not c.remote)
    assert all(c.appointment and not c.remote for c in plan.citizens if c.absent)
    assert len({s.prefix for s in plan.services}) == 30  # distinct printed prefixes
