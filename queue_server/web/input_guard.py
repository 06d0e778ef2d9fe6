"""Bad input stops at the door: control characters and numbers past a 64-bit column, at every depth of every
query string, path, form and JSON body, answer 422 problem+json naming the field before any route runs.

Why here and not in each model: PostgreSQL refuses a NUL byte (and a lone UTF-16 surrogate cannot be encoded)
with an error, not an empty result, so a NUL that reaches any query is a 500; SQLite stores it and broadcasts it.
One hook in front of every route (API, consoles, kiosk and display pages) means no route can forget.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from flask import Response
from flask import request
from werkzeug.routing import IntegerConverter

from queue_server.web.api import problems

# Free text (a notice, a FAQ answer, a guide's materials) may hold tabs and line breaks; nothing else below
# U+0020, no DEL, no C1 controls, no lone surrogates, no Unicode line/paragraph separators.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
# A query string, path segment or form field name is one line: no control character at all.
_BAD_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029]")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class BoundedInt(IntegerConverter):
    """`<int:x>` in any page's path: a number past a 64-bit id column is 404, never a database overflow."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(map, *args, **kwargs)


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, reason) of every bad leaf; iterative, so a deeply nested body cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if _BAD_TEXT.search(item):
                yield where, "control character"
        elif isinstance(item, bool) or item is None or isinstance(item, float):
            continue
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                yield where, "number out of range"
        elif isinstance(item, dict):
            for key, sub in item.items():
                child = f"{where}.{key}" if where else str(key)
                if _BAD_LINE.search(str(key)):
                    yield child, "control character in a field name"
                stack.append((child, sub))
        elif isinstance(item, list):
            stack.extend((f"{where}.{i}" if where else str(i), sub) for i, sub in enumerate(item))


def bad_fields() -> list[dict[str, str]]:
    """Every offending field of the current request, as problem+json `errors` items."""
    found: list[dict[str, str]] = []
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str) and _BAD_LINE.search(value):
            found.append({"field": f"path.{name}", "message": "control character"})
    for name, values in request.args.lists():
        if _BAD_LINE.search(name) or any(_BAD_LINE.search(v) for v in values):
            found.append({"field": f"query.{name}", "message": "control character"})
    raw = request.get_data(cache=True) if request.mimetype != "multipart/form-data" else b""
    if request.mimetype == "application/x-www-form-urlencoded":
        # Parsed from the cached bytes, not request.form: that would consume the stream, and an API route must
        # still see the body to answer 415 for a form.
        for name, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
            if _BAD_LINE.search(name) or _BAD_TEXT.search(value):
                found.append({"field": f"form.{name}", "message": "control character"})
    if raw.strip() and (request.mimetype in ("application/json", "") or request.mimetype.endswith("+json")):
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return found  # malformed JSON: the route's own parser answers 400
        found += bad_leaves(data)
    return found


def bad_leaves(data: Any, where: str = "") -> list[dict[str, str]]:
    """Every offending leaf of a decoded JSON value (a body, or a Socket.IO message), as `errors` items."""
    return [{"field": field or "body", "message": why} for field, why in _walk(data, where)]


def install(app: Flask) -> None:
    app.url_map.converters["int"] = BoundedInt

    @app.before_request
    def _refuse_bad_input() -> Response | None:
        found = bad_fields()
        if not found:
            return None
        return problems.generic("invalid_request", errors=sorted(found, key=lambda e: e["field"]))
