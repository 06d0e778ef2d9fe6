"""Pages of the display blueprint: hall wall display (综合屏), window screen (窗口屏), the citizen's phone page
(/t/<track_token>) and the announcement audio (chime + rendered speech WAV).

Registered only by queue_server.app. Never imports kiosk. Pages are thin shells: their state comes over the
realtime feed (static/js/feed.js); the phone page also renders its first state server-side so it paints at once
on a weak connection.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import render_template
from flask import request

from display import voice
from display.audio import Renderer
from display.audio import chime_wav
from queue_server import errors
from queue_server.queries import snapshots
from queue_server.web.api.hall import track_out
from queue_server.web.public_url import public_url
from queue_server.web.qr import qr_svg

bp = Blueprint("display", __name__, template_folder="templates")

# Spoken texts are short (~20 characters); a cap keeps the synthesiser from being used for anything else.
MAX_SPEECH_CHARS = 80
# Window zones are at most 32 characters (windows.zone); a few zones joined with commas fit in this.
MAX_ZONE_CHARS = 120
KEY_RE = re.compile(r"^[0-9a-f]{24}$")


def _hall_name(code: str) -> str:
    hq = current_app.extensions["hallq"]
    with hq.store.read_session() as session:
        try:
            return snapshots.hall_by_code(session, code).name
        except errors.HallNotFound:
            abort(404)


@bp.get("/display/<hall>")
def wall(hall: str) -> str:
    """The hall's wall display. Credential: the display's token, kept by the browser since pairing (/pair).
    ?zone= (kept in the address) limits it to the windows of a zone and their services (docs/realtime.md)."""
    zone = request.args.get("zone", "").strip()[:MAX_ZONE_CHARS]
    return render_template("display/wall.html", hall=hall, hall_name=_hall_name(hall), zone=zone)


@bp.get("/display/<hall>/window/<int:number>")
def window_screen(hall: str, number: int) -> str:
    return render_template("display/window.html", hall=hall, hall_name=_hall_name(hall), number=number)


@bp.get("/t/<token>")
def phone(token: str) -> Any:
    hq = current_app.extensions["hallq"]
    with hq.store.read_session() as session:
        try:
            tracked = snapshots.track(session, token, hq.runtime.clock.now())
        except errors.TicketNotFound:
            return render_template("display/phone_missing.html"), 404
        state = track_out(tracked)
    # 线上取号: a kiosk's scanner confirms arrival from this page's own address, shown as a QR.
    qr = qr_svg(f"{public_url()}/t/{token}") if state["remote"] and not state["arrived"] else None
    resp = Response(render_template("display/phone.html", token=token, ticket=state, qr=qr))
    # The page holds the ticket's bearer token in its URL: keep it out of caches and referrers.
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


@bp.get("/display/voice/chime.wav")
def chime() -> Response:
    resp = Response(chime_wav(), mimetype="audio/wav")
    resp.headers["Cache-Control"] = "public, max-age=86400"
    return resp


@bp.get("/display/voice/<key>.wav")
def speech(key: str) -> Any:
    """The rendered announcement for `key`; `s` (the spoken text) lets any process render a missing file."""
    if not KEY_RE.match(key):
        abort(404)
    renderer: Renderer = current_app.extensions["hallq.voice"]
    path = renderer.path_for(key)
    if not path.exists():
        text = request.args.get("s", "")[:MAX_SPEECH_CHARS + 1]
        ann = voice.Announcement(text=text, speech=text, clips=voice.clips_for(text), repeats=1)
        if not text or len(text) > MAX_SPEECH_CHARS or ann.key != key:
            abort(404)
        rendered = renderer.render(ann)
        if rendered is None:
            abort(404)  # no synthesiser: announcer.js falls back to the browser's speech synthesis
        path = rendered
    # A few hundred KiB at most: read whole, which also closes the file before the response streams.
    resp = Response(path.read_bytes(), mimetype="audio/wav")
    resp.headers["Cache-Control"] = "public, max-age=86400"  # same key, same audio: cache for a day
    return resp
