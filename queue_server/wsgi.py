"""WSGI entry for gunicorn: `gunicorn -c deploy/gunicorn.conf.py queue_server.wsgi:app`."""

from __future__ import annotations

from queue_server.app import create_app

app = create_app()
