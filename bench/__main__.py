"""`python -m bench` (or `make bench`): run every benchmark and print its table."""

from __future__ import annotations

from bench import call_cost
from bench import call_pair
from bench import issue
from bench import issue_pair
from bench import kiosk_bench
from bench import latency
from bench import monitor_bench
from bench import ops_cpu
from bench import report
from bench import simday
from bench import startup
from bench import voice_lag


def main() -> None:
    print("## Issue and call-next over HTTP\n")
    print(issue.run(["sqlite", "postgres"], [0, 1_000_000], 10))
    print("\n## Issue with 1,000,000 tickets of history against an empty database (alternating rounds)\n")
    for backend in ("sqlite", "postgres"):
        print(issue_pair.run(backend, issue_pair.history_sides(backend, 1_000_000, keep=True), 6, 5))
    print("\n## CPU per operation in one process (issue; call-next + finish)\n")
    print(ops_cpu.run(["sqlite", "postgres"], 300, 300))
    print("\n## Call-to-screen latency (call-next -> event at the last display)\n")
    print(latency.run([10, 100, 1_000], [2_000], 50))
    print("\n## Call-next + finish at 8 windows against GET /healthz (issue 22, goal 1)\n")
    print(call_pair.run(3, 5, None))
    print("\n## Call-next with 30 and 3,000 waiting (alternating rounds)\n")
    print(call_cost.run(["sqlite", "postgres"], [30, 3_000]))
    print("\n## Kiosk: touch to ticket and ticket rendering\n")
    print(kiosk_bench.run(200))
    # The kiosk page's requests for one ticket against an older checkout: `python -m bench.kiosk_path --other DIR`
    # (it needs a second checkout, so it is not run here).
    print("\n## Month report of a busy hall (100,000 tickets)\n")
    print(report.run(["sqlite", "postgres"], 100_000, 3))
    print("\n## Manager monitor: alert evaluation and snapshot on a busy day\n")
    print(monitor_bench.run(3_800))
    print("\n## A simulated busy day (4,000 tickets, 30 windows, 20 displays, 500 phones) at 40x\n")
    print(simday.run(["embedded", "scaled"], speed=40.0)[0])
    print("\n## Process start-up: serve to first healthz, hallq --help\n")
    print(startup.run(8, None))
    print("\n## Voice lag: call to first spoken word on the wall display, 24 windows (new code only)\n")
    print(voice_lag.render(voice_lag.run(24)))


if __name__ == "__main__":
    main()
