"""Every failure as application/problem+json (RFC 9457): HallqError, validation, HTTP errors, the unexpected.

The only place that maps an error kind to a status and translates titles; tracebacks never reach the client.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask
from flask import Response
from flask import current_app
from flask import json
from flask import request
from flask_babel import get_locale
from flask_babel import gettext
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from queue_server import errors
from queue_server.errors import N_
from queue_server.operations.request_log import current_request_id
from queue_server.storage.store import unavailable
from queue_server.storage.store import unavailable_reason

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

# Non-domain failures: code -> (status, title msgid, detail msgid)
GENERIC = {
    "bad_request": (400, N_("Malformed request"), N_("The request body is not valid JSON.")),
    "login_required": (401, N_("Login required"), N_("Send a valid bearer token or log in.")),
    "not_found": (404, N_("Not found"), N_("There is nothing at this address.")),
    "method_not_allowed": (405, N_("Method not allowed"), N_("This address does not accept that method.")),
    "payload_too_large": (413, N_("Request too large"), N_("The request body is larger than the server accepts.")),
    "unsupported_media_type": (415, N_("Unsupported media type"), N_("Send the body as application/json.")),
    "invalid_request": (422, N_("Invalid request"), N_("Some fields are missing or invalid.")),
    "internal_error": (500, N_("Internal error"), N_("Something went wrong on our side. Quote the request id.")),
    "service_unavailable": (503, N_("Service temporarily unavailable"),
                            N_("The database is not answering for a moment. Try again in a few seconds.")),
}
# How long a client waits before retrying after a database hiccup (a PostgreSQL restart takes about 3 s).
RETRY_AFTER_S = 2
HTTP_CODES = {400: "bad_request", 401: "login_required", 404: "not_found", 405: "method_not_allowed",
              413: "payload_too_large", 415: "unsupported_media_type"}


def problem(code: str, status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail, "code": code,
            "instance": request.path, **extra}
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=MEDIA_TYPE)
    resp.headers["Content-Language"] = "en" if str(get_locale()) == "en" else "zh-Hans"
    return resp


def generic(code: str, **extra: Any) -> Response:
    status, title, detail = GENERIC[code]
    return problem(code, status, gettext(title), gettext(detail), **extra)


# Members RFC 9457 and our envelope own; an error's data field of the same name must not replace them.
RESERVED = frozenset({"type", "title", "status", "detail", "code", "instance", "errors", "request_id"})


def extension_members(data: dict[str, Any]) -> dict[str, Any]:
    """An error's data as extension members: scalars only; a reserved name gets a `current_` prefix
    (invalid_transition's ticket `status` becomes `current_status`, the HTTP `status` stays the HTTP status)."""
    return {
        (f"current_{k}" if k in RESERVED else k): v
        for k, v in data.items() if isinstance(v, str | int | float | bool) or v is None
    }


def from_error(exc: errors.HallqError) -> Response:
    data = extension_members(exc.data)
    return problem(exc.code, exc.status, gettext(exc.title), exc.render_detail(gettext), **data)


def from_validation(exc: ValidationError) -> Response:
    items = [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]}
        for err in exc.errors(include_url=False)
    ]
    return generic("invalid_request", errors=items)


def error_page(status: int, code: str) -> Response | None:
    """A page of its own for a person's browser, where a front end registered one for the address (the kiosk's
    touch pages: `app.extensions["hallq.error_pages"]`, callables of (status, code) answering None when the
    request is not theirs); API clients and scripts always get the problem+json."""
    for render in current_app.extensions.get("hallq.error_pages", ()):
        page = render(status, code)
        if page is not None:
            return page  # type: ignore[no-any-return]
    return None


def register(app: Flask) -> None:
    @app.errorhandler(errors.HallqError)
    def _hallq(exc: errors.HallqError) -> Response:
        response = error_page(exc.status, exc.code) or from_error(exc)
        if isinstance(exc, errors.TooMany) and isinstance(exc.data.get("retry_after_s"), int):
            response.headers["Retry-After"] = str(exc.data["retry_after_s"])  # RFC 9110 §10.2.3, in seconds
        return response

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError) -> Response:
        return from_validation(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = HTTP_CODES.get(exc.code or 500)
        page = error_page(exc.code or 500, code or "http_error")
        if page is not None:
            return page
        if code is None:
            return problem("http_error", exc.code or 500, exc.name, exc.description or "")
        response = generic(code)
        # 405 must say what is allowed (RFC 9110 §15.5.6); werkzeug puts it in the exception's headers.
        for name, value in exc.get_headers():
            if name.lower() == "allow":
                response.headers["Allow"] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        request_id = current_request_id() or uuid.uuid4().hex
        if unavailable(exc):
            # Expected while the database restarts: one line each, no traceback, and the client is told to retry.
            log.warning("database unavailable, answered 503 (request_id=%s): %s", request_id, unavailable_reason(exc))
            response = error_page(503, "service_unavailable") or generic("service_unavailable",
                                                                            request_id=request_id)
            response.headers["Retry-After"] = str(RETRY_AFTER_S)
            return response
        log.exception("unhandled error, request_id=%s", request_id)
        return error_page(500, "internal_error") or generic("internal_error", request_id=request_id)
