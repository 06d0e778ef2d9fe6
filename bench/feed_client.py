"""A long-lived /live client that follows static/js/feed.js: it subscribes with the last seq it applied on every
(re)connect, drops duplicates, holds out-of-order events for GAP_WAIT_S and then re-subscribes, and can send the
`sync` heartbeat. Two server processes may publish adjacent seqs out of order, and a process killed between
commit and publish never publishes at all: only a client that behaves like feed.js ends up complete.

Shared by tests/deploy and bench/simday.py (whose displays also count what the server delivered twice or out of
order, and time each arrival for the call-to-screen latency).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import socketio

NAMESPACE = "/live"
GAP_WAIT_S = 1.0  # feed.js GAP_WAIT_MS


class FeedClient:
    def __init__(self, url: str, token: str, hall: str = "t1",
                 on_event: Callable[[dict[str, Any], float], None] | None = None) -> None:
        self.hall = hall
        # Called for every event as it arrives (before de-duplication), with its perf_counter arrival time.
        self.on_event = on_event
        self.duplicates = 0  # events delivered again after they were applied (dropped, as feed.js does)
        self.held = 0  # events that arrived ahead of a missing seq and were held
        self.resubscribes = 0  # gaps that did not close by themselves: re-subscribed with `since`
        self.applied: list[dict[str, Any]] = []
        self.start_seq: int | None = None  # the first snapshot's seq: applied events follow it
        self.snapshots = 0  # after the first, each means a resync that skipped events instead of replaying them
        self.last: int | None = None
        self.pending: dict[int, dict[str, Any]] = {}
        self.lock = threading.Condition()
        self.subscriptions = 0
        self._gap_timer: threading.Timer | None = None
        self.client = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
        self.client.on("connect", lambda: self.client.start_background_task(self.subscribe), namespace=NAMESPACE)
        self.client.on("event", self._event, namespace=NAMESPACE)
        self.client.on("snapshot", self._snapshot, namespace=NAMESPACE)
        self.client.on("disconnect", self._close_transport, namespace=NAMESPACE)
        self.client.connect(url, auth={"token": token}, namespaces=[NAMESPACE], transports=["websocket"],
                            wait_timeout=10)

    def subscribe(self) -> None:
        with self.lock:
            since = self.last
        try:
            ack = self.client.call("subscribe", {"hall": self.hall, "since": since}, namespace=NAMESPACE, timeout=10)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            return  # the connection went away meanwhile; the next connect subscribes again
        with self.lock:
            if isinstance(ack, dict) and ack.get("ok"):
                if self.last is None or ack["seq"] > self.last:
                    self.last = ack["seq"]
                self._drain_pending()
                self.subscriptions += 1
            self.lock.notify_all()

    def sync(self) -> None:
        """The 20 s heartbeat, sent now: behind the server's seq -> re-subscribe (replay)."""
        with self.lock:
            last = self.last
        ack = self.client.call("sync", {"last_seq": last}, namespace=NAMESPACE, timeout=10)
        if isinstance(ack, dict) and ack.get("ok") and (last is None or ack["seq"] > last):
            self.subscribe()

    def wait_for(self, seq: int, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: self.last is not None and self.last >= seq, timeout=timeout)

    def wait_subscribed(self, times: int, timeout: float) -> bool:
        """Until the server acknowledged `times` subscriptions in all (one per connect, plus gap re-subscribes)."""
        with self.lock:
            return self.lock.wait_for(lambda: self.subscriptions >= times, timeout=timeout)

    def close(self) -> None:
        with self.lock:
            if self._gap_timer is not None:
                self._gap_timer.cancel()
        self.client.disconnect()

    def _apply(self, event: dict[str, Any]) -> None:
        self.last = event["seq"]
        self.applied.append(event)

    def _drain_pending(self) -> None:
        for seq in sorted(self.pending):
            if self.last is not None and seq <= self.last:
                del self.pending[seq]
            elif self.last is not None and seq == self.last + 1:
                self._apply(self.pending.pop(seq))

    def _event(self, event: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(event, time.perf_counter())
        with self.lock:
            seq = event["seq"]
            if self.last is not None and seq <= self.last:
                self.duplicates += 1
                return  # duplicate: already applied
            if self.last is None or seq == self.last + 1:
                self._apply(event)
                self._drain_pending()
            else:
                self.held += 1
                self.pending[seq] = event
                if self._gap_timer is None:
                    self._gap_timer = threading.Timer(GAP_WAIT_S, self._gap)
                    self._gap_timer.daemon = True
                    self._gap_timer.start()
            self.lock.notify_all()

    def _gap(self) -> None:
        with self.lock:
            self._gap_timer = None
            still_open = bool(self.pending)
        if still_open:
            with self.lock:
                self.resubscribes += 1
            self.subscribe()

    def _snapshot(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.snapshots += 1
            self.last = data["seq"]
            if self.start_seq is None:
                self.start_seq = data["seq"]
            self._drain_pending()
            self.lock.notify_all()

    def _close_transport(self, reason: str = "") -> None:
        # python-engineio's client drops (without closing) the websocket of a connection the server cut; close
        # it so the test leaks no socket (pytest turns the ResourceWarning into an error).
        ws = getattr(self.client.eio, "ws", None)
        if ws is not None and reason != self.client.reason.CLIENT_DISCONNECT:
            ws.shutdown()
