"""WSGI entry for gunicorn: `gunicorn -c deploy/gunicorn.conf.py queue_server.wsgi:app`."""

from __future__ import annotations

from queue_server.app import create_app
from queue_server.operations.heap import freeze_startup_heap

app = create_app()
freeze_startup_heap()  # full collections skip the start-up heap (queue_server/operations/heap.py says why)
