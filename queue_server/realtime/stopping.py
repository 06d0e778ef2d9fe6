"""No new Socket.IO session in a process that is stopping.

At a stop the hub closes every Socket.IO connection (Hub.close_all) and the clients reconnect at once. A browser
tries the websocket first, which needs a new connection and is refused (the listening sockets are closed), then
falls back to long-polling, which goes out on one of its kept-alive HTTP connections to this same process; gunicorn
still answers requests on those for its short linger. Served, that handshake opened a session on the stopping
process, and the session's long-poll then held the stop until gunicorn's graceful timeout (8 s, ending in SIGKILL
and an "out of memory?" line in the log) while the display was offline anyway.

So once the hub is closing, a handshake (an Engine.IO request without a session id) is answered 503 with
Retry-After and `Connection: close`: the client retries with its backoff and finds the restarted process (or,
behind nginx, another one). Requests of existing sessions pass: close_all has ended them and Engine.IO answers them.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from flask_babel import gettext

from queue_server.errors import N_
from queue_server.web.api.problems import GENERIC
from queue_server.web.api.problems import problem

# A stopping hallq is back within seconds; the client's own backoff (0.5 s rising to 5 s) does the rest.
RETRY_AFTER_S = 1
RESTARTING = N_("This server is restarting. The connection is made again by itself in a moment.")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class RefuseNewSessionsWhileStopping:
    """WSGI, in front of Flask-SocketIO's middleware (which answers the Engine.IO path before Flask sees it)."""

    def __init__(self, app: Flask, inner: WSGIApp, path: str, stopping: Callable[[], bool]) -> None:
        self.app = app
        self.inner = inner
        self.prefix = "/" + path.strip("/") + "/"
        self.stopping = stopping

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (self.stopping() and environ.get("PATH_INFO", "").startswith(self.prefix)
                and "sid" not in parse_qs(environ.get("QUERY_STRING", ""))):
            with self.app.request_context(environ):
                status, title, _ = GENERIC["service_unavailable"]
                response = problem("service_unavailable", status, gettext(title), gettext(RESTARTING))
                response.headers["Retry-After"] = str(RETRY_AFTER_S)
                response.headers["Connection"] = "close"
            return response(environ, start_response)
        return self.inner(environ, start_response)
