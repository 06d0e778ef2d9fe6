"""schemathesis against /api/v1/openapi.json through the WSGI app, with a manager's bearer token, on SQLite:
no 5xx, every status declared, every body matching its schema. Examples are bounded to keep the run
under a minute.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance
from schemathesis.specs.openapi.checks import response_schema_conformance
from schemathesis.specs.openapi.checks import status_code_conformance
from sqlalchemy import select

from queue_server.app import create_app
from queue_server.clock import FrozenClock
from queue_server.settings import Settings
from queue_server.storage.models import ACTIVE_STATUSES
from queue_server.storage.models import OPEN_STATUSES
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.store import Store
from queue_server.storage.store import make_store
from queue_server.web.api.openapi import OPERATIONS
from tests.conftest import START
from tests.factories import basic_hall
from tests.factories import bearer

# The set-up workbook upload takes the XLSX file itself as its body: generated bodies are sent as raw bytes.
schemathesis.serializer.alias("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              "application/octet-stream")

# Per operation and mode: 19 operations x 2 modes x 75 examples takes about 30-40 s on SQLite.
EXAMPLES = 75
SEEDED_TICKETS = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_app(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """One app and database for all generated cases (a database per case would dominate the run)."""
    folder = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_template, folder / "hallq.db")
    url = f"sqlite:///{folder / 'hallq.db'}"
    clock = FrozenClock(START)
    store = make_store(url)
    hall = basic_hall(store, clock)
    store.dispose()
    app = create_app(Settings(instance_path=folder, database_url=url, redis_url=None,
                              secret_key="test-" + uuid.uuid4().hex), clock=clock)
    app.config["TESTING"] = True
    client = app.test_client()
    for n in range(SEEDED_TICKETS):
        client.post("/api/v1/halls/t1/tickets", json={"service": "ab"[n % 2]}, headers=bearer(hall.kiosk))
    yield app, hall.manager
    app.extensions["hallq"].store.dispose()


def _pick(data: st.DataObject, known: list[Any], generated: Any) -> Any:
    """Mostly a value the hall knows (so the route gets past its lookups), sometimes the generated one."""
    # One seeded Random (a single draw) keeps the draw shape fixed while the known values change as the database
    # fills (Hypothesis refuses draws whose shape depends on outside state).
    rnd = data.draw(st.randoms(use_true_random=True))
    return rnd.choice(known) if known and rnd.random() < 0.75 else generated


def steer(case: Any, data: st.DataObject, store: Store) -> None:
    """Point generated cases at hall t1's real windows, tickets, services and track tokens.

    Purely random codes and ids only ever reach 403/404; steering makes the deeper paths (issue, call, every
    ticket action in every state) run, while a quarter of the draws keep the generated value."""
    with store.read_session() as s:
        tickets = s.execute(select(Ticket.id, Ticket.ticket_no, Ticket.track_token, Ticket.status)).all()
    # Tickets still in play count more: finished and cancelled ones only ever answer 409.
    tickets += [t for t in tickets if t.status in OPEN_STATUSES or t.status == TicketStatus.NO_SHOW]
    tickets += [t for t in tickets if t.status in ACTIVE_STATUSES] * 4
    params = case.path_parameters or {}
    if "hall" in params:
        params["hall"] = _pick(data, ["t1"], params["hall"])
    if "number" in params:
        params["number"] = _pick(data, [1, 2], params["number"])
    if "ticket_id" in params:
        params["ticket_id"] = _pick(data, [t.id for t in tickets], params["ticket_id"])
    if "token" in params:
        params["token"] = _pick(data, [t.track_token for t in tickets], params["token"])
    if isinstance(case.body, dict):
        if "service" in case.body:
            case.body["service"] = _pick(data, ["a", "b"], case.body["service"])
        if "window" in case.body:
            case.body["window"] = _pick(data, [1, 2], case.body["window"])
        for person in ("priority", "appointment_code", "id_number", "phone"):
            if person in case.body:
                case.body[person] = _pick(data, ["laonian" if person == "priority" else None], case.body[person])
        if "ticket_no" in case.body:
            case.body["ticket_no"] = _pick(data, [t.ticket_no for t in tickets], case.body["ticket_no"])


@pytest.fixture(scope="module")
def api_schema(api_app: tuple[Any, str]) -> Any:
    app, _ = api_app
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_openapi_document_is_valid_openapi_3_1(api_schema: Any) -> None:
    api_schema.validate()  # against the OpenAPI meta-schema; raises with the offending location

    assert api_schema.raw_schema["openapi"].startswith("3.1")
    assert len(list(api_schema.get_all_operations())) == len(OPERATIONS)


# One test per operation and generation mode, so a failure names the route. (schemathesis' own
# from_fixture/parametrize lazy loader relies on pytest internals that pytest 9 removed.)
OPERATION_LABELS = [f"{op.method} {op.path}" for op in OPERATIONS]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"])
@pytest.mark.parametrize("label", OPERATION_LABELS)
def test_api_conforms_to_its_openapi_document(
    api_schema: Any, api_app: tuple[Any, str], label: str, mode: GenerationMode
) -> None:
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    app, token = api_app

    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def conforms(case: Any, data: st.DataObject) -> None:
        steer(case, data, app.extensions["hallq"].store)
        case.call_and_validate(headers=bearer(token), checks=CHECKS)

    conforms()
