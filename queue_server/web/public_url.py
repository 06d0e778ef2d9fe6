"""The base of the links citizens' phones open: the QR codes on tickets and on the kiosk's guide pages.

HALLQ_PUBLIC_URL when it is set. Otherwise the address the request reached the server at (a kiosk that opened
http://192.168.1.10:5000/kiosk/cxz prints QR codes a phone on the same network can open), unless that is a
loopback address (a kiosk or print agent on the server's own machine): then the address the server listens on,
with this machine's LAN address for a wildcard (--host 0.0.0.0). `hallq serve` warns when the result outside any
request is a loopback address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import has_request_context
from flask import request

from queue_server.settings import Settings
from queue_server.settings import is_loopback_host
from queue_server.settings import served_url
from queue_server.web.api import services


def public_url(settings: Settings | None = None) -> str:
    """The public base URL for this request (no trailing slash)."""
    settings = settings or services().settings
    if settings.public_url:
        return settings.public_url
    if has_request_context() and not is_loopback_host(urlsplit(f"//{request.host}").hostname):
        return f"{request.scheme}://{request.host}"
    return served_url(settings.bind)
