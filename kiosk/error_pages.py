"""Errors on the kiosk's touch pages as a kiosk page in plain Chinese with a way home, never raw JSON.

The app answers every failure as problem+json (queue_server/web/api/problems.py); it asks the front ends first
(`app.extensions["hallq.error_pages"]`). This one answers for a person's browser on a /kiosk/ page: a 404 (an
unknown address, guide or document), a refused kiosk, a server error, a database restart (503). The page touches
no database (it may be the database that failed). Images, files, QR codes and the JSON the pages' scripts fetch
keep their problem+json.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import Response
from flask import render_template
from flask import request
from sqlalchemy import select

from kiosk import texts
from queue_server.storage.models import Hall
from queue_server.web.api import services

# Endpoints that are not pages: their callers are scripts, <img> tags and downloads.
NOT_PAGES = frozenset({"kiosk.catalogue_file", "kiosk.qr_svg", "kiosk.ticket_preview", "kiosk.appointment_service",
                       "kiosk.candidates", "kiosk.static"})
HALL_PATH = re.compile(r"^/kiosk/([A-Za-z0-9_-]{1,32})/")
NOT_A_HALL = {"files", "static", "pair"}


def _kind(status: int, code: str) -> str:
    if status in (401, 403):
        return "refused"
    if status == 404:
        return "not_found"
    if status == 503:
        return "busy"
    if status >= 500:
        return "broken"
    return "other"


_context: list[Callable[[], dict[str, Any]]] = []  # the kiosk pages' template words (views._words)


def page(status: int, code: str) -> Response | None:
    """The kiosk's error page for this request, or None when it is not a kiosk page a person opened."""
    if not request.path.startswith("/kiosk/") or request.method != "GET" or request.endpoint in NOT_PAGES:
        return None
    if not any(kind == "text/html" for kind, _ in request.accept_mimetypes):
        return None  # fetch(), curl, an API client: the problem+json is theirs
    if request.path.startswith(("/kiosk/static/", "/kiosk/files/")):
        return None
    match = HALL_PATH.match(request.path)
    hall = match.group(1) if match and match.group(1) not in NOT_A_HALL and code != "hall_not_found" else None
    home = f"/kiosk/{hall}/" if hall else "/kiosk/"
    kind = _kind(status, code)
    lang = "en" if (request.args.get("lang") or request.cookies.get("lang")) == "en" else "zh"
    # An address no route matched has no blueprint, so the kiosk's words are given here, not by Flask.
    words = _context[0]() if _context else {}
    row = _known_hall(hall) if status < 500 else None
    html = render_template("kiosk/error.html", **words, hall=row, hall_code=hall, home_url=home, kind=kind,
                           status=status, title=texts.text(f"error_{kind}", lang),
                           detail=texts.text(f"error_{kind}_detail", lang))
    return Response(html, status=status, mimetype="text/html")


def _known_hall(code: str | None) -> Any:
    """The hall, for its name and its clock in the header, when the database answers (a 404 page); else None."""
    if code is None:
        return None
    try:
        with services().store.read_session() as session:
            return session.scalar(select(Hall).where(Hall.code == code))
    except Exception:  # noqa: BLE001 - the error page must render whatever the database does
        return None


def install(app: Flask, context: Callable[[], dict[str, Any]]) -> None:
    _context[:] = [context]
    app.extensions.setdefault("hallq.error_pages", []).append(page)
