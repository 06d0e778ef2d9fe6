"""create_app(): the composition root. The only place that picks implementations and imports kiosk and display."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flask import Flask
from flask import Response
from flask import copy_current_request_context
from flask import has_request_context
from flask import request
from flask_babel import Babel

from display import voice as display_voice
from display.audio import Renderer
from display.booking_pages import bp as booking_pages_bp
from display.remote_pages import bp as remote_pages_bp
from display.views import bp as display_bp
from kiosk.views import bp as kiosk_bp
from queue_server import __version__
from queue_server.access.credentials import PrincipalCache
from queue_server.access.ticket_halls import TicketHalls
from queue_server.catalogue.index import syllables
from queue_server.clock import Clock
from queue_server.clock import clock_from_env
from queue_server.events import Envelope
from queue_server.operations import request_log
from queue_server.operations.alert_ticker import AlertTicker
from queue_server.operations.metrics import Metrics
from queue_server.operations.metrics import may_scrape
from queue_server.operations.metrics import readiness
from queue_server.person_keys import KeySource
from queue_server.realtime.hall_voice import HallVoice
from queue_server.realtime.hub import Hub
from queue_server.settings import Settings
from queue_server.settings import load_settings
from queue_server.storage.runtime import After
from queue_server.storage.runtime import Publish
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import make_store
from queue_server.storage.wal import WalCheckpointer
from queue_server.web import input_guard
from queue_server.web import security_headers
from queue_server.web.account_pages import bp as account_bp
from queue_server.web.api import LoginRequired
from queue_server.web.api import Services
from queue_server.web.api import bp as api_bp
from queue_server.web.api import problems
from queue_server.web.api.devices import signal_print_jobs
from queue_server.web.case_pages import bp as cases_bp
from queue_server.web.hall_pages import bp as halls_bp
from queue_server.web.i18n import LOCALES
from queue_server.web.i18n import ensure_compiled
from queue_server.web.manager_console import bp as manager_bp
from queue_server.web.pairing_pages import bp as pairing_bp
from queue_server.web.rate_limit import make_limiter
from queue_server.web.report_pages import bp as reports_bp
from queue_server.web.staff_console import bp as staff_bp

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


def select_locale() -> str:
    """zh_Hans unless the client asks for English (?lang=en, a lang cookie, or Accept-Language)."""
    wanted = request.args.get("lang") or request.cookies.get("lang")
    if wanted in LOCALES:
        return wanted
    return request.accept_languages.best_match(["zh_Hans", "zh", "en"], default="zh_Hans").replace(
        "zh", "zh_Hans").replace("zh_Hans_Hans", "zh_Hans")


def _carry_request(after: After) -> After:
    """A batched op's `after` may run in another request's thread (storage/runtime.py): with its own request and
    session. Flask's `g` there is the writing request's; the batched routes' callbacks read neither `g` nor the
    locale, only the app and the transaction."""
    return copy_current_request_context(after) if has_request_context() else after


def _with_print_signal(publish: Publish | None) -> Publish:
    """Wake the print agents' long-polls in this process when a print job is queued, then publish as usual."""

    def publish_all(envelopes: Sequence[Envelope]) -> None:
        signal_print_jobs(envelopes)
        if publish is not None:
            publish(envelopes)

    return publish_all


def create_app(settings: Settings | None = None, *, clock: Clock | None = None,
               publish: Publish | None = None) -> Flask:
    settings = settings or load_settings()
    ensure_compiled()
    # Browser assets live in the repository's static/ (vendored libraries, page scripts), served at /static.
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=str(STATIC_DIR),
                static_url_path="/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_AS_ASCII=False,
        # The staff console's session cookie: not readable by scripts, not sent on cross-site POSTs.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="hallq_session",
        SESSION_COOKIE_SECURE=(settings.public_url or "").startswith("https://"),
        BABEL_DEFAULT_LOCALE="zh_Hans",
        BABEL_TRANSLATION_DIRECTORIES="translations",
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    Babel(app, locale_selector=select_locale)
    store = make_store(settings.database_url)
    # pypinyin loads on first use (catalogue/index.py), so CLI commands skip it; a server loads it here, while it
    # starts: the tables then lie in the heap frozen before serving (operations/heap.py), shared by forked workers,
    # and a citizen's first search does not wait for them.
    syllables("")
    # The system clock unless a simulation asked for a scaled one (HALLQ_CLOCK_SPEED, bench only).
    clock = clock or clock_from_env(os.environ)
    voice = HallVoice(display_voice.annotate, store, clock, template=settings.voice_template,
                      repeats=settings.voice_repeats)
    hub = Hub(app, store, clock, redis_url=settings.redis_url, redis_channel_name=settings.redis_channel,
              voice=voice)

    ticker: AlertTicker | None = None
    checkpointer = WalCheckpointer(settings.database_url)  # started with the ticker, in the serving process
    metrics = Metrics(store, clock.now, hub.connected_clients, checkpointer.seen if checkpointer.path else None)
    request_log.install(app)
    metrics.install(app)
    security_headers.install(app)
    input_guard.install(app)  # after the request id (its 422 carries one), before any blueprint's rules

    def publish_all(envelopes: Sequence[Envelope]) -> None:
        if publish is not None:  # a test's recorder sees exactly what the hub sends
            publish(envelopes)
        hub.publish(envelopes)
        metrics.observe_published(envelopes)
        if ticker is not None:
            ticker.after_publish(envelopes)

    # Every committed batch wakes this process's long-polling print agents, then reaches the hub, then asks for
    # an alert evaluation (run by the ticker's thread once `hallq serve` starts it).
    runtime = Runtime(store, clock, _with_print_signal(publish_all), carry=_carry_request)
    ticker = AlertTicker(runtime)
    app.extensions["hallq.alerts"] = ticker
    app.extensions["hallq.wal"] = checkpointer
    app.extensions["hallq"] = Services(settings=settings, store=store, runtime=runtime,
                                       principals=PrincipalCache(), ticket_halls=TicketHalls())
    app.extensions["hallq.hub"] = hub
    # Per-address limits of the public citizen routes, shared through Redis by every process when it is configured.
    app.extensions["hallq.rate_limiter"] = make_limiter(settings.rate_limits, settings.redis_url, clock.now)
    # ID and phone hashes are keyed outside the database: HALLQ_PERSON_KEY, else instance/person_keys.json.
    app.extensions["hallq.person_keys"] = KeySource(settings.instance_path)
    # The settings page's example rendering: the same rules the hub announces with.
    app.extensions["hallq.announce"] = display_voice.announcement
    app.extensions["hallq.hall_voice"] = voice
    app.extensions["hallq.voice"] = Renderer(settings.instance_path / "voice-cache", settings.voice_pack)
    problems.register(app)

    @app.errorhandler(LoginRequired)
    def _login_required(_: LoginRequired) -> Response:
        response = problems.generic("login_required")
        response.headers["WWW-Authenticate"] = 'Bearer realm="hallq"'  # RFC 6750: say which scheme to use
        return response

    app.register_blueprint(api_bp)
    app.register_blueprint(kiosk_bp)
    app.register_blueprint(display_bp)
    app.register_blueprint(booking_pages_bp)
    app.register_blueprint(remote_pages_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(manager_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(pairing_bp)
    app.register_blueprint(halls_bp)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        # 503 takes this process out of nginx's and the orchestrator's rotation until its dependencies are back.
        checks = readiness(store, settings.redis_url)
        # Redis is reported, not required: without it events reach the screens from the outbox (realtime/relay.py),
        # and a process taken out of rotation for it would only move its load onto the others for nothing.
        ready = checks["database"] == "ok"
        return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503

    @app.get("/metrics")
    def metrics_page() -> Response:
        # Without nginx in front, an outsider must not read the hall's figures: 404, as if there were nothing.
        if not may_scrape(request.remote_addr, request.headers, settings.metrics_token):
            return problems.generic("not_found")
        return metrics.exposition()

    @app.get("/")
    def index() -> Response:
        return Response(INDEX_HTML, mimetype="text/html")

    return app


INDEX_HTML = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>hallq 排队叫号</title>
<link rel="stylesheet" href="/static/manager/monitor.css"></head><body class="login"><main class="login-box">
<h1>hallq 政务服务大厅排队叫号</h1>
<ul>
<li><a href="/api/v1/openapi.json">API (OpenAPI)</a></li>
<li><a href="/api/v1/halls/cxz/services">楚雄州政务服务中心 — 事项与等候人数 services and waiting</a></li>
<li><a href="/kiosk/">自助终端 kiosk</a> (<a href="/kiosk/cxz/">cxz</a>)</li>
<li><a href="/display/cxz">综合屏 wall display</a>, <a href="/pair">设备配对 pair a device</a> (one-time code)</li>
<li><a href="/staff/login">窗口工作人员登录 staff console</a></li>
<li><a href="/manager">大厅管理 manager console</a></li>
<li><a href="/manager/cxz/reports">统计报表 reports</a> (signed in to the manager console)</li>
<li><a href="/healthz">健康检查 health</a></li>
</ul></main></body></html>"""
