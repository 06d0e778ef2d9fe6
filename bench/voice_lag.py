"""Voice lag in a real browser: from a window's call to the first word of its announcement on the wall display.

The demo hall (24 windows, 30 services) on `hallq serve` (SQLite), the wall display in Debian's Chromium with
--autoplay-policy=no-user-gesture-required and real audio (espeak-ng renderings, the chime) played in real time.
Scenarios: `burst` (every window calls as fast as the API answers, well within 1 s), `spread` (the windows call
evenly over 10 s), `recall` (8 windows call at once, then window 3 recalls its ticket 2 s later). The lag of a
call is the page clock at its first spoken word minus the bench's clock just before its call-next request (one
machine, one clock). Goal (issue 20): when 24 windows call within 10 s, each is heard within 60 s, a recall before
calls after it, nothing more than 90 s late.

With --old PATH (a git worktree of main) each scenario also runs the old code, alternating old and new.
Usage: python -m bench.voice_lag [--calls 24] [--scenarios burst,spread,recall] [--old /tmp/hallq-main]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT  # noqa: E402
from bench.common import WORK  # noqa: E402
from bench.common import fresh_database  # noqa: E402
from bench.common import machine  # noqa: E402
from bench.common import table  # noqa: E402
from queue_server.clock import SystemClock  # noqa: E402
from queue_server.demo.halls import SERVICES  # noqa: E402
from queue_server.demo.halls import DemoCredentials  # noqa: E402
from queue_server.demo.halls import load_demo  # noqa: E402
from queue_server.storage.store import make_store  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SPREAD_S = 10.0
RECALL_AFTER_S = 2.0
RECALLED_WINDOW = 3
PORT = 5391  # run(port=...) for a test
TICKET_RE = re.compile(r"([A-Z]+\d{3})")


@dataclass
class Run:
    code: str
    scenario: str
    calls: int
    heard: int
    dropped: int
    lags_s: list[float]
    recall_lag_s: float | None
    rates: str


def serve(code_root: Path, url: str, instance: Path, port: int) -> subprocess.Popen[bytes]:
    instance.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "HALLQ_DATABASE_URL": url, "HALLQ_INSTANCE_PATH": str(instance),
           "PYTHONPATH": str(code_root)}
    with (instance / "server.log").open("wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "queue_server.cli", "serve", "--port", str(port)],
                                env=env, cwd=str(code_root), stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {instance / 'server.log'}")


def hall(name: str) -> tuple[str, DemoCredentials]:
    url = fresh_database("sqlite", name)
    store = make_store(url)
    with store.transaction() as session:
        creds = load_demo(session, SystemClock().now())
    store.dispose()
    assert creds is not None
    return url, creds


def post(port: int, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    resp = requests.post(f"http://127.0.0.1:{port}{path}", json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=10)
    resp.raise_for_status()
    return resp.json() if resp.content else {}  # type: ignore[no-any-return]


def one_run(browser: Any, code: str, code_root: Path, scenario: str, calls: int, n: int, port: int) -> Run:
    url, creds = hall(f"voice-{code}-{scenario}-{n}")
    proc = serve(code_root, url, WORK / f"voice-instance-{code}", port)
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    try:
        for i, (service, *_) in enumerate(SERVICES * 2):
            post(port, "/api/v1/halls/cxz/tickets", creds.kiosk_token, {"service": service, "phone": f"139{i:08d}"})
        page = context.new_page()
        # The display's token as pairing leaves it (no token in the address: the server refuses one).
        page.add_init_script(script=f"localStorage.setItem('hallq.display.token.cxz', {creds.display_token!r});")
        page.goto(f"http://127.0.0.1:{port}/display/cxz")
        page.wait_for_function("() => document.body.dataset.ready === '1' && document.body.dataset.online === '1'",
                               timeout=15000)
        called_at: dict[str, float] = {}
        windows = list(range(1, calls + 1))
        start = time.time()
        recall_ticket: dict[str, Any] = {}
        for k, window in enumerate(windows):
            if scenario == "spread":
                time.sleep(max(0.0, start + k * SPREAD_S / max(1, calls - 1) - time.time()))
            sent = time.time() * 1000
            ticket = post(port, f"/api/v1/halls/cxz/windows/{window}/call-next", creds.manager_token)["ticket"]
            called_at[ticket["number"]] = sent
            if window == RECALLED_WINDOW:
                recall_ticket = ticket
        recall_sent = None
        if scenario == "recall" and recall_ticket:
            time.sleep(max(0.0, start + RECALL_AFTER_S - time.time()))
            recall_sent = time.time() * 1000
            post(port, f"/api/v1/tickets/{recall_ticket['id']}/recall", creds.manager_token)
        expected = calls + (1 if recall_sent else 0)
        deadline = time.monotonic() + expected * 15 + 30
        while time.monotonic() < deadline:
            state = page.evaluate("""() => { const a = window.hallqAnnouncer;
              return {log: a.log, dropped: a.dropped || [], idle: !a.playing && a.items.length === 0}; }""")
            if state["idle"] and len(state["log"]) + len(state["dropped"]) >= expected:
                break
            time.sleep(0.5)
        heard: list[float] = []
        numbers: set[str] = set()
        recall_lag = None
        rates: dict[str, int] = {}
        for entry in state["log"]:
            number = entry.get("ticket") or TICKET_RE.search(entry["text"]).group(1)  # type: ignore[union-attr]
            spoken = entry.get("speech_at") or entry["at"]  # the old announcer logged the first word's time
            form = f"{entry.get('form') or 'full'}×{entry.get('rate') or 1}"
            rates[form] = rates.get(form, 0) + 1
            # A recall: the new announcer marks it; the old one just reads the same number a second time.
            if recall_sent and number == recall_ticket["number"] and (entry.get("recall") or number in numbers):
                recall_lag = (spoken - recall_sent) / 1000
                if number in numbers:
                    continue
                # Its first call was still unread when the recall came: the recall replaced it.
            if number not in numbers:
                numbers.add(number)
                heard.append((spoken - called_at[number]) / 1000)
        return Run(code, scenario, calls, len(heard), len(state["dropped"]), heard, recall_lag,
                   ", ".join(f"{k} {v}" for k, v in sorted(rates.items())))
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=15)


def run(calls: int = 24, scenarios: tuple[str, ...] = ("burst", "spread", "recall"), old: Path | None = None,
        rounds: int = 1, port: int = PORT, browser: Any = None) -> list[Run]:
    """Every scenario, old and new code alternating; returns the runs (`render` makes the table). `browser`: a
    Playwright Chromium already launched with the autoplay flag (a test's), else one is started here."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-background-networking", "--disable-component-update",
                "--autoplay-policy=no-user-gesture-required"])
            try:
                return run(calls, scenarios, old, rounds, port, own)
            finally:
                own.close()
    results: list[Run] = []
    for r in range(rounds):
        for scenario in scenarios:
            n = calls if scenario != "recall" else min(calls, 8)
            for code, root in ([("old", old)] if old else []) + [("new", ROOT)]:
                results.append(one_run(browser, code, root, scenario, n, r, port))
                print(f"  {code} {scenario}: done", file=sys.stderr)
    return results


def render(results: list[Run]) -> str:
    rows = []
    for res in results:
        lags = sorted(res.lags_s)
        p90 = lags[min(len(lags) - 1, int(round(0.9 * (len(lags) - 1))))] if lags else float("nan")
        rows.append([res.code, res.scenario, res.calls, res.heard, res.dropped,
                     f"{statistics.median(lags):.1f}" if lags else "—", f"{p90:.1f}" if lags else "—",
                     f"{max(lags):.1f}" if lags else "—",
                     f"{res.recall_lag_s:.1f}" if res.recall_lag_s is not None else "—", res.rates])
    return (f"Machine: {machine()}\n\n"
            + table(["code", "scenario", "calls", "heard", "dropped", "median lag s", "p90 s", "max s",
                     "recall lag s", "readings (form×rate)"], rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=24)
    ap.add_argument("--scenarios", default="burst,spread,recall")
    ap.add_argument("--old", type=Path, help="a checkout of the old code (git worktree add /tmp/hallq-main main)")
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    print(render(run(args.calls, tuple(args.scenarios.split(",")), args.old, args.rounds)))


if __name__ == "__main__":
    main()
