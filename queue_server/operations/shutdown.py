"""Stopping a serving process in seconds, on SIGTERM (systemd, containers) and SIGINT (Ctrl+C) alike.

Why not gunicorn's own stop: on SIGTERM its gthread worker stops accepting but keeps its listening socket open
until the end, so the kernel keeps queueing connections that nginx then waits on, and every open websocket holds
a connection until the graceful timeout; on SIGINT it exits from the signal handler while the request threads run
on, so in-flight requests are cut and the process lingers until it is killed. A hall restarts one process at a
time behind nginx and expects nobody to notice.

So, in the worker, on the first stop signal:
1. Stop listening at once: connections the kernel already queued are accepted (they are served), then the
   listening sockets close, so a new connection is refused and nginx sends it to another process.
2. Close every Socket.IO connection: displays and phones reconnect (through nginx, to a process that is up) and
   resume from the last seq they applied, by replay.
3. Let in-flight requests finish; long-polls (print agents) see `stopping` and answer at once. gunicorn's
   graceful loop waits for them and for kept-alive connections (at most its 2 s linger) within graceful_timeout.
4. Exit without joining threads that have nothing left to do (worker_exit: `exit_now`).

This reaches into gunicorn's gthread worker, pinned exactly in pyproject.toml (tests/ops/test_gunicorn_internals.py
fails naming the function when an upgrade changes one): the worker's `alive`, `sockets`, `nr_conns`,
`worker_connections`, `accept(listener)`, `set_accept_enabled(False)` and `method_queue.defer` (callbacks run on
the main thread, safe to queue from a signal handler); its run loop, which re-enables accepting
while `nr_conns < worker_connections` and then waits for `nr_conns` to reach 0 within graceful_timeout; its signal
set-up in init_signals (before post_worker_init, so ours replace it); and the arbiter calling worker_exit in the
worker process once the loop has ended.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
# The longest a stop waits for in-flight requests before gunicorn's arbiter kills the worker, cutting what is
# left (nginx answers those 502). Requests take milliseconds and long-polls end on `stopping`, so a stop normally
# takes about 2 s; but a process carrying a whole hall's writes while the other restarts can hold dozens of issues
# queued on the hall lock, and on a starved machine they took more than 5 s (27 cut in a rolling restart at load
# 13). 8 s stays under a container's default 10 s stop and the systemd unit's TimeoutStopSec.
GRACEFUL_TIMEOUT_S = 8

# Set once the process is stopping: request handlers that wait (the print agents' long-poll) return early.
stopping = threading.Event()
_waiters: list[Callable[[], None]] = []


def on_stop(wake: Callable[[], None]) -> None:
    """Call `wake` when the process starts stopping (e.g. notify a condition that long-polls wait on)."""
    _waiters.append(wake)


def install(worker: Any, close_clients: Callable[[], None]) -> None:
    """In a gunicorn worker (post_worker_init): handle the stop signals as described above. `close_clients`
    closes every Socket.IO connection (the hub's close_all)."""

    def on_signal(signum: int, frame: Any) -> None:
        # A signal handler runs on the main thread in the middle of whatever it was doing, possibly inside a
        # non-reentrant lock (the thread pool's, while accepting a connection): taking that lock again here would
        # hang the process. So the handler only sets plain attributes and hands the work to the worker's own
        # callback queue (put is reentrant; a byte on a pipe wakes the loop), which runs it on the main thread.
        if not worker.alive:
            return
        worker.alive = False
        # The run loop re-enables accepting while nr_conns < worker_connections; 0 keeps it from re-registering
        # the sockets the stop closes.
        worker.worker_connections = 0
        worker.method_queue.defer(_stop, worker, close_clients, signal.Signals(signum).name)

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)


def _stop(worker: Any, close_clients: Callable[[], None], signame: str) -> None:
    stopping.set()
    try:
        _stop_listening(worker)
    except Exception:  # the stop goes on: clients and long-polls still get told
        log.exception("closing the listening sockets at stop failed")
    log.info("stopping on %s: listening sockets closed, clients told to reconnect", signame)
    for wake in _waiters:
        wake()
    # Off the main loop: closing a thousand websockets takes a few milliseconds of real work.
    threading.Thread(target=_close, args=(close_clients,), name="hallq-stop", daemon=True).start()


def _close(close_clients: Callable[[], None]) -> None:
    try:
        close_clients()
    except Exception:  # a failure here must not keep the process from stopping
        log.exception("closing the Socket.IO connections at stop failed")


def _stop_listening(worker: Any) -> None:
    for listener in worker.sockets:
        # Take what the kernel has already queued: those clients connected before the stop and are served. Never
        # block here (the handler runs on the main thread): a listener found in blocking mode would wait for the
        # next client, and the next, and the stop would never close it.
        listener.setblocking(False)
        while True:
            before = worker.nr_conns
            try:
                worker.accept(listener)
            except OSError:
                break
            if worker.nr_conns == before:
                break
    worker.set_accept_enabled(False)
    for listener in worker.sockets:
        listener.close()


def exit_now(worker: Any) -> None:
    """gunicorn's worker_exit hook (runs in the worker once its loop has ended): after a stop, every request has
    been answered or the graceful timeout has passed, so exit without waiting for idle pool threads (and any
    thread stuck on a dead peer) to be joined."""
    if not stopping.is_set():
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
