"""Service and window set-up routes of /api/v1: create a service with every field of the core or change any of
them, add a window, rename it or move it to another zone. Managers (own hall) and admins; audited and announced
(service.updated, window.updated), so kiosks, displays and consoles follow.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.catalogue import index
from queue_server.engine.setup.services import service_settings
from queue_server.queries import snapshots
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.setup import ServiceCreate
from queue_server.web.api.schemas.setup import ServiceFields
from queue_server.web.api.schemas.setup import ServiceSettingsFull
from queue_server.web.api.schemas.setup import ServiceSettingsListOut
from queue_server.web.api.schemas.setup import WindowCreate
from queue_server.web.api.schemas.setup import WindowPatch
from queue_server.web.api.schemas.setup import WindowSettingsOut

CONFIGURERS = (Role.MANAGER, Role.ADMIN)


def _check_guide(code: str | None) -> None:
    """Guides live in the catalogue, outside the engine: a link to a guide that does not exist is refused here."""
    if not code:
        return
    with services().store.read_session() as session:
        if index.guide_by_code(session, code) is None:
            raise errors.GuideNotFound(guide=code)


@route("GET", "/halls/{hall}/service-settings", "Every service of the hall with all its configurable fields",
       responses={200: ServiceSettingsListOut})
def list_service_settings(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        rows = session.scalars(select(Service).where(Service.hall_id == row.id).order_by(Service.id))
        return jsonify({"services": [service_settings(session, s) for s in rows]})


@route("POST", "/halls/{hall}/services", "Create a service with any field of the core (audited, service.updated)",
       request_model=ServiceCreate, responses={201: ServiceSettingsFull})
def create_service(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(ServiceCreate)
    _check_guide(req.guide_code)
    fields = req.model_dump(exclude_unset=True, exclude={"code"})
    done = services().runtime.execute(engine.create_service, hall=hall, code=req.code, fields=fields,
                                      actor=who.label)
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/services/{service}", "Change any field of a service: name, open/closed, prefix, "
       "number range, caps and quotas, own hours, limits, green channel, department, guide "
       "(audited, service.updated)", request_model=ServiceFields, responses={200: ServiceSettingsFull})
def patch_service(hall: str, service: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(ServiceFields)
    _check_guide(req.guide_code)
    done = services().runtime.execute(engine.update_service, hall=hall, service_code=service,
                                      changes=req.model_dump(exclude_unset=True), actor=who.label)
    return jsonify(done.value)


@route("POST", "/halls/{hall}/windows", "Add a window with its services; closed until a clerk signs in "
       "(audited, window.updated)", request_model=WindowCreate, responses={201: WindowSettingsOut})
def create_window(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(WindowCreate)
    done = services().runtime.execute(engine.create_window, hall=hall, number=req.number, name=req.name,
                                      zone=req.zone, profile=[p.model_dump() for p in req.services],
                                      actor=who.label)
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/windows/{number:int}", "Rename a window or move it to another zone "
       "(audited, window.updated)", request_model=WindowPatch, responses={200: WindowSettingsOut})
def patch_window(hall: str, number: int) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(WindowPatch)
    done = services().runtime.execute(engine.update_window, hall=hall, window_number=number,
                                      changes=req.model_dump(exclude_unset=True), actor=who.label)
    return jsonify(done.value)
