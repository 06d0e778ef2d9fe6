"""bench/call_cost.py times call-next with a short and a long queue in alternating rounds and prints both, with
the long one's cost as a ratio of the short one's: what docs/benchmarks.md quotes for issue 22."""

from __future__ import annotations

import re

from bench import call_cost


def test_the_bench_times_both_queues_and_keeps_them_at_their_length() -> None:
    out = call_cost.run(["sqlite"], [3, 12], rounds=2, calls=3)

    row = re.compile(r"\| sqlite +\| (\d+) +\| (\d+) +\| ([\d.]+) ")
    rows = {int(m[1]): (int(m[2]), float(m[3])) for m in row.finditer(out)}
    assert rows.keys() == {3, 12}
    assert all(calls == 6 and cpu > 0 for calls, cpu in rows.values())
    assert re.search(r"\| sqlite +\| 3 +\|.*\| 1\.00 \(1\.00–1\.00\) +\| 1\.00 \(1\.00–1\.00\) +\|", out)
