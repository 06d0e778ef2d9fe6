"""The bench-only scaled clock (HALLQ_CLOCK_SPEED): simulated days run faster than real time, and processes given
the same settings agree on the simulated instant."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from queue_server.clock import ScaledClock
from queue_server.clock import SystemClock
from queue_server.clock import clock_from_env

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_without_a_speed_the_server_keeps_the_system_clock() -> None:
    assert isinstance(clock_from_env({}), SystemClock)
    assert isinstance(clock_from_env({"HALLQ_CLOCK_START": START.isoformat()}), SystemClock)


def test_simulated_time_runs_speed_times_faster_from_the_anchor() -> None:
    anchor = datetime.now(UTC) - timedelta(seconds=10)  # ten real seconds ago
    clock = clock_from_env({"HALLQ_CLOCK_SPEED": "60", "HALLQ_CLOCK_START": START.isoformat(),
                            "HALLQ_CLOCK_ANCHOR": anchor.isoformat()})
    assert isinstance(clock, ScaledClock)
    elapsed = clock.now() - START
    # Ten real seconds at 60x are ten simulated minutes, plus the few real milliseconds this test took.
    assert timedelta(minutes=10) <= elapsed < timedelta(minutes=10, seconds=60)
    assert clock.now().tzinfo is not None


def test_two_clocks_with_the_same_settings_agree() -> None:
    anchor = datetime.now(UTC)
    a, b = ScaledClock(START, 40, anchor), ScaledClock(START, 40, anchor)
    first, second, third = a.now(), b.now(), a.now()
    assert first <= second <= third


def test_real_time_conversions() -> None:
    clock = ScaledClock(START, 30, datetime.now(UTC))
    assert clock.real_seconds(60) == 2.0
    assert 0 < clock.real_until(START + timedelta(minutes=30)) <= 60


@pytest.mark.parametrize("speed", [0, -1])
def test_refuses_a_speed_that_does_not_move_forward(speed: float) -> None:
    with pytest.raises(ValueError):
        ScaledClock(START, speed)


def test_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        ScaledClock(datetime(2026, 3, 2, 9, 0), 10)
