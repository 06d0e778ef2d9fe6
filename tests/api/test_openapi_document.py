"""/api/v1/openapi.json is built once and then served from memory (a build takes pydantic's JSON schema of every
model, about 70 ms of CPU, on a route that needs no credential), and what it serves is the document of the routes
registered at the time, never an older one."""

from __future__ import annotations

import json
from typing import Any

from queue_server.web.api.openapi import OPERATIONS
from queue_server.web.api.openapi import Operation
from queue_server.web.api.openapi import document


def test_the_served_document_is_the_document_of_the_routes_registered_now(client: Any) -> None:
    first = client.get("/api/v1/openapi.json")
    assert first.status_code == 200
    assert first.get_json() == json.loads(json.dumps(document()))  # as a fresh build gives it

    added = Operation("GET", "/test-only/{hall}", "A route registered after the first answer", "test_only",
                      path_params={"hall": {"type": "string"}})
    OPERATIONS.append(added)
    try:
        later = client.get("/api/v1/openapi.json").get_json()
    finally:
        OPERATIONS.remove(added)
    assert later["paths"]["/test-only/{hall}"]["get"]["operationId"] == "test_only"
    assert later["paths"].keys() - {"/test-only/{hall}"} == first.get_json()["paths"].keys()

    assert client.get("/api/v1/openapi.json").get_json() == first.get_json()
