"""Smoke run of bench/voice_lag.py: two windows call, the wall display in Chromium reads both aloud (real audio,
real time). The figures are the bench's business; this proves the bench and the page agree on what was heard."""

from __future__ import annotations

from typing import Any

import pytest

from bench import voice_lag
from tests.conftest import needs_espeak
from tests.realtime.server import free_port

pytestmark = [pytest.mark.slow, needs_espeak]


def test_a_two_call_burst_is_heard_and_measured(browser: Any) -> None:
    (only,) = voice_lag.run(calls=2, scenarios=("burst",), port=free_port(), browser=browser)

    assert (only.code, only.calls, only.heard, only.dropped) == ("new", 2, 2, 0)
    assert len(only.lags_s) == 2 and all(0 < lag < 20 for lag in only.lags_s)
    assert "| new  | burst" in voice_lag.render([only])
