"""The OpenAPI 3.1 document, assembled from the pydantic models that the routes declare."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from functools import cache
from typing import Any

from pydantic import BaseModel

from queue_server import __version__
from queue_server.web.api.schemas.queue import Problem

PROBLEM_REF = {"content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
ERROR_STATUSES = {
    "400": "Malformed JSON", "401": "No or bad credential", "403": "Not allowed for this credential",
    "404": "Unknown hall, service, window or ticket", "409": "Refused in the current state",
    "413": "Body too large", "415": "Body is not JSON", "422": "Invalid fields",
}


@dataclass
class Operation:
    method: str
    path: str  # OpenAPI form: /halls/{hall}/tickets
    summary: str
    operation_id: str
    request: type[BaseModel] | None = None
    responses: dict[int, type[BaseModel] | list[type[BaseModel]] | Download | None] = field(default_factory=dict)
    public: bool = False
    path_params: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> JSON schema
    query: dict[str, dict[str, Any]] = field(default_factory=dict)
    body_required: bool = True
    upload: tuple[str, ...] = ()  # media types of a file sent as the whole body (an XLSX workbook)


OPERATIONS: list[Operation] = []


@dataclass(frozen=True)
class Download:
    """A response that is a file (CSV, XLSX...) rather than JSON: its media types, for the document."""

    media_types: tuple[str, ...]


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _response(model: type[BaseModel] | list[type[BaseModel]] | Download | None, status: int) -> dict[str, Any]:
    if model is None:
        return {"description": "No content"}
    if model is Problem:  # an error particular to one route (429 pairing_locked): a problem document
        return {"description": str(status), **PROBLEM_REF}
    if isinstance(model, Download):
        binary = {"schema": {"type": "string", "format": "binary"}}
        return {"description": "A file", "content": {media: binary for media in model.media_types}}
    schema = {"type": "array", "items": _ref(model[0])} if isinstance(model, list) else _ref(model)
    return {"description": "OK" if status < 300 else str(status), "content": {"application/json": {"schema": schema}}}


def published() -> dict[str, Any]:
    """document(), built once per set of operations: building it takes pydantic's JSON schema of every model,
    about 70 ms of CPU, and /openapi.json needs no credential. Operations are only ever added (as the route
    modules load), so their count names the document."""
    return _built(len(OPERATIONS))


@cache
def _built(operations: int) -> dict[str, Any]:
    return document()


def document() -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    paths: dict[str, dict[str, Any]] = {}
    methods: dict[str, set[str]] = {}
    for op in OPERATIONS:
        methods.setdefault(op.path, set()).add(op.method)
    for op in OPERATIONS:
        params = [
            {"name": name, "in": "path", "required": True, "schema": schema}
            for name, schema in op.path_params.items()
        ] + [{"name": name, "in": "query", "required": False, "schema": schema} for name, schema in op.query.items()]
        spec: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id, "parameters": params,
                                "responses": {}}
        if op.request is not None:
            models.add(op.request)
            spec["requestBody"] = {"required": op.body_required,
                                   "content": {"application/json": {"schema": _ref(op.request)}}}
        if op.upload:
            binary = {"schema": {"type": "string", "format": "binary"}}
            spec["requestBody"] = {"required": True, "content": {media: binary for media in op.upload}}
        for status, model in op.responses.items():
            if model is not None and not isinstance(model, Download):
                models.add(model[0] if isinstance(model, list) else model)
            spec["responses"][str(status)] = _response(model, status)
        for status, text in ERROR_STATUSES.items():
            if op.public and status in {"401", "403"}:
                continue
            if op.request is None and status in {"400", "413", "415", "422"} and not op.query and not op.upload:
                continue
            spec["responses"][status] = {"description": text, **PROBLEM_REF}
        if len(methods[op.path]) > 1 and any(p.get("type") == "integer" for p in op.path_params.values()):
            # Werkzeug matches the path before a number's range: an out-of-range id on a path another method
            # shares answers 405, not 404.
            spec["responses"]["405"] = {"description": "Number out of range on a path other methods share",
                                        **PROBLEM_REF}
        if not op.public:
            spec["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method.lower()] = spec
    schemas: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {"title": "hallq API", "version": __version__,
                 "description": "Queueing for government service halls. Errors are application/problem+json."},
        "servers": [{"url": "/api/v1"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
