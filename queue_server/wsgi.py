"""WSGI entry for gunicorn: `gunicorn -c deploy/gunicorn.conf.py queue_server.wsgi:app`."""

from __future__ import annotations

from queue_server.app import create_app
from queue_server.operations import request_log
from queue_server.operations.heap import freeze_startup_heap
from queue_server.settings import load_settings

settings = load_settings()
request_log.configure(json_format=settings.log_json)  # as `hallq serve` does: JSON lines when asked for
app = create_app(settings)
freeze_startup_heap()  # full collections skip the start-up heap (queue_server/operations/heap.py says why)
