"""AlertTicker: runs the alert evaluator of a hall soon after its writes, and of every hall periodically (a wait
limit is crossed by time passing, with no write to notice it).

Adapter: writes only through Runtime.execute(engine.evaluate_alerts). Its thread is started by `hallq serve` in the
worker process (threads do not survive gunicorn's fork); an app without it still evaluates through
POST /api/v1/halls/{hall}/alerts/evaluate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sqlalchemy import select

from queue_server import engine
from queue_server.errors import HallqError
from queue_server.events import ALERT_RAISED
from queue_server.events import ALERT_UPDATED
from queue_server.events import Envelope
from queue_server.models import Hall
from queue_server.runtime import Runtime

log = logging.getLogger(__name__)

PERIOD_S = 30.0  # a wait limit is in minutes; half a minute late is well inside what a manager notices
SETTLE_S = 0.5  # a burst of writes (issue, call, finish) is evaluated once, after it settles


class AlertTicker:
    def __init__(self, runtime: Runtime, period_s: float = PERIOD_S) -> None:
        self.runtime = runtime
        self.period_s = period_s
        self._poked: set[str] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        while not self._stop.is_set():
            poked = self._wake.wait(self.period_s)
            if self._stop.is_set():
                return
            if poked:
                self._stop.wait(SETTLE_S)
            self._wake.clear()
            with self._lock:
                halls, self._poked = self._poked, set()
            self.evaluate(sorted(halls) if poked else self._all_halls())

    def _all_halls(self) -> list[str]:
        with self.runtime.store.read_session() as session:
            return list(session.scalars(select(Hall.code).order_by(Hall.id)))

    def evaluate(self, halls: Sequence[str]) -> None:
        for code in halls:
            try:
                self.runtime.execute(engine.evaluate_alerts, hall=code)
            except HallqError:  # the hall was deleted meanwhile
                log.warning("alert evaluation skipped for hall %s", code)
            except Exception:  # the thread must outlive a database hiccup; the next round retries
                log.exception("alert evaluation failed for hall %s", code)
