"""`hallq serve`: gunicorn (gthread, one worker) inside the CLI, so the embedded default gets a production server.

Measured on the 2-core reference machine (docs/benchmarks.md): Werkzeug's threaded server tops out well below
gunicorn's gthread worker for the same handler, and its latency tail is wider.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from queue_server.operations import shutdown
from queue_server.operations.heap import freeze_startup_heap
from queue_server.storage.serving import ServingMark

# Request threads plus one per open websocket (displays and phones hold one each while connected).
DEFAULT_THREADS = 256


def worker_connections(threads: int) -> int:
    """gthread accepts no new connection once this many are open, idle keep-alives included. Its default (1000)
    is fewer than the websockets a busy process holds, and then even call-next cannot get in: leave room for
    idle keep-alives on top of a thread per websocket."""
    return max(1000, 2 * threads)


class HallqLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's own messages (worker boot, timeouts, signals) through hallq's log handler, so that with
    HALLQ_LOG_FORMAT=json every line a server writes is JSON (request_log.configure) instead of gunicorn's text."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            logger.handlers.clear()
            logger.propagate = True


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Any, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return self._app


def start_worker_threads(app: Any) -> None:
    """The serving process's own threads: the alert ticker (alert_ticker.py), on SQLite the WAL checkpointer
    (storage/wal.py), and the realtime relay's outbox tailer (realtime/relay.py); and its mark as a server of the
    database, which `hallq restore` respects (storage/serving.py)."""
    app.extensions["hallq.serving"] = ServingMark(app.extensions["hallq"].settings.database_url)
    app.extensions["hallq.alerts"].start()
    app.extensions["hallq.wal"].start()
    app.extensions["hallq.hub"].relay.start_tailer()


def worker_started(worker: Any) -> None:
    """gunicorn's post_worker_init, for `hallq serve` and deploy/gunicorn.conf.py alike: threads do not survive
    the fork, so they start here, and the stop signals get hallq's handling (shutdown.py)."""
    app = worker.wsgi
    start_worker_threads(app)
    shutdown.install(worker, app.extensions["hallq.hub"].close_all)


def serve(app: Any, host: str, port: int, *, threads: int | None = None) -> None:
    """Serve an app built by the composition root (the CLI hands in create_app's result, so this module does not
    import the layer above it)."""
    freeze_startup_heap()  # before the fork: full collections then skip the start-up heap (heap.py says why)
    threads = threads or int(os.environ.get("HALLQ_THREADS", DEFAULT_THREADS))
    _Gunicorn(app, {
        "bind": f"{host}:{port}",
        "workers": 1,  # Socket.IO state is per process; scale out with more processes behind nginx
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": worker_connections(threads),
        "timeout": 60,
        "graceful_timeout": shutdown.GRACEFUL_TIMEOUT_S,
        "keepalive": 5,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "logger_class": HallqLogger,
        "post_worker_init": worker_started,
        "worker_exit": lambda arbiter, worker: shutdown.exit_now(worker),
    }).run()
