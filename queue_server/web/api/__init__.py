"""/api/v1: the JSON API (blueprint, route registry feeding the OpenAPI document, request helpers). One module of
routes per area; their request and response models live in schemas/.

Rule: every write is `services().runtime.execute(engine op)`, every read goes through queries, reports or the
catalogue; errors leave as problem+json only through problems.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask.blueprints import BlueprintSetupState
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import UnsupportedMediaType
from werkzeug.routing import BaseConverter

from queue_server.access.credentials import Principal
from queue_server.access.credentials import PrincipalCache
from queue_server.access.ticket_halls import TicketHalls
from queue_server.settings import Settings
from queue_server.storage.runtime import Runtime
from queue_server.storage.store import Store
from queue_server.web import sessions
from queue_server.web.api.openapi import OPERATIONS
from queue_server.web.api.openapi import Operation
from queue_server.web.api.openapi import published

bp = Blueprint("api", __name__, url_prefix="/api/v1")
M = TypeVar("M", bound=BaseModel)


class LoginRequired(Exception):
    """No valid credential on a protected route (401)."""


@dataclass(frozen=True)
class Services:
    """What the composition root hands the adapters."""

    settings: Settings
    store: Store
    runtime: Runtime
    principals: PrincipalCache
    ticket_halls: TicketHalls


def services() -> Services:
    return current_app.extensions["hallq"]  # type: ignore[no-any-return]


class CodeConverter(BaseConverter):
    """Hall codes and track tokens in paths: letters, digits, `_.-`, at most 64. Anything else is 404 before it
    reaches the database (PostgreSQL refuses NUL bytes with an error, not an empty result)."""

    regex = r"[A-Za-z0-9_.\-]{1,64}"


@bp.record_once
def _converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.setdefault("code", CodeConverter)


# Path parameter kinds: Flask converter and OpenAPI schema. Numbers past the column's range are 404, never a
# database overflow: window numbers are 32-bit columns, ids 64-bit.
PATH_KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "": ("code", {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}),
    "int": (f"int(min=1, max={2**31 - 1})", {"type": "integer", "format": "int32", "minimum": 1,
                                             "maximum": 2**31 - 1}),
    "id": (f"int(min=1, max={2**63 - 1})", {"type": "integer", "format": "int64", "minimum": 1,
                                            "maximum": 2**63 - 1}),
}


def route(
    method: str, path: str, summary: str, *, request_model: type[BaseModel] | None = None,
    responses: dict[int, Any] | None = None, public: bool = False, query: dict[str, dict[str, Any]] | None = None,
    body_required: bool = True, upload: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Flask route and its OpenAPI operation from one declaration.

    Path parameters: {name} (a code or token), {name:int} (a window number) or {name:id} (a row id)."""
    params = dict(re.findall(r"{(\w+)(?::(\w+))?}", path))
    flask_path = re.sub(r"{(\w+)(?::(\w+))?}", lambda m: f"<{PATH_KINDS[m[2] or ''][0]}:{m[1]}>", path)
    openapi_path = re.sub(r"{(\w+):\w+}", r"{\1}", path)

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(Operation(
            method=method, path=openapi_path, summary=summary, operation_id=fn.__name__,
            request=request_model, responses=responses or {200: None}, public=public,
            path_params={k: dict(PATH_KINDS[v][1]) for k, v in params.items()},
            query=query or {}, body_required=body_required, upload=upload,
        ))
        bp.add_url_rule(flask_path, endpoint=fn.__name__, view_func=fn, methods=[method])
        return fn

    return wrap


def principal() -> Principal:
    """Bearer token first (devices, scripts); without an Authorization header, the console's session cookie,
    whose state-changing requests must carry the CSRF token."""
    header = request.headers.get("Authorization", "")
    if not header:
        return _session_principal()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise LoginRequired()
    hq = services()
    found = hq.principals.lookup(hq.store.read_session, token.strip(), hq.runtime.clock.now())
    if found is None:
        raise LoginRequired()
    return found


def _session_principal() -> Principal:
    with services().store.read_session() as session:
        found = sessions.principal_for_session(session)
    if found is None:
        raise LoginRequired()
    sessions.check_request_csrf()
    return found


def body(model: type[M], *, optional: bool = False) -> M:
    """Parse the JSON body into `model`; an empty body counts as {} when `optional`."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return model()
        raise BadRequest()
    if request.mimetype not in ("application/json", "") and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; 30k nested [ recurse
        raise BadRequest() from exc
    return model.model_validate(data)  # a non-object body fails validation: 422 with the reason


@bp.get("/openapi.json")
def openapi_json() -> Any:
    return jsonify(published())


def _register_modules() -> None:
    from queue_server.web.api import accounts  # noqa: F401
    from queue_server.web.api import catalogue  # noqa: F401
    from queue_server.web.api import configuration  # noqa: F401
    from queue_server.web.api import console  # noqa: F401
    from queue_server.web.api import devices  # noqa: F401
    from queue_server.web.api import hall  # noqa: F401
    from queue_server.web.api import hall_setup  # noqa: F401
    from queue_server.web.api import halls  # noqa: F401
    from queue_server.web.api import manager  # noqa: F401
    from queue_server.web.api import queue  # noqa: F401
    from queue_server.web.api import rating  # noqa: F401
    from queue_server.web.api import reports  # noqa: F401
    from queue_server.web.api import service_setup  # noqa: F401
    from queue_server.web.api.citizens import booking  # noqa: F401
    from queue_server.web.api.citizens import remote  # noqa: F401


_register_modules()
