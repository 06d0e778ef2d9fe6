"""The kiosk's touch pages (/kiosk): home, service picker, search, guide and disclosure readers, check-in, and the
on-screen ticket with its paper preview.

Pages are rendered from snapshots and the catalogue (read side only); taking a ticket is the page's own
`POST /api/v1/halls/<hall>/tickets` with the kiosk's device token, which pairing (a one-time code at /pair) keeps in
the browser's localStorage. Registered by queue_server.app only; never imports display.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from datetime import timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint
from flask import Response
from flask import abort
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_from_directory
from sqlalchemy import select

from kiosk import error_pages
from kiosk import layout
from kiosk import preview
from kiosk import texts
from queue_server import errors
from queue_server.catalogue import candidates as pinyin_candidates
from queue_server.catalogue import index
from queue_server.clock import local_time
from queue_server.queries import opening
from queue_server.queries import snapshots
from queue_server.storage.catalogue import DISCLOSURE_CATEGORIES
from queue_server.storage.catalogue import ITEM_TYPES
from queue_server.storage.models import Appointment
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Service
from queue_server.ttlcache import TTLCache
from queue_server.web.api import services
from queue_server.web.public_url import public_url

bp = Blueprint("kiosk", __name__, url_prefix="/kiosk", template_folder="templates", static_folder="static",
               static_url_path="/static")

QR_MAX_CHARS = 512  # a phone-page or guide URL; longer is not something the kiosk shows
GREEN_CHANNEL = ("junren", "laonian", "canji", "yunfu")
JS_TEXTS = ("printing", "printed", "print_failed", "print_failed_paper_out", "print_failed_cover_open",
            "print_cancelled", "reprint", "reprinting", "reprinted", "issuing", "issue_retrying", "issue_unsure",
            "issue_unsure_detail", "issue_unsure_hint", "no_printer", "no_materials", "not_paired",
            "error_refused", "error_refused_detail", "idle_warning", "idle_seconds", "continue", "keyboard_hint",
            "space", "hide_keyboard", "search", "clear")
# The keyboard's candidate words change only when the catalogue does: rebuilt at most once a minute.
VOCABULARY_TTL = timedelta(seconds=60)
_vocabulary = TTLCache(VOCABULARY_TTL, max_entries=16)


def _lang() -> str:
    """Chinese unless English was chosen on the kiosk (?lang=en or the lang cookie): a kiosk browser's own
    Accept-Language says nothing about the citizen in front of it."""
    return "en" if (request.args.get("lang") or request.cookies.get("lang")) == "en" else "zh"


@bp.context_processor
def _words() -> dict[str, Any]:
    lang = _lang()

    def kiosk_config(hall: Any) -> dict[str, Any]:
        """What kiosk.js needs: the hall, its own words, and the refusal hints (see texts.py)."""
        # The header clock shows the hall's time: its timezone, and the server's clock (a kiosk PC's own clock
        # and zone may be wrong; the ticket prints the hall's time).
        return {"hall": hall.code if hall is not None else None, "lang": lang, "hints": texts.hints(lang),
                "texts": {k: texts.text(k, lang) for k in JS_TEXTS},
                "timezone": hall.timezone if hall is not None else None,
                "server_ms": int(services().runtime.clock.now().timestamp() * 1000)}

    return {"t": lambda key: texts.text(key, lang), "lang": lang, "mobile": request.args.get("mobile") == "1",
            "item_types": ITEM_TYPES, "kiosk_config": kiosk_config}


bp.record_once(lambda state: error_pages.install(state.app, _words))


def _hall(session: Any, code: str) -> Any:
    return snapshots.hall_by_code(session, code)


@bp.get("/")
def start() -> str:
    """Send a paired kiosk to its hall's home; show pairing help otherwise (decided in the browser)."""
    return render_template("kiosk/pair.html", token=None, hall=None)


@bp.get("/pair")
def pair() -> Any:
    """Kiosks pair like every device: a one-time code typed at /pair (no token in the address)."""
    return redirect("/pair")


@bp.get("/<hall>/")
def home(hall: str) -> str:
    with services().store.read_session() as session:
        row = _hall(session, hall)
        return render_template("kiosk/home.html", hall=row)


@bp.get("/<hall>/take")
def take(hall: str) -> str:
    hq = services()
    with hq.store.read_session() as session:
        row = _hall(session, hall)
        now = hq.runtime.clock.now()
        today = opening.services_today(session, row, now)
        grouped: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        for item in snapshots.services(session, row, now):
            if item["active"]:
                grouped.setdefault(item["department"] or "综合", []).append(item)
        return render_template("kiosk/take.html", hall=row, departments=grouped, today=today)


@bp.get("/<hall>/service/<code>")
def service(hall: str, code: str) -> str:
    hq = services()
    with hq.store.read_session() as session:
        row = _hall(session, hall)
        found = next((s for s in snapshots.services(session, row, hq.runtime.clock.now()) if s["code"] == code), None)
        model = session.scalar(select(Service).where(Service.hall_id == row.id, Service.code == code))
        if found is None or model is None:
            abort(404)
        categories = {p.code: p.name for p in session.scalars(
            select(PriorityCategory).where(PriorityCategory.hall_id == row.id))}
        return render_template(
            "kiosk/service.html", hall=row, service=found, guide_code=model.guide_code,
            today=opening.services_today(session, row, hq.runtime.clock.now())[code],
            materials=index.materials_to_bring(session, model),
            priorities=[c for c in GREEN_CHANNEL if c in categories],
        )


@bp.get("/<hall>/search")
def search(hall: str) -> str:
    """One search over 办事指南 and 政务公开 together (the home page's search box)."""
    query = request.args.get("q", "")[:64]
    hq = services()
    with hq.store.read_session() as session:
        row = _hall(session, hall)
        linked = index.services_by_guide(session, row)
        guides = index.search_guides(session, query, limit=30) if query.strip() else []
        docs = index.search_disclosures(session, query, limit=30) if query.strip() else []
        return render_template("kiosk/search.html", hall=row, query=query, guides=guides, docs=docs, linked=linked,
                               today=opening.services_today(session, row, hq.runtime.clock.now()))


@bp.get("/<hall>/guides")
def guides(hall: str) -> str:
    item_type = request.args.get("type") or None
    theme = request.args.get("theme") or None
    department = request.args.get("department") or None
    hq = services()
    with hq.store.read_session() as session:
        row = _hall(session, hall)
        everything = index.search_guides(session, limit=1000)
        themes = sorted({g.theme for g in everything if g.theme})
        types = sorted({g.item_type for g in everything})
        shown = [g for g in everything if (not item_type or g.item_type == item_type)
                 and (not theme or g.theme == theme) and (not department or g.department_code == department)]
        return render_template("kiosk/guides.html", hall=row, guides=shown, themes=themes, types=types,
                               item_type=item_type, theme=theme, department=department,
                               departments=index.departments(session, row),
                               linked=index.services_by_guide(session, row),
                               today=opening.services_today(session, row, hq.runtime.clock.now()))


@bp.get("/<hall>/guides/<code>")
def guide(hall: str, code: str) -> str:
    hq = services()
    with hq.store.read_session() as session:
        row = _hall(session, hall)
        item = index.guide_by_code(session, code)
        if item is None:
            abort(404)
        linked = index.services_by_guide(session, row).get(item.code)
        today = opening.services_today(session, row, hq.runtime.clock.now()).get(linked.code) if linked else None
        phone_url = f"{public_url()}/kiosk/{row.code}/guides/{item.code}?mobile=1"
        return render_template("kiosk/guide.html", hall=row, g=item, service=linked, phone_url=phone_url,
                               service_today=today)


@bp.get("/<hall>/disclosures")
def disclosures(hall: str) -> str:
    query = request.args.get("q", "")[:64]
    category = request.args.get("category") or None
    with services().store.read_session() as session:
        row = _hall(session, hall)
        docs = index.search_disclosures(session, query, category=category)
        return render_template("kiosk/disclosures.html", hall=row, docs=docs, query=query, category=category,
                               categories=DISCLOSURE_CATEGORIES)


@bp.get("/<hall>/disclosures/<int:doc_id>")
def disclosure(hall: str, doc_id: int) -> str:
    with services().store.read_session() as session:
        row = _hall(session, hall)
        doc = index.disclosure_by_id(session, doc_id)
        if doc is None:
            abort(404)
        phone_url = f"{public_url()}/kiosk/{row.code}/disclosures/{doc.id}?mobile=1"
        return render_template("kiosk/disclosure.html", hall=row, doc=doc, phone_url=phone_url)


@bp.get("/files/<path:name>")
def catalogue_file(name: str) -> Response:
    """A blank form, sample or attachment from the instance's files/ folder (send_from_directory refuses any path
    that leaves it). Linked from the phone view of guides and disclosures, which the kiosk's QR code opens."""
    return send_from_directory(services().settings.files_path, name, max_age=3600)


@bp.get("/<hall>/checkin")
def checkin(hall: str) -> str:
    with services().store.read_session() as session:
        return render_template("kiosk/checkin.html", hall=_hall(session, hall))


@bp.get("/<hall>/appointments/<code>")
def appointment_service(hall: str, code: str) -> Response:
    """The service a booking code is for, so check-in can issue with it (the engine checks the rest)."""
    with services().store.read_session() as session:
        row = _hall(session, hall)
        appt = session.scalar(select(Appointment).where(Appointment.hall_id == row.id, Appointment.code == code))
        service_row = session.get(Service, appt.service_id) if appt else None
        if service_row is None:
            raise errors.AppointmentNotFound(appointment_code=code)
        return jsonify({"service": service_row.code})


@bp.get("/candidates")
def candidates() -> Response:
    """Words for the on-screen keyboard's pinyin (?letters=shebao): the catalogue's own words that sound so."""
    letters = request.args.get("letters", "")[:30]
    hq = services()
    now = hq.runtime.clock.now()
    key = hq.settings.database_url
    vocabulary = _vocabulary.get(key, now)
    if vocabulary is None:
        with hq.store.read_session() as session:
            vocabulary = pinyin_candidates.build(session)
        _vocabulary.put(key, vocabulary, now)
    return jsonify({"letters": letters, "candidates": vocabulary.candidates(letters)})


@bp.get("/qr.svg")
def qr_svg() -> Response:
    """A QR code as SVG, drawn here so the kiosk needs no network and no script library."""
    data = request.args.get("data", "")
    if not data or len(data) > QR_MAX_CHARS:
        abort(400)
    img = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    out = io.BytesIO()
    img.save(out)
    return Response(out.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "max-age=3600"})


@bp.get("/<hall>/tickets/<token>/preview")
def ticket_preview(hall: str, token: str) -> Response:
    """The paper ticket as the printer would make it: the same layout's lines and QR, placed in printer dots, for
    kiosk.js to draw in the page (no image is drawn here: a PNG per ticket was most of the touch -> ticket time)."""
    hq = services()
    paper = 58 if request.args.get("paper") == "58" else 80
    with hq.store.read_session() as session:
        tracked = snapshots.track(session, token, hq.runtime.clock.now())
        if tracked.hall.code != hall:
            abort(404)
        t = tracked.ticket
        data = layout.TicketData(
            hall_name=tracked.hall.name, service_name=t.service.name, number=t.ticket_no, ahead=tracked.ahead,
            estimated_wait_s=tracked.estimated_wait_s, issued_at=local_time(t.issued_at, tracked.hall.timezone),
            track_url=f"{public_url()}/t/{t.track_token}",
            materials=tuple(index.materials_to_bring(session, t.service)),
            priority_name=t.priority.name if t.priority else None, person_masked=t.person_masked,
        )
    response = jsonify(preview.ticket_preview(layout.ticket_layout(data, paper)))
    response.headers["Cache-Control"] = "no-store"
    return response
