"""gunicorn settings for one hallq server process (see docs/deploy.md and docs/benchmarks.md).

One worker per process: Socket.IO keeps per-connection state in the process, and several workers would need
sticky sessions inside one port. Concurrency comes from threads (gthread): a request spends most of its time
waiting for the database lock or the network, which threads overlap well; websockets hold a thread each.
"""

import os

from queue_server.operations import shutdown
from queue_server.operations.server import DEFAULT_THREADS
from queue_server.operations.server import worker_connections as connections_for
from queue_server.operations.server import worker_started

bind = os.environ.get("HALLQ_BIND", "127.0.0.1:5000")
workers = 1
worker_class = "gthread"
# Threads: each open websocket (display, phone, console) holds one for its lifetime, and ~16 more saturate a 2-core
# machine with API requests. Size HALLQ_THREADS for every client of the site plus 64, not half of them: when one
# process dies its clients all reconnect to the other (docs/deploy.md, "Sizing"). Same default as `hallq serve`.
threads = int(os.environ.get("HALLQ_THREADS", DEFAULT_THREADS))
# Open connections, idle keep-alives included: gunicorn's default 1000 would lock out every request once a
# thousand websockets are open (queue_server/operations/server.py).
worker_connections = connections_for(threads)
# Long enough for a Socket.IO long-poll cycle (25 s ping interval) plus margin.
timeout = 60
# A stop closes the listening socket and every websocket at once, then waits for in-flight requests (milliseconds;
# long-polls end early): this is the bound for a stuck one (queue_server/operations/shutdown.py).
graceful_timeout = shutdown.GRACEFUL_TIMEOUT_S
keepalive = 5
accesslog = None
errorlog = "-"
loglevel = os.environ.get("HALLQ_LOG_LEVEL", "info")
# gunicorn's own messages through hallq's handler: JSON lines when HALLQ_LOG_FORMAT=json.
logger_class = "queue_server.operations.server.HallqLogger"


def post_worker_init(worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    """Start the alert ticker and the WAL checkpointer in the worker (threads started before the fork would not
    exist here) and give SIGTERM/SIGINT hallq's stop."""
    worker_started(worker)


def worker_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    shutdown.exit_now(worker)
