"""Security headers the app sends on every answer, whether or not nginx is in front (docs/security.md).

The policy allows scripts only from this origin: every page keeps its code in static/ and its data in
`<script type="application/json">` blocks or data- attributes, and no page has an inline handler. Styles come
from files too, with no `style="…"` attribute anywhere (scripts size elements through the CSSOM, as Chart.js does
its canvas, which the policy does not govern), so injected markup cannot restyle a page either. The wall
display's voice plays `blob:` audio and the ticket previews are `data:`/`blob:` images; Socket.IO's WebSocket
is same-origin (`connect-src 'self'` covers ws: and wss: on this host).
"""

from __future__ import annotations

from flask import Flask
from flask import Response

CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Pages that hold a capability in their path (a citizen's /t/<token>) must not leak it to another site.
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def install(app: Flask) -> None:
    """Add HEADERS to every response: pages, API answers, static files and error pages alike."""

    @app.after_request
    def _secure(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
