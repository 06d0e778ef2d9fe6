"""The print agent (`hallq-print-agent`): runs on the kiosk PC next to its ticket printer.

It long-polls the server for the kiosk's print jobs with the kiosk's token, prints each through kiosk.layout and
kiosk.printer, and reports printed or failed. The server decides what may still print (engine/queue/printing.py):
each job comes with `print_within_s`, the time left before the kiosk page tells the citizen 打印失败; the agent
never starts sending a job it cannot finish by then, and a failure it reports is final.

A job counts as printed only when the printer took every byte and said it was ready after the cut (kiosk.printer
asks DLE EOT on the same connection). A job broken off mid-way (reset, no answer after the cut) is printed again
whole, marked 补打, while its time allows; else it is reported failed (`interrupted`), and the citizen or a clerk
can ask for a reprint, which is a new job.

Printed once: before sending, the agent notes the job in a small journal (its state folder, kiosk/agent_env.py);
after printing, the outcome, then it reports. An agent that died between printing and reporting reports from its
journal when it starts again; one that died while sending reports `interrupted` (part of a ticket may be out).

It looks at the printer between jobs too (DLE EOT every `status_every_s`) and reports each change of state
(online, paper_low, paper_out, cover_open, offline...) to the server for the manager's monitor; it logs once when
the printer goes bad and once when it returns, never per retry. Imports nothing from the server package; talks
to the server over HTTP (urllib, stdlib).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk import agent_env
from kiosk import layout
from kiosk import printer
from kiosk.encoder import Encoding
from kiosk.printer import PrinterConfig
from kiosk.printer import PrinterStatus

log = logging.getLogger("kiosk.agent")  # the same name when run as `python -m kiosk.agent`

LONG_POLL_S = 20  # the server holds a fetch this long when there is nothing to print (it caps at 25 s)
RETRY_S = 5.0  # between looks at a printer that is out, or a server that is down
HTTP_MARGIN_S = 10  # the HTTP timeout is the long-poll plus this
# An attempt (ask, send, hear "ready" after the cut) is not started with less time than this left before the
# job's deadline: a ticket that comes out after the kiosk said 打印失败 misleads.
MIN_ATTEMPT_S = 2.0
REPRINT_PAUSE_S = 0.5  # before sending a broken job again: a printer that reset needs a moment
DEFAULT_WITHIN_S = 10.0  # a job from a server that does not say how long it has
BAD = (PrinterStatus.PAPER_OUT, PrinterStatus.COVER_OPEN, PrinterStatus.OFFLINE, PrinterStatus.ERROR)


@dataclass
class AgentConfig:
    server: str
    token: str
    printer: PrinterConfig
    state_dir: Path
    wait_s: float = LONG_POLL_S
    retry_s: float = RETRY_S
    status_every_s: float = LONG_POLL_S  # how often the printer is asked between jobs (0: every round)


class ServerUnavailable(Exception):
    """The server did not answer (down, restarting, network)."""


@dataclass
class Journal:
    """Jobs being sent, and outcomes not yet acknowledged by the server; this agent's stable id."""

    path: Path
    agent: str = ""
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> {"outcome", "sends"}

    @classmethod
    def load(cls, state_dir: Path) -> Journal:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "print-agent.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            pending = {k: ({"outcome": v, "sends": None} if isinstance(v, str) else dict(v))
                       for k, v in dict(data.get("pending", {})).items()}
            journal = cls(path, data.get("agent", ""), pending)
            # Died while sending: part of a ticket may be on the paper, or all of it; say so, print nothing more.
            for entry in journal.pending.values():
                if entry["outcome"] == "sending":
                    entry["outcome"] = "failed:interrupted"
            journal.save()
            return journal
        journal = cls(path, "agent-" + secrets.token_hex(6))
        journal.save()
        return journal

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"agent": self.agent, "pending": self.pending}), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: a crash leaves the old or the new journal, never half of one

    def note(self, job_id: int, outcome: str, sends: int | None = None) -> None:
        self.pending[str(job_id)] = {"outcome": outcome, "sends": sends}
        self.save()

    def outcome(self, job_id: int) -> str | None:
        entry = self.pending.get(str(job_id))
        return entry["outcome"] if entry else None

    def done(self, job_id: int) -> None:
        if self.pending.pop(str(job_id), None) is not None:
            self.save()


class PrintAgent:
    def __init__(self, config: AgentConfig, stop: threading.Event | None = None) -> None:
        self.config = config
        self.stop = stop or threading.Event()
        self.journal = Journal.load(config.state_dir)
        self.printer_state = PrinterStatus.UNKNOWN
        self.reported_state: PrinterStatus | None = None  # what the server was last told
        self.looked_at = float("-inf")  # monotonic time of the last look at the printer
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
        """Claim printable jobs. Each gets `_deadline`, this PC's monotonic clock time by which its printer's
        answer must be in (counted from before the request: the server's `print_within_s` can only be later)."""
        wait = self.config.wait_s if wait_s is None else wait_s
        asked = time.monotonic()
        jobs: list[dict[str, Any]] = self._request(
            "GET", f"/api/v1/print-jobs?wait={wait:g}&agent={self.journal.agent}", timeout=wait + HTTP_MARGIN_S)
        for job in jobs:
            within = job.get("print_within_s")
            job["_deadline"] = asked + (DEFAULT_WITHIN_S if within is None else float(within))
        return jobs

    def report(self, job_id: int, outcome: str, sends: int | None = None) -> None:
        status, _, error = outcome.partition(":")
        payload: dict[str, Any] = {"status": status, "error": error or None}
        if sends:
            payload["sends"] = sends
        try:
            self._request("POST", f"/api/v1/print-jobs/{job_id}/result", payload)
        except urllib.error.HTTPError as exc:
            # 404/409: the server no longer wants this report (job gone, or already settled); drop it.
            log.warning("print job %s: result %s not accepted (HTTP %s)", job_id, status, exc.code)
        self.journal.done(job_id)

    def report_pending(self) -> None:
        """Send the outcomes the server has not acknowledged yet (after a crash or while it was down)."""
        for job_id, entry in list(self.journal.pending.items()):
            if entry["outcome"] != "sending":
                self.report(int(job_id), entry["outcome"], entry.get("sends"))

    # -- printer --------------------------------------------------------------------------------------------
    def _printer_seen(self, state: PrinterStatus) -> None:
        if state in BAD and self.printer_state not in BAD:
            log.warning("printer %s: %s", self.config.printer.url, state.value)
        elif state not in BAD and self.printer_state in BAD:
            log.info("printer %s is back (%s)", self.config.printer.url, state.value)
        if state is PrinterStatus.PAPER_LOW and self.printer_state is not PrinterStatus.PAPER_LOW:
            log.warning("printer %s: paper low, change the roll soon", self.config.printer.url)
        self.printer_state = state
        self.looked_at = time.monotonic()
        self.tell_server()

    def tell_server(self) -> None:
        """Report the printer's state when the server does not know it yet (retried each round until it does)."""
        if self.printer_state == self.reported_state:
            return
        try:
            self._request("POST", "/api/v1/kiosks/me/printer-status", {"state": self.printer_state.value})
            self.reported_state = self.printer_state
        except ServerUnavailable:
            self._server_seen(False)
        except urllib.error.HTTPError as exc:
            log.warning("printer state %s not accepted (HTTP %s)", self.printer_state.value, exc.code)
            self.reported_state = self.printer_state

    def look_at_printer(self) -> PrinterStatus:
        state = printer.status(self.config.printer.url)
        self._printer_seen(state)
        return state

    def printer_ready(self) -> bool:
        return self.look_at_printer() not in BAD

    def print_job(self, job: dict[str, Any]) -> str:
        """Print one job by its deadline unless the journal says it was printed; note the outcome; return it."""
        job_id = int(job["id"])
        if self.journal.outcome(job_id) == "printed":
            return "printed"
        deadline = float(job.get("_deadline", time.monotonic() + DEFAULT_WITHIN_S))
        again = bool(job.get("reprint"))
        sends = 0
        error = "printer_offline"
        while True:
            left = deadline - time.monotonic()
            if left < MIN_ATTEMPT_S:
                log.warning("print job %s (%s): no time left to print it; reporting %s", job_id, job.get("number"),
                            error)
                outcome = f"failed:{error}"
                break
            self.journal.note(job_id, "sending", sends + 1)
            try:
                sent = printer.send(self.config.printer.url, printer.render(
                    ticket_layout(job, self.config.printer.paper_mm, reprint=again), self.config.printer).data,
                    timeout=min(printer.SEND_TIMEOUT_S, left))
                sends += 1
                outcome = "printed"
                log.info("print job %s (%s) printed%s", job_id, job.get("number"), " (补打)" if again else "")
                self._printer_seen(sent if sent is not PrinterStatus.UNKNOWN else self.printer_state)
                break
            except printer.PrintError as exc:
                error = exc.code
                if exc.sent:
                    sends += 1
                    # Half a ticket may be on the paper: the next one goes whole, marked 补打.
                    log.warning("print job %s (%s) broken off mid-way (%s); printing it again whole, marked 补打",
                                job_id, job.get("number"), exc)
                    again = True
                    self.stop.wait(min(REPRINT_PAUSE_S, max(0.0, left - MIN_ATTEMPT_S)))
                    continue
                self._printer_seen(_state_of(exc.code))
                if exc.code == "printer_offline" and sends:
                    self.stop.wait(min(REPRINT_PAUSE_S, max(0.0, left - MIN_ATTEMPT_S)))
                    continue  # it was there a moment ago (a reset): give it the job's remaining time
                outcome = f"failed:{exc.code}"
                log.warning("print job %s (%s) not printed: %s", job_id, job.get("number"), exc.code)
                break
        self.journal.note(job_id, outcome, sends or None)
        return outcome

    # -- loop -----------------------------------------------------------------------------------------------
    def step(self, wait_s: float | None = None) -> int:
        """One round: report leftovers, look at the printer when due, fetch and print. Returns jobs handled."""
        try:
            self.report_pending()
            bad = self.printer_state in BAD
            if bad or time.monotonic() - self.looked_at >= self.config.status_every_s:
                bad = self.look_at_printer() in BAD
            else:
                self.tell_server()
            # While the printer is bad the jobs are still fetched: each fails at once with its reason, so the kiosk
            # says why now, not at the deadline. The long-poll is shortened to notice the printer's return.
            wait = self.config.wait_s if wait_s is None else wait_s
            handled = 0
            for job in self.fetch(min(wait, self.config.retry_s) if bad else wait):
                outcome = self.print_job(job)
                self.report(int(job["id"]), outcome, self.journal.pending.get(str(job["id"]), {}).get("sends"))
                handled += 1
            return handled
        except ServerUnavailable:
            self._server_seen(False)
            return 0

    def run(self) -> None:
        log.info("print agent %s: server %s, printer %s, state in %s", self.journal.agent, self.config.server,
                 self.config.printer.url, self.config.state_dir)
        while not self.stop.is_set():
            handled = self.step()
            if not handled and not self.server_up:
                self.stop.wait(self.config.retry_s)


def _state_of(code: str) -> PrinterStatus:
    return {"paper_out": PrinterStatus.PAPER_OUT, "cover_open": PrinterStatus.COVER_OPEN,
            "printer_error": PrinterStatus.ERROR}.get(code, PrinterStatus.OFFLINE)


def ticket_layout(job: dict[str, Any], paper_mm: int, *, reprint: bool = False) -> layout.TicketLayout:
    """The paper for a job; `reprint` (or the job's own flag) marks it 补打."""
    issued = datetime.strptime(job.get("issued_local") or "1970-01-01 00:00", "%Y-%m-%d %H:%M")
    reprinted = job.get("reprinted_local")
    return layout.ticket_layout(layout.TicketData(
        hall_name=job.get("hall_name") or "", service_name=job.get("service_name") or "",
        number=job.get("number") or "", ahead=int(job.get("ahead") or 0),
        estimated_wait_s=int(job.get("estimated_wait_s") or 0), issued_at=issued,
        track_url=job.get("track_url") or "", materials=tuple(job.get("materials") or ()),
        priority_name=job.get("priority_name"), person_masked=job.get("person_masked"),
        reprint=reprint or bool(job.get("reprint")),
        reprinted_at=datetime.strptime(reprinted, "%Y-%m-%d %H:%M") if reprinted else None,
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
    p.add_argument("--token-file", type=Path, help="a file holding the kiosk's token, readable by this user only "
                   "(chmod 600); or HALLQ_KIOSK_TOKEN_FILE, or HALLQ_KIOSK_TOKEN in the environment")
    p.add_argument("--token", help="the kiosk's token on the command line: discouraged, every user sees it in "
                   "`ps` (use --token-file or HALLQ_KIOSK_TOKEN)")
    p.add_argument("--printer", default=os.environ.get("HALLQ_PRINTER", "dummy://"),
                   help="tcp://host:9100, usb://04b8:0202, serial:///dev/ttyS0?baudrate=19200, file:///dev/usb/lp0, "
                        "cups://queue, dummy://")
    p.add_argument("--paper", type=int, choices=[58, 80], help="paper width in mm (default: the kiosk's setting "
                   "on the server, else 80)")
    p.add_argument("--encoding", choices=[e.value for e in Encoding], help="default: the kiosk's setting, else gbk")
    p.add_argument("--raster-qr", action="store_true", help="send the QR as an image (no GS ( k support)")
    p.add_argument("--state-dir", type=Path, default=None,
                   help="identity and journal (default: HALLQ_AGENT_STATE, systemd's STATE_DIRECTORY, else "
                        "~/.local/state/hallq-print-agent, on Windows %%LOCALAPPDATA%%\\hallq\\print-agent); "
                        "never relative to the working directory")
    p.add_argument("--log-file", type=Path, default=os.environ.get("HALLQ_AGENT_LOG") or None,
                   help="append the log here (default: stderr; or HALLQ_AGENT_LOG)")
    p.add_argument("--log-level", default=os.environ.get("HALLQ_AGENT_LOG_LEVEL", "INFO"),
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument("--long-poll", type=float, default=float(os.environ.get("HALLQ_AGENT_LONG_POLL", LONG_POLL_S)),
                   metavar="SECONDS", help=f"how long the server holds a fetch while nothing is to print (0-25, "
                   f"default {LONG_POLL_S}); below a proxy's idle timeout")
    p.add_argument("--test-page", action="store_true", help="print the qualification test page and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    agent_env.setup_logging(args.log_level, args.log_file)
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
    try:
        args.token = agent_env.read_token(args.token, args.token_file)
    except agent_env.TokenError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not 0 <= args.long_poll <= 25:
        print("--long-poll must be 0 to 25 seconds (the server holds a fetch at most 25 s)", file=sys.stderr)
        return 2
    settings = server_printer_settings(args.server, args.token)
    config = PrinterConfig(
        url=args.printer, paper_mm=args.paper or int(settings.get("paper_mm", 80)),
        encoding=Encoding(args.encoding or settings.get("encoding", "gbk")),
        native_qr=not args.raster_qr and bool(settings.get("native_qr", True)),
    )
    state_dir = (args.state_dir or agent_env.default_state_dir()).expanduser().absolute()
    agent = PrintAgent(AgentConfig(server=args.server, token=args.token, printer=config, state_dir=state_dir,
                                   wait_s=args.long_poll, status_every_s=max(args.long_poll, RETRY_S)))
    try:
        agent.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
