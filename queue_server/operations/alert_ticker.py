"""AlertTicker: runs a hall's housekeeping round (engine.housekeep: parked tickets due back, print jobs expired,
then the alert evaluator) soon after its writes, and for every hall periodically (a wait limit or a park time is
crossed by time passing, with no write to notice it).

Every 5 minutes it also keeps the halls' recent closed days' report figures (reports/keeper.py), so month
reports are fast.

Adapter: hall writes only through Runtime.execute(engine.housekeep); report figures through keeper. Its
thread is started by `hallq serve` in the worker process (threads do not survive gunicorn's fork); an app without
it still evaluates through POST /api/v1/halls/{hall}/alerts/evaluate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import select

from queue_server import engine
from queue_server.errors import HallqError
from queue_server.events import ALERT_RAISED
from queue_server.events import ALERT_UPDATED
from queue_server.events import Envelope
from queue_server.reports import keeper
from queue_server.storage.models import Hall
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import log_failed_round

log = logging.getLogger(__name__)

PERIOD_S = 30.0  # a wait limit is in minutes; half a minute late is well inside what a manager notices
# Closed days change rarely (a leg closed after midnight, a new standard duration): a look every 5 minutes, which
# costs a few index counts per hall when nothing changed, keeps month reports fast soon after any change.
KEEP_REPORTS_EVERY_S = 300.0
SETTLE_S = 0.5  # a burst of writes (issue, call, finish) is evaluated once, after it settles
# While writes keep coming, a round at most this often: a round holds the hall's write lock for a few ms, and every
# call waiting behind it waits that long (at 0.5 s, one call in ten at 8 busy windows; docs/benchmarks.md, goal 1).
# Alerts then come within a few seconds of their cause, well inside what a manager notices.
BUSY_GAP_S = 2.0


class AlertTicker:
    def __init__(self, runtime: Runtime, period_s: float = PERIOD_S, busy_gap_s: float = BUSY_GAP_S) -> None:
        self.runtime = runtime
        self.period_s = period_s
        self.busy_gap_s = busy_gap_s
        self._poked: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._kept_at = -KEEP_REPORTS_EVERY_S

    def after_publish(self, envelopes: Sequence[Envelope]) -> None:
        """Note the halls whose state changed (not through alerts themselves: that would evaluate forever)."""
        halls = {e.hall for e in envelopes if e.type not in (ALERT_RAISED, ALERT_UPDATED)}
        if halls:
            with self._lock:
                self._poked |= halls
            self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hallq-alerts", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        swept = time.monotonic()
        last_round = -self.busy_gap_s
        while not self._stop.is_set():
            poked = self._wake.wait(self.period_s)
            if self._stop.is_set():
                return
            if poked:
                self._stop.wait(max(SETTLE_S, last_round + self.busy_gap_s - time.monotonic()))
            self._wake.clear()
            with self._lock:
                halls, self._poked = self._poked, set()
            try:
                # Every hall at least once a period, even while a steady stream of writes in one busy hall keeps
                # waking the thread: a quiet county hall's wait limit is crossed by time alone.
                if not poked or time.monotonic() - swept >= self.period_s:
                    swept = time.monotonic()
                    self.evaluate(self._all_halls())
                else:
                    self.evaluate(sorted(halls))
                last_round = time.monotonic()
                self.keep_report_days()
            except Exception as exc:  # listing the halls failed: the thread must outlive a database restart
                log_failed_round(log, exc, "housekeeping round failed")

    def keep_report_days(self, halls: Sequence[str] | None = None) -> None:
        """Every KEEP_REPORTS_EVERY_S: keep the recent closed days of these halls (default: all) for the reports
        (reports/keeper.py); the first round after start-up catches up what an upgrade or a restore left unkept."""
        now = time.monotonic()
        if now - self._kept_at < KEEP_REPORTS_EVERY_S:
            return
        self._kept_at = now
        for code in halls if halls is not None else self._all_halls():
            try:
                keeper.keep_recent(self.runtime.store, self.runtime.clock, code)
            except Exception as exc:  # the thread must outlive a database hiccup; the next round retries
                log_failed_round(log, exc, "report days not kept for hall %s", code)

    def _all_halls(self) -> list[str]:
        with self.runtime.store.read_session() as session:
            return list(session.scalars(select(Hall.code).order_by(Hall.id)))

    def evaluate(self, halls: Sequence[str]) -> None:
        for code in halls:
            try:
                self.runtime.execute(engine.housekeep, hall=code)
            except HallqError:  # the hall was deleted meanwhile
                log.warning("alert evaluation skipped for hall %s", code)
            except Exception as exc:  # the thread must outlive a database hiccup; the next round retries
                log_failed_round(log, exc, "alert evaluation failed for hall %s", code)
