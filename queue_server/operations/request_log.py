"""Request ids and structured logs: every request gets an id (nginx's X-Request-Id, else a new one), every log
record written while serving it carries that id, and HALLQ_LOG_FORMAT=json makes each record one JSON object.

A web adapter (Flask). The id travels back in the X-Request-Id response header and in 500 problem bodies, so an
operator can find the traceback from what a clerk reads off the screen.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Flask
from flask import Response
from flask import g
from flask import has_request_context
from flask import request

from queue_server.operations.buffered_log import BufferedStreamHandler

HEADER = "X-Request-Id"
# Accept the proxy's id only if it looks like one (nginx's $request_id is 32 hex digits): a client-chosen id must
# not inject text into log lines.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
access_log = logging.getLogger("hallq.access")
# Probes and scrapes come every few seconds from every checker: at DEBUG, so they do not bury the hall's traffic.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    if not has_request_context():
        return None
    return g.get("request_id")


class RequestIdFilter(logging.Filter):
    """Stamps `request_id` on every record (None outside a request), so formatters can rely on the attribute."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


# Attributes every LogRecord has; anything else was passed with `extra=` and belongs in the JSON object.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


# Characters a log reader could take as the end of a line (journald and `less` split on \n; Python's
# splitlines and some viewers also on \r, \v, \f, \x1c-\x1e, \x85, U+2028/9) or that drive a terminal (ESC).
_LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_line(text: str) -> str:
    """One log line stays one line: a URL with %0a cannot forge a record (`\\x0a` is written instead)."""
    return _LINE_BREAKING.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                              else f"\\u{ord(m.group(0)):04x}", text)


class TextFormatter(logging.Formatter):
    """TEXT_FORMAT with the message escaped; a traceback keeps its own lines (it comes from the code, not a
    client)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return escape_line(super().formatMessage(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extra fields, exception text.
    json.dumps escapes C0 controls; the few line breakers it leaves raw (\x85, U+2028/9) are escaped too."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        line = json.dumps(out, ensure_ascii=False, default=str)
        return line.replace("\x85", "\\u0085").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure(*, json_format: bool, level: int = logging.INFO) -> None:
    """Route the root logger to stderr in the chosen format, in batches (buffered_log.py). Like
    logging.basicConfig, it leaves a root logger that someone else configured alone (pytest's capture, a program
    embedding the CLI)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = BufferedStreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_format else TextFormatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)


def install(app: Flask) -> None:
    """Give each request an id and write one access record per request (method, path, status, duration)."""

    @app.before_request
    def _start() -> None:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if _VALID_ID.match(offered) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[HEADER] = g.get("request_id", "")
        started = g.get("request_started")
        if started is not None:
            level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
            access_log.log(level, "%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            })
        return response
