"""Kiosk bench: "touch to ticket" (the kiosk's issue request to the on-screen ticket data, through the real Flask
app, runtime and SQLite/PostgreSQL) and ticket rendering (ESC/POS bytes; the image for the image-mode fallback).

Target (issue #4): issue + render <= 50 ms p99 on the 2-core reference machine. Prints a table; records nothing.
Usage: python bench/kiosk_bench.py [--n 200] [--database-url sqlite:///...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine  # noqa: E402
from bench.common import table as render_table  # noqa: E402
from kiosk import layout  # noqa: E402
from kiosk import printer  # noqa: E402
from kiosk import raster  # noqa: E402
from queue_server.app import create_app  # noqa: E402
from queue_server.clock import SystemClock  # noqa: E402
from queue_server.demo.halls import load_demo  # noqa: E402
from queue_server.settings import Settings  # noqa: E402
from queue_server.storage import migrate  # noqa: E402
from queue_server.storage.store import make_store  # noqa: E402

# Services without per-person limits or daily caps, so N issues never hit a refusal.
SERVICES = ("hj", "jzz", "sbk", "gjjtq", "sszx", "fply", "zhzx", "sbdj")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[int], object], n: int) -> list[float]:
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def run(n: int = 200, database_url: str | None = None) -> str:
    """Time the four kiosk steps n times each; returns the table."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.db"
        store = make_store(url)
        migrate.upgrade(store.writer)
        with store.transaction() as session:
            creds = load_demo(session, SystemClock().now())
        store.dispose()
        if creds is None:
            raise SystemExit("demo already loaded in that database; use an empty one")
        app = create_app(Settings(instance_path=Path(tmp), database_url=url, redis_url=None, secret_key="bench"))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {creds.kiosk_token}"}
        last: dict[str, object] = {}

        def issue(i: int) -> None:
            resp = client.post("/api/v1/halls/cxz/tickets", json={"service": SERVICES[i % len(SERVICES)]},
                               headers=headers)
            assert resp.status_code == 201, resp.json
            last.update(resp.json)

        ticket = layout.TicketData(
            hall_name="楚雄州政务服务中心", service_name="不动产转移登记", number="F013", ahead=12,
            estimated_wait_s=1500, issued_at=datetime(2026, 3, 2, 9, 5),
            track_url="http://127.0.0.1:5000/t/" + "x" * 32,
            materials=("不动产登记申请书", "不动产权证书", "买卖双方身份证明", "不动产买卖合同", "契税完税凭证"),
        )
        config = printer.PrinterConfig()

        def escpos(_: int) -> None:
            printer.render(layout.ticket_layout(ticket, 80), config)

        def image(_: int) -> None:
            raster.render(layout.ticket_layout(ticket, 80))

        def both(i: int) -> None:
            issue(i)
            escpos(i)

        rows = [("issue (touch to ticket data)", timed(issue, n)),
                ("ESC/POS bytes (text mode)", timed(escpos, n)),
                ("ticket image (image-mode fallback)", timed(image, max(1, n // 4))),
                ("issue + ESC/POS render", timed(lambda i: both(i + n), n))]
        app.extensions["hallq"].store.dispose()
    table = [[name, len(samples), f"{statistics.fmean(samples):.2f}", f"{percentile(samples, 50):.2f}",
              f"{percentile(samples, 99):.2f}"] for name, samples in rows]
    return (f"Machine: {machine()}; database: {url.split(':')[0]}; target: issue + render p99 <= 50 ms\n\n"
            + render_table(["step", "n", "mean ms", "p50 ms", "p99 ms"], table))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    print(run(args.n, args.database_url))


if __name__ == "__main__":
    main()
