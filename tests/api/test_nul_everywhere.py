"""Every route of the OpenAPI document, every string it takes, with a control character in it (issue 18 point 6):
each answers 422 naming the field, never 500, over real HTTP on SQLite and PostgreSQL (where a NUL that reached a
query used to be a 500). Bodies are built from each operation's own request schema, so a route or field added
later is covered without touching this test; the bad strings are drawn by a seeded random generator."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from queue_server.clock import FrozenClock
from queue_server.storage.store import Store
from tests.factories import BasicHall
from tests.factories import basic_hall
from tests.factories import bearer
from tests.live import LiveServer
from tests.live import start_server

BAD = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\u2028", "\ud800"]
PATH_VALUES = {"hall": "t1", "number": "1", "user": "u1", "code": "g1", "doc_id": "1", "device": "1",
               "job_id": "1", "ticket_id": "1", "token": "tok", "department": "d1", "priority": "laonian",
               "alert": "1", "service": "a"}


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def skeleton(schema: dict[str, Any], doc: dict[str, Any], depth: int = 0) -> Any:
    """A value of the schema's shape with every property and one item of every list: where strings go."""
    schema = _resolve(schema, doc)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [_resolve(s, doc) for s in schema[key]]
            richer = [s for s in options if s.get("type") in ("object", "array")] or \
                     [s for s in options if s.get("type") != "null"] or options
            return skeleton(richer[0], doc, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if not props and depth < 4:  # a free-form map (a FAQ item {q, a}): one entry of its value type
            extra = schema.get("additionalProperties")
            return {"k": skeleton(extra if isinstance(extra, dict) else {"type": "string"}, doc, depth + 1)}
        return {name: skeleton(sub, doc, depth + 1) for name, sub in props.items()} if depth < 4 else {}
    if kind == "array":
        return [skeleton(schema.get("items") or {"type": "string"}, doc, depth + 1)] if depth < 4 else []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "文本"


def string_leaves(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from string_leaves(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from string_leaves(v, (*path, str(i)))
    elif isinstance(value, str):
        yield path


def with_leaf(value: Any, path: tuple[str, ...], text: str) -> Any:
    if not path:
        return text
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        return [with_leaf(v, rest, text) if str(i) == head else v for i, v in enumerate(value)]
    return {k: with_leaf(v, rest, text) if k == head else v for k, v in value.items()}


@pytest.fixture
def served(database_url: str, store: Store, tmp_path: Path) -> Iterator[tuple[LiveServer, BasicHall]]:
    hall = basic_hall(store, FrozenClock(datetime.now(UTC)))
    server = start_server(database_url, tmp_path / "instance")
    yield server, hall
    server.stop()


def test_a_control_character_in_any_string_of_any_route_is_422_naming_it(
        served: tuple[LiveServer, BasicHall]) -> None:
    server, hall = served
    doc = requests.get(f"{server.url}/api/v1/openapi.json", timeout=10).json()
    rnd = random.Random(18)
    session = requests.Session()
    session.headers.update(bearer(hall.manager))
    tried, failures = 0, []

    def bad_text(in_url: bool = False) -> str:
        core = "".join(rnd.choice("号a办1 ") for _ in range(rnd.randint(0, 6)))
        at = rnd.randint(0, len(core))
        # a URL carries UTF-8 bytes: a lone surrogate cannot be written into one (it can into JSON, as \ud800)
        return core[:at] + rnd.choice(BAD[:-1] if in_url else BAD) + core[at:]

    def check(method: str, url: str, field: str, **kwargs: Any) -> None:
        nonlocal tried
        tried += 1
        resp = session.request(method, url, timeout=30, **kwargs)
        fields = [e.get("field") for e in resp.json().get("errors", [])] if resp.status_code == 422 else []
        if resp.status_code >= 500 or (resp.status_code != 404 and field not in fields):
            failures.append(f"{method} {url} {field}: {resp.status_code} {resp.text[:200]}")

    for template, ops in doc["paths"].items():
        path = "/api/v1" + re.sub(r"{(\w+)}", lambda m: PATH_VALUES.get(m[1], "x1"), template)
        for method, op in ops.items():
            method = method.upper()
            body = None
            if "requestBody" in op and "application/json" in op["requestBody"]["content"]:  # not a workbook upload
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                body = skeleton(schema, doc)
            for param in op.get("parameters", []):
                if param["in"] == "query":
                    check(method, server.url + path, f"query.{param['name']}",
                          params={param["name"]: bad_text(in_url=True)}, json=body)
                elif param["in"] == "path" and param.get("schema", {}).get("type") == "string":
                    name = param["name"]
                    where = re.sub(r"{(\w+)}", lambda m, name=name: (PATH_VALUES.get(m[1], "x1") + "%00"
                                                                     if m[1] == name else
                                                                     PATH_VALUES.get(m[1], "x1")), template)
                    # a path code allows no NUL by its pattern: 404 before any lookup, or 422 naming it
                    check(method, f"{server.url}/api/v1{where}", f"path.{param['name']}", json=body)
            for leaf in string_leaves(body):
                check(method, server.url + path, ".".join(leaf) or "body",
                      json=with_leaf(body, leaf, bad_text()))

    assert failures == [], "\n".join(failures[:20])
    assert tried > 200, tried  # every operation, with its bodies' every string (254 when written)
