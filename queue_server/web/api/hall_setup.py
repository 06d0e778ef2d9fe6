"""Hall set-up routes of /api/v1: the announcement template and repeats, the hall's time zone and priority
ratio, departments and priority categories. Managers (own hall) and admins; every change audited and announced
(hall.updated), so displays announce the next call with the new wording and consoles re-read.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask import jsonify
from sqlalchemy import select

from queue_server import engine
from queue_server.engine.setup.departments import department_payload
from queue_server.engine.setup.departments import priority_payload
from queue_server.engine.setup.hall_settings import hall_settings
from queue_server.queries import snapshots
from queue_server.storage.models import Department
from queue_server.storage.models import Hall
from queue_server.storage.models import PriorityCategory
from queue_server.storage.models import Role
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.setup import DepartmentCreate
from queue_server.web.api.schemas.setup import DepartmentListOut
from queue_server.web.api.schemas.setup import DepartmentOut
from queue_server.web.api.schemas.setup import DepartmentPatch
from queue_server.web.api.schemas.setup import HallPatch
from queue_server.web.api.schemas.setup import HallSettingsOut
from queue_server.web.api.schemas.setup import PriorityCreate
from queue_server.web.api.schemas.setup import PriorityListOut
from queue_server.web.api.schemas.setup import PriorityOut
from queue_server.web.api.schemas.setup import PriorityPatch
from queue_server.web.api.schemas.setup import VoiceBody
from queue_server.web.api.schemas.setup import VoiceOut

CONFIGURERS = (Role.MANAGER, Role.ADMIN)
EXAMPLE_TICKET, EXAMPLE_WINDOW = "A001", 3


def _voice_out(hall: Hall) -> dict[str, Any]:
    settings = services().settings
    announce = current_app.extensions["hallq.announce"]
    example = announce(EXAMPLE_TICKET, EXAMPLE_WINDOW, template=hall.voice_template or settings.voice_template,
                       repeats=hall.voice_repeats or settings.voice_repeats)
    return {"template": hall.voice_template, "repeats": hall.voice_repeats,
            "default_template": settings.voice_template, "default_repeats": settings.voice_repeats,
            "example": {"text": example.text, "speech": example.speech}}


@route("GET", "/halls/{hall}/voice", "The hall's announcement template and repeats, with an example",
       responses={200: VoiceOut})
def get_voice(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        return jsonify(_voice_out(snapshots.hall_by_code(session, hall)))


@route("PUT", "/halls/{hall}/voice", "Set the hall's announcement template and repeats; null = the default "
       "(audited, hall.updated; the next call is announced with it)", request_model=VoiceBody,
       responses={200: VoiceOut})
def put_voice(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(VoiceBody)
    done = services().runtime.execute(engine.set_voice, hall=hall, template=req.template, repeats=req.repeats,
                                      actor=who.label, after=lambda session, _: _voice_out(
                                          snapshots.hall_by_code(session, hall)))
    return jsonify(done.value)


@route("GET", "/halls/{hall}/settings", "The hall's time zone and priority ratio", responses={200: HallSettingsOut})
def get_hall_settings(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        return jsonify(hall_settings(snapshots.hall_by_code(session, hall)))


@route("PATCH", "/halls/{hall}/settings", "Change the hall's time zone or priority ratio (audited, hall.updated)",
       request_model=HallPatch, responses={200: HallSettingsOut})
def patch_hall_settings(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(HallPatch)
    done = services().runtime.execute(engine.update_hall, hall=hall, changes=req.model_dump(exclude_unset=True),
                                      actor=who.label)
    return jsonify(done.value)


@route("GET", "/halls/{hall}/departments", "Departments of the hall, active or not",
       responses={200: DepartmentListOut})
def list_departments(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        rows = session.scalars(select(Department).where(Department.hall_id == row.id).order_by(Department.code))
        return jsonify({"departments": [department_payload(d) for d in rows]})


@route("POST", "/halls/{hall}/departments", "Add a department (audited, hall.updated)",
       request_model=DepartmentCreate, responses={201: DepartmentOut})
def create_department(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(DepartmentCreate)
    done = services().runtime.execute(engine.create_department, hall=hall, code=req.code, name=req.name,
                                      actor=who.label)
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/departments/{department}", "Rename, deactivate or reactivate a department "
       "(audited, hall.updated)", request_model=DepartmentPatch, responses={200: DepartmentOut})
def patch_department(hall: str, department: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(DepartmentPatch)
    done = services().runtime.execute(engine.update_department, hall=hall, code=department,
                                      changes=req.model_dump(exclude_unset=True), actor=who.label)
    return jsonify(done.value)


@route("GET", "/halls/{hall}/priorities", "Priority categories (绿色通道) with their weights",
       responses={200: PriorityListOut})
def list_priorities(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    with services().store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        rows = session.scalars(select(PriorityCategory).where(PriorityCategory.hall_id == row.id)
                               .order_by(PriorityCategory.weight.desc(), PriorityCategory.code))
        return jsonify({"priorities": [priority_payload(p) for p in rows]})


@route("POST", "/halls/{hall}/priorities", "Add a priority category (audited, hall.updated)",
       request_model=PriorityCreate, responses={201: PriorityOut})
def create_priority(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(PriorityCreate)
    done = services().runtime.execute(engine.create_priority, hall=hall, code=req.code, name=req.name,
                                      weight=req.weight, actor=who.label)
    return jsonify(done.value), 201


@route("PATCH", "/halls/{hall}/priorities/{priority}", "Rename or re-weight a priority category "
       "(audited, hall.updated)", request_model=PriorityPatch, responses={200: PriorityOut})
def patch_priority(hall: str, priority: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    req = body(PriorityPatch)
    done = services().runtime.execute(engine.update_priority, hall=hall, code=priority,
                                      changes=req.model_dump(exclude_unset=True), actor=who.label)
    return jsonify(done.value)
