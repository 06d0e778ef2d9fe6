"""Checks a Flask test response against the app's own OpenAPI document (/api/v1/openapi.json).

The operation is found from the request's method and path; the body is validated with a Draft 2020-12 validator
(jsonschema-rs, the validator schemathesis also uses) against the schema declared for the response status, and
object bodies may carry no field the document does not declare, so the document cannot silently fall behind.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import jsonschema_rs

API_PREFIX = "/api/v1"


def _document(client: Any) -> dict[str, Any]:
    response = client.get(f"{API_PREFIX}/openapi.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    doc: dict[str, Any] = response.get_json()
    return doc


@cache
def _path_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\{\w+\\}", r"[^/]+", re.escape(template)) + "$")


def operation(doc: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The OpenAPI operation serving `method path` (path with the /api/v1 prefix)."""
    assert path.startswith(API_PREFIX), path
    local = path[len(API_PREFIX):]
    for template, item in doc["paths"].items():
        if _path_pattern(template).match(local) and method.lower() in item:
            found: dict[str, Any] = item[method.lower()]
            return found
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def _undeclared(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> list[str]:
    """Fields present in `value` that the schema does not list (objects and arrays of objects, recursively)."""
    schema = _resolve(doc, schema)
    if isinstance(value, list) and "items" in schema:
        return [f for i, v in enumerate(value) for f in _undeclared(doc, schema["items"], v, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return []
    variants = schema.get("anyOf") or schema.get("oneOf")
    if variants:
        options = [v for v in variants if _resolve(doc, v).get("type") != "null"]
        return _undeclared(doc, options[0], value, where) if len(options) == 1 else []
    if schema.get("additionalProperties") or "properties" not in schema:
        return []
    out = [f"{where}.{k}" for k in value if k not in schema["properties"]]
    for key, sub in schema["properties"].items():
        if key in value:
            out += _undeclared(doc, sub, value[key], f"{where}.{key}")
    return out


def assert_conforms(client: Any, response: Any) -> Any:
    """Assert `response` is declared by its operation and its body matches the schema. Returns the parsed body."""
    doc = _document(client)
    op = operation(doc, response.request.method, response.request.path)
    status = str(response.status_code)
    assert status in op["responses"], f"{status} not declared for {response.request.method} {response.request.path}"
    declared = op["responses"][status]
    if "content" not in declared:
        assert response.get_data() == b"", "a response declared without content has a body"
        return None
    media_type, spec = next(iter(declared["content"].items()))
    assert response.mimetype == media_type, f"{response.mimetype} != {media_type}"
    body = response.get_json(force=True)
    schema = {**spec["schema"], "components": doc["components"]}
    errors = [f"{list(e.instance_path)}: {e.message}" for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(
        body)]
    assert not errors, f"{response.request.method} {response.request.path} {status} breaks its schema: {errors}"
    extra = _undeclared(doc, spec["schema"], body, "body")
    assert not extra, f"fields not in the OpenAPI document: {extra}"
    return body
