"""Device pairing page (/pair) and the refusal of tokens in page addresses.

A kiosk, wall display, window screen or rating tablet is paired once: the hall manager makes a one-time code
(console, API or `hallq device pair`), and someone types it here on the device. static/pairing/pair.js exchanges
it (POST /api/v1/pair) for the device's own token, keeps that in localStorage where the device's pages read it,
and opens the device's page. A `token` in any page's query string is refused with a page saying how to pair
instead: a token in a URL ends up in access logs, browser history and referrers (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import render_template
from flask import request

from queue_server import errors

bp = Blueprint("pairing", __name__)

NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/pair")
def pair_page() -> Any:
    return render_template("pairing/pair.html"), 200, NO_STORE


@bp.before_app_request
def refuse_token_in_url() -> Any:
    """No page or API call takes a credential from its address (Socket.IO's transport is left alone: its
    credentials travel in the connect payload or the session cookie)."""
    if "token" not in request.args or request.path.startswith("/socket.io/"):
        return None
    if request.path.startswith("/api/"):
        raise errors.TokenInUrl()
    return render_template("pairing/token_refused.html"), 400, NO_STORE
