"""`/metrics` in the Prometheus text format, `/readyz` (database and Redis reachable) for one server process.

A web adapter. Several processes run behind nginx and each keeps its own registry: Prometheus scrapes every process
on its own port (deploy/prometheus.yml), and sums the per-process counters (requests, published events, connected
clients). The queue figures (issued, served, waiting) are read from the database at scrape time, so every process
reports the same exact values: aggregate them with max(), never sum().
"""

from __future__ import annotations

import gc
import hmac
import logging
import time
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime

from flask import Flask
from flask import Response
from flask import g
from flask import request
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text

from queue_server.events import Envelope
from queue_server.operations import heap
from queue_server.queries import snapshots
from queue_server.settings import is_loopback_host
from queue_server.storage.store import Store
from queue_server.storage.wal import Checkpoints

log = logging.getLogger(__name__)

# Request latency buckets (s): the write path answers in ~10-40 ms on the reference machine; 1 s+ means trouble.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Event lag buckets (s): commit -> handed to Socket.IO; displays should announce within a second.
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
# generate_latest() writes the classic text format, which every Prometheus version scrapes.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# /readyz must answer within a load balancer's probe timeout, even when Redis hangs.
REDIS_PING_TIMEOUT_S = 2.0


class QueueCollector(Collector):
    """Reads today's queue figures and this process's client count at scrape time."""

    def __init__(self, store: Store, now: Callable[[], datetime], clients: Callable[[], int],
                 checkpoints: Checkpoints | None = None) -> None:
        self.store = store
        self.now = now
        self.clients = clients
        self.checkpoints = checkpoints

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        labels = ["hall", "service"]
        issued = GaugeMetricFamily("hallq_tickets_issued_today", "Tickets issued today (hall service day)",
                                   labels=labels)
        served = GaugeMetricFamily("hallq_tickets_served_today", "Tickets finished today", labels=labels)
        waiting = GaugeMetricFamily("hallq_tickets_waiting", "Tickets waiting now", labels=labels)
        with self.store.read_session() as session:
            for row in snapshots.service_counts(session, self.now()):
                issued.add_metric([row.hall, row.service], row.issued)
                served.add_metric([row.hall, row.service], row.served)
                waiting.add_metric([row.hall, row.service], row.waiting)
        yield from (issued, served, waiting)
        yield GaugeMetricFamily("hallq_socketio_clients", "Socket.IO clients connected to this process",
                                value=self.clients())
        # A full collection stalls the whole process; the start-up heap is frozen out of it (heap.py).
        yield GaugeMetricFamily("hallq_gc_frozen_objects", "Start-up objects frozen out of garbage collection",
                                value=gc.get_freeze_count())
        yield GaugeMetricFamily("hallq_gc_threshold_objects", "Allocations between two young garbage collections",
                                value=gc.get_threshold()[0])
        yield CounterMetricFamily("hallq_gc_full_collections", "Full (generation 2) garbage collections",
                                  value=heap.PAUSES.count)
        yield CounterMetricFamily("hallq_gc_full_pause_seconds", "Time spent in full garbage collections",
                                  value=heap.PAUSES.total_s)
        yield GaugeMetricFamily("hallq_gc_full_pause_max_seconds", "Longest full garbage collection so far",
                                value=heap.PAUSES.max_s)
        if self.checkpoints is not None:  # SQLite: the log is copied back by the server's thread (wal.py)
            seen = self.checkpoints
            yield CounterMetricFamily("hallq_sqlite_checkpoints", "WAL checkpoints run by this process's thread",
                                      value=seen.runs)
            yield CounterMetricFamily("hallq_sqlite_checkpoint_seconds", "Time spent in those checkpoints",
                                      value=seen.total_s)
            yield GaugeMetricFamily("hallq_sqlite_checkpoint_max_seconds", "Longest of those checkpoints",
                                    value=seen.max_s)
            yield GaugeMetricFamily("hallq_sqlite_wal_pages", "Pages in the WAL at the last checkpoint",
                                    value=seen.log_frames)
            yield GaugeMetricFamily("hallq_sqlite_wal_pages_left", "Of those, pages a reader kept it from copying",
                                    value=seen.left_frames)


class Metrics:
    """One registry per app: tests build many apps in one process, and the global registry refuses duplicates."""

    def __init__(self, store: Store, now: Callable[[], datetime], clients: Callable[[], int],
                 checkpoints: Checkpoints | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram("hallq_http_request_duration_seconds", "HTTP request latency",
                                  ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.events = Counter("hallq_events_published", "Events committed and published by this process",
                              ["type"], registry=self.registry)
        self.lag = Histogram("hallq_event_lag_seconds", "Event stamped in the write transaction -> handed to the hub",
                             buckets=LAG_BUCKETS, registry=self.registry)
        self.now = now
        self.registry.register(QueueCollector(store, now, clients, checkpoints))

    def observe_published(self, envelopes: Sequence[Envelope]) -> None:
        now = self.now()
        for env in envelopes:
            self.events.labels(env.type).inc()
            self.lag.observe(max(0.0, (now - env.at).total_seconds()))

    def install(self, app: Flask) -> None:
        @app.before_request
        def _start() -> None:
            g.metrics_started = time.perf_counter()

        @app.after_request
        def _observe(response: Response) -> Response:
            started = g.get("metrics_started")
            if started is not None:
                # The route pattern, not the path: one series per route, however many tickets and tokens exist.
                route = request.url_rule.rule if request.url_rule is not None else "unmatched"
                self.requests.labels(request.method, route, str(response.status_code)).observe(
                    time.perf_counter() - started)
            return response

    def exposition(self) -> Response:
        return Response(generate_latest(self.registry), content_type=CONTENT_TYPE)


# Headers a reverse proxy adds: a request carrying one came from elsewhere, even if the proxy's own hop is loopback.
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")


def may_scrape(remote_addr: str | None, headers: Mapping[str, str], token: str | None) -> bool:
    """/metrics answers a scraper on this machine (loopback, not relayed by a proxy) or one that shows the scrape
    token in the Authorization header (never in the URL, which access logs keep). Compared in constant time."""
    if is_loopback_host(remote_addr) and not any(h in headers for h in PROXY_HEADERS):
        return True
    scheme, _, offered = headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        offered.strip().encode(), (token or "").encode())


def readiness(store: Store, redis_url: str | None) -> dict[str, str]:
    """"ok" or the failure per dependency; the process is ready when every value is "ok"."""
    checks: dict[str, str] = {}
    try:
        with store.writer.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the reason goes to the operator
        log.warning("readiness: database unreachable: %s", exc)
        checks["database"] = type(exc).__name__
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=REDIS_PING_TIMEOUT_S,
                                      socket_connect_timeout=REDIS_PING_TIMEOUT_S)
        try:
            client.ping()
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001 - as above
            log.warning("readiness: Redis unreachable: %s", exc)
            checks["redis"] = type(exc).__name__
        finally:
            client.close()
    return checks
