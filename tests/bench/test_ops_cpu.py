"""bench/ops_cpu.py runs the real issue and call-next + finish routes in one process and prints their CPU cost:
what docs/benchmarks.md compares code changes with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import ops_cpu


def test_the_bench_times_each_operation_it_names(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The bench points the app at its own database through the environment; keep that out of later tests.
    monkeypatch.setenv("HALLQ_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("HALLQ_INSTANCE_PATH", str(tmp_path))

    out = ops_cpu.run(["sqlite"], ops=5, queue=5)

    rows = {m[1]: float(m[2]) for m in re.finditer(r"\| sqlite +\| ([a-z +-]+?) +\| 5 +\| ([\d.]+) ", out)}
    assert rows.keys() == {"issue", "call-next + finish", "housekeeping round"}
    assert all(cpu > 0 for cpu in rows.values())
