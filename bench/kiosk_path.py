"""The kiosk's touch -> ticket path over HTTP, one client: the requests the kiosk page makes for one ticket (issue,
the QR the dialog shows, the paper preview, the print job's first status), against this checkout and another one
(main's, say) alternately, each on a fresh database of its own, so the ratio holds while the machine's speed drifts.

What a checkout's page asks for is read from its own kiosk.js: before issue 22 the server drew the QR (/kiosk/qr.svg)
and a PNG of the ticket; since then the page draws both from the placed layout (/kiosk/<hall>/tickets/<t>/preview).

    python -m bench.kiosk_path --other /path/to/main-checkout [--rounds 6] [--tickets 40] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from pathlib import Path

import requests

from bench.common import ROOT
from bench.common import BenchHall
from bench.common import build_hall
from bench.common import fresh_database
from bench.common import machine
from bench.common import start_server
from bench.common import table

PORTS = {"new": 5881, "old": 5882}


def draws_png(root: Path) -> bool:
    """True when that checkout's kiosk page shows a server-drawn PNG and QR of the ticket."""
    return "preview.png" in (root / "kiosk" / "static" / "kiosk" / "kiosk.js").read_text(encoding="utf-8")


def one_ticket(http: requests.Session, base: str, hall: BenchHall, service: str, png: bool) -> None:
    """What kiosk.js asks for after 确认取号, in its order (the print job's status only when there is a job)."""
    resp = http.post(f"{base}/api/v1/halls/bench/tickets", json={"service": service},
                     headers={"Authorization": f"Bearer {hall.kiosk}", "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text
    ticket = resp.json()
    if png:
        assert http.get(f"{base}/kiosk/qr.svg", params={"data": ticket["track_url"]}).ok
        assert http.get(f"{base}/kiosk/bench/tickets/{ticket['track_token']}/preview.png").ok
    else:
        assert http.get(f"{base}/kiosk/bench/tickets/{ticket['track_token']}/preview").ok
    if ticket.get("print_job_id"):
        http.get(f"{base}/api/v1/print-jobs/{ticket['print_job_id']}",
                 headers={"Authorization": f"Bearer {hall.kiosk}"})


def round_of(base: str, hall: BenchHall, png: bool, tickets: int, offset: int) -> tuple[float, list[float]]:
    """`tickets` tickets one after another; (tickets per second, per-ticket ms)."""
    took = []
    with requests.Session() as http:
        start = time.perf_counter()
        for i in range(tickets):
            t0 = time.perf_counter()
            one_ticket(http, base, hall, hall.services[(offset + i) % len(hall.services)], png)
            took.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - start
    return tickets / elapsed, took


def run(other: Path, rounds: int = 6, tickets: int = 40, backend: str = "sqlite") -> str:
    roots = {"new": ROOT, "old": other.resolve()}
    halls = {name: build_hall(fresh_database(backend, f"kiosk_path_{name}")) for name in roots}
    servers = {name: start_server(halls[name].database_url, PORTS[name], threads=8, root=root)
               for name, root in roots.items()}
    png = {name: draws_png(root) for name, root in roots.items()}
    rates: dict[str, list[float]] = {name: [] for name in roots}
    took: dict[str, list[float]] = {name: [] for name in roots}
    try:
        for name in roots:  # warm-up: imports, fonts, first queries; not counted
            round_of(servers[name].url, halls[name], png[name], 5, 0)
        for r in range(rounds):
            for name in (("new", "old") if r % 2 == 0 else ("old", "new")):
                rate, ms = round_of(servers[name].url, halls[name], png[name], tickets, r * tickets)
                rates[name].append(rate)
                took[name].extend(ms)
    finally:
        for server in servers.values():
            server.stop()
    rows = []
    for name, root in roots.items():
        q = statistics.quantiles(took[name], n=100)
        rows.append([name, str(root), "server: QR SVG + PNG" if png[name] else "page: placed layout JSON",
                     rounds * tickets, f"{statistics.median(rates[name]):.1f}",
                     f"{min(rates[name]):.1f}–{max(rates[name]):.1f}", f"{q[49]:.1f}", f"{q[98]:.1f}"])
    ratios = sorted(n / o for n, o in zip(rates["new"], rates["old"], strict=True))
    return (f"Machine: {machine()}; database: {backend}; one client, rounds alternating\n\n"
            + table(["code", "checkout", "preview", "tickets", "tickets/s (median)", "tickets/s (range)",
                     "p50 ms", "p99 ms"], rows)
            + f"\n\nnew / old, round by round: median {statistics.median(ratios):.2f}×, "
              f"range {ratios[0]:.2f}–{ratios[-1]:.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", type=Path, required=True, help="the checkout to compare with (e.g. main's)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--tickets", type=int, default=40)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    print(run(args.other, args.rounds, args.tickets, args.backend))


if __name__ == "__main__":
    main()
