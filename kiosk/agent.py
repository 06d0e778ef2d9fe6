"""The print agent (`hallq-print-agent`): runs on the kiosk PC next to its ticket printer.

It long-polls the server for the kiosk's print jobs with the kiosk's token, prints each through kiosk.layout and
kiosk.printer, and reports printed or failed (printer_offline | paper_out | printer_error). A failed job stays on
the server and is printed once the printer is back, unless it expired (10 min).

Printed once: before reporting, the agent notes the outcome in a small journal file (state dir). An agent that
died between printing and reporting reports from its journal when it starts again, and a job the server hands
back that the journal says was printed is reported, not printed again. The only window left is a crash between
the printer taking the bytes and the journal write (milliseconds).

Logs once when the printer goes away and once when it returns, never per retry. Imports nothing from the server
package but queue_server.events; talks to the server over HTTP (urllib, stdlib).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk import layout
from kiosk import printer
from kiosk.encoder import Encoding
from kiosk.printer import PrinterConfig
from kiosk.printer import PrinterStatus
from queue_server import events

log = logging.getLogger(__name__)

LONG_POLL_S = 20  # the server holds a fetch this long when there is nothing to print (it caps at 25 s)
RETRY_S = 5.0  # between looks at a printer that is out, or a server that is down
HTTP_MARGIN_S = 10  # the HTTP timeout is the long-poll plus this


@dataclass
class AgentConfig:
    server: str
    token: str
    printer: PrinterConfig
    state_dir: Path
    wait_s: float = LONG_POLL_S
    retry_s: float = RETRY_S


class ServerUnavailable(Exception):
    """The server did not answer (down, restarting, network)."""


@dataclass
class Journal:
    """Outcomes printed or failed but not yet acknowledged by the server, and this agent's stable id."""

    path: Path
    agent: str = ""
    pending: dict[str, str] = field(default_factory=dict)  # job id -> "printed" | "failed:<code>"

    @classmethod
    def load(cls, state_dir: Path) -> Journal:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "print-agent.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, data.get("agent", ""), dict(data.get("pending", {})))
        journal = cls(path, "agent-" + secrets.token_hex(6))
        journal.save()
        return journal

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"agent": self.agent, "pending": self.pending}), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash leaves the old or the new journal, never half of one

    def note(self, job_id: int, outcome: str) -> None:
        self.pending[str(job_id)] = outcome
        self.save()

    def done(self, job_id: int) -> None:
        if self.pending.pop(str(job_id), None) is not None:
            self.save()


class PrintAgent:
    def __init__(self, config: AgentConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.journal = Journal.load(config.state_dir)
        self.printer_state = PrinterStatus.UNKNOWN
        self.server_up = True

    # -- HTTP -----------------------------------------------------------------------------------------------
    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None,
                 timeout: float = HTTP_MARGIN_S) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(self.config.server.rstrip("/") + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.config.token}", "Content-Type": "application/json",
            "Accept-Language": "zh-Hans"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                body = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code >= 500:
                raise ServerUnavailable(str(exc)) from exc
            raise
        except (urllib.error.URLError, OSError) as exc:
            raise ServerUnavailable(str(exc)) from exc
        self._server_seen(True)
        return json.loads(body) if body else None

    def _server_seen(self, up: bool) -> None:
        if up != self.server_up:
            (log.info if up else log.warning)("server %s %s", self.config.server, "reachable again" if up
                                              else "unreachable; tickets stay queued on the server")
        self.server_up = up

    def fetch(self, wait_s: float | None = None) -> list[dict[str, Any]]:
        wait = self.config.wait_s if wait_s is None else wait_s
        jobs: list[dict[str, Any]] = self._request(
            "GET", f"/api/v1/print-jobs?wait={wait:g}&agent={self.journal.agent}", timeout=wait + HTTP_MARGIN_S)
        return jobs

    def report(self, job_id: int, outcome: str) -> None:
        status, _, error = outcome.partition(":")
        payload = {"status": status, "error": error or None}
        try:
            self._request("POST", f"/api/v1/print-jobs/{job_id}/result", payload)
        except urllib.error.HTTPError as exc:
            # 404/409: the server no longer wants this report (job gone, or already settled); drop it.
            log.warning("print job %s: result %s not accepted (HTTP %s)", job_id, status, exc.code)
        self.journal.done(job_id)
        if status == "printed":
            log.info("print job %s printed (%s)", job_id, events.PRINT_JOB_PRINTED)

    def report_pending(self) -> None:
        """Send the outcomes the server has not acknowledged yet (after a crash or while it was down)."""
        for job_id, outcome in list(self.journal.pending.items()):
            self.report(int(job_id), outcome)

    # -- printer --------------------------------------------------------------------------------------------
    def _printer_seen(self, state: PrinterStatus) -> None:
        bad = (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE)
        if state in bad and self.printer_state not in bad:
            log.warning("printer %s: %s", self.config.printer.url, state.value)
        elif state not in bad and self.printer_state in bad:
            log.info("printer %s is back (%s)", self.config.printer.url, state.value)
        if state != self.printer_state:
            try:
                self._request("POST", "/api/v1/kiosks/me/printer-status", {"state": state.value})
            except (ServerUnavailable, urllib.error.HTTPError):
                pass  # the state is reported again at the next change; the job results carry it too
        self.printer_state = state

    def printer_ready(self) -> bool:
        state = printer.status(self.config.printer.url)
        self._printer_seen(state)
        return state not in (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE)

    def print_job(self, job: dict[str, Any]) -> str:
        """Print one job unless the journal says it was printed; note the outcome; return it."""
        job_id = int(job["id"])
        if self.journal.pending.get(str(job_id)) == "printed":
            return "printed"
        try:
            printer.print_layout(ticket_layout(job, self.config.printer.paper_mm), self.config.printer)
            outcome = "printed"
            self._printer_seen(PrinterStatus.ONLINE)
        except printer.PrintError as exc:
            outcome = f"failed:{exc.code}"
            self._printer_seen(PrinterStatus.PAPER_OUT if exc.code == "paper_out" else PrinterStatus.OFFLINE)
        self.journal.note(job_id, outcome)
        return outcome

    # -- loop -----------------------------------------------------------------------------------------------
    def step(self, wait_s: float | None = None) -> int:
        """One round: report leftovers, check a printer that was out, fetch and print. Returns jobs handled."""
        try:
            self.report_pending()
            if self.printer_state in (PrinterStatus.PAPER_OUT, PrinterStatus.OFFLINE) and not self.printer_ready():
                return 0  # keep the jobs on the server until the printer is back
            handled = 0
            for job in self.fetch(wait_s):
                outcome = self.print_job(job)
                self.report(int(job["id"]), outcome)
                handled += 1
                if outcome != "printed":
                    break  # the rest stay claimed by us and come back once the printer recovers
            return handled
        except ServerUnavailable:
            self._server_seen(False)
            return 0

    def run(self) -> None:
        log.info("print agent %s: server %s, printer %s", self.journal.agent, self.config.server,
                 self.config.printer.url)
        while not self.stop.is_set():
            handled = self.step()
            if not handled and (not self.server_up or self.printer_state in (PrinterStatus.PAPER_OUT,
                                                                             PrinterStatus.OFFLINE)):
                self.stop.wait(self.config.retry_s)


def ticket_layout(job: dict[str, Any], paper_mm: int) -> layout.TicketLayout:
    issued = datetime.strptime(job.get("issued_local") or "1970-01-01 00:00", "%Y-%m-%d %H:%M")
    return layout.ticket_layout(layout.TicketData(
        hall_name=job.get("hall_name") or "", service_name=job.get("service_name") or "",
        number=job.get("number") or "", ahead=int(job.get("ahead") or 0),
        estimated_wait_s=int(job.get("estimated_wait_s") or 0), issued_at=issued,
        track_url=job.get("track_url") or "", materials=tuple(job.get("materials") or ()),
        priority_name=job.get("priority_name"), person_masked=job.get("person_masked"),
    ), paper_mm)


def server_printer_settings(server: str, token: str) -> dict[str, Any]:
    """The kiosk's printer settings kept on the server (paper, encoding, QR); {} when it cannot be asked now."""
    req = urllib.request.Request(server.rstrip("/") + "/api/v1/kiosks/me",
                                 headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_MARGIN_S) as resp:
            return dict(json.loads(resp.read()).get("printer") or {})
    except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
        log.warning("could not read the kiosk's printer settings from %s (%s); using defaults", server, exc)
        return {}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hallq-print-agent", description="hallq 自助终端打印代理 (kiosk print agent)")
    p.add_argument("--server", default=os.environ.get("HALLQ_SERVER", "http://127.0.0.1:5000"))
    p.add_argument("--token", default=os.environ.get("HALLQ_KIOSK_TOKEN"), help="the kiosk's token (or "
                   "HALLQ_KIOSK_TOKEN)")
    p.add_argument("--printer", default=os.environ.get("HALLQ_PRINTER", "dummy://"),
                   help="tcp://host:9100, usb://04b8:0202, serial:///dev/ttyS0?baudrate=19200, file:///dev/usb/lp0, "
                        "cups://queue, dummy://")
    p.add_argument("--paper", type=int, choices=[58, 80], help="paper width in mm (default: the kiosk's setting "
                   "on the server, else 80)")
    p.add_argument("--encoding", choices=[e.value for e in Encoding], help="default: the kiosk's setting, else gbk")
    p.add_argument("--raster-qr", action="store_true", help="send the QR as an image (no GS ( k support)")
    p.add_argument("--state-dir", type=Path, default=Path(os.environ.get("HALLQ_AGENT_STATE", ".hallq-agent")))
    p.add_argument("--test-page", action="store_true", help="print the qualification test page and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    if args.test_page:
        config = PrinterConfig(url=args.printer, paper_mm=args.paper or 80, encoding=Encoding(args.encoding or "gbk"),
                               native_qr=not args.raster_qr)
        try:
            done = printer.print_layout(layout.qualification_page(config.paper_mm, config.encoding.value), config,
                                        line_images=True)
        except printer.PrintError as exc:
            print(f"打印失败 print failed: {exc.code}", file=sys.stderr)
            return 1
        print(f"测试页已发送 test page sent ({len(done.data)} bytes)", file=sys.stderr)
        return 0
    if not args.token:
        print("a kiosk token is needed: --token or HALLQ_KIOSK_TOKEN", file=sys.stderr)
        return 2
    settings = server_printer_settings(args.server, args.token)
    config = PrinterConfig(
        url=args.printer, paper_mm=args.paper or int(settings.get("paper_mm", 80)),
        encoding=Encoding(args.encoding or settings.get("encoding", "gbk")),
        native_qr=not args.raster_qr and bool(settings.get("native_qr", True)),
    )
    agent = PrintAgent(AgentConfig(server=args.server, token=args.token, printer=config, state_dir=args.state_dir))
    try:
        agent.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
