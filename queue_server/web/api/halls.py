"""Hall routes of /api/v1: list, create, rename and retire halls (admins), and a hall's set-up as one XLSX
workbook: download it, upload one (checked cell by cell, all or nothing, `?dry_run=true` to check only) and the
blank template (managers of the hall and admins).

A refused upload answers 422 setup_invalid with `cells`: one {sheet, row, column, reason} per bad cell, the
reason in Chinese as the operator reads it in Excel.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import jsonify
from flask import request
from flask_babel import gettext
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.engine.setup.halls import hall_payload
from queue_server.provisioning import halls
from queue_server.provisioning import snapshot
from queue_server.provisioning.importing import SetupRefused
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.openapi import Download
from queue_server.web.api.problems import problem
from queue_server.web.api.schemas.halls import HallCreate
from queue_server.web.api.schemas.halls import HallListOut
from queue_server.web.api.schemas.halls import HallOut
from queue_server.web.api.schemas.halls import HallRename
from queue_server.web.api.schemas.halls import ImportOut

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFIGURERS = (Role.MANAGER, Role.ADMIN)
# A hall of 30 services with their guides is ~30 KB; the JSON routes' 64 KB limit would refuse a bigger one.
WORKBOOK_MAX_BYTES = 8 * 1024 * 1024


def require_admin() -> str:
    """The admin's label for the audit log; a hall's own manager may not create or retire halls."""
    who = principal()
    if who.role != Role.ADMIN or who.hall_id is not None:
        raise errors.RoleRequired(roles=Role.ADMIN.value)
    return who.label


def xlsx_download(data: bytes, name: str) -> Response:
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f"attachment; filename=\"{name}\""
    response.headers["Cache-Control"] = "no-store"  # staff names and the hall's set-up
    return response


def refused(exc: SetupRefused) -> Response:
    return problem(exc.code, exc.status, gettext(exc.title), exc.render_detail(gettext),
                   cells=[c.as_dict() for c in exc.cells])


@route("GET", "/halls", "Halls the credential may see, retired ones included", responses={200: HallListOut})
def list_halls() -> Any:
    who = principal()
    with services().store.read_session() as session:
        rows = session.scalars(select(Hall).order_by(Hall.code))
        return jsonify({"halls": [hall_payload(h) for h in rows if who.may_access_hall(h.code)]})


@route("POST", "/halls", "Create an empty hall (admins; audited)", request_model=HallCreate,
       responses={201: HallOut})
def create_hall() -> Any:
    actor = require_admin()
    req = body(HallCreate)
    hq = services()
    out = halls.create(hq.store, hq.runtime.clock, code=req.code, name=req.name, timezone=req.timezone,
                       actor=actor)
    return jsonify(out), 201


@route("PATCH", "/halls/{hall}", "Rename a hall (admins; audited, hall.updated)", request_model=HallRename,
       responses={200: HallOut})
def rename_hall(hall: str) -> Any:
    actor = require_admin()
    req = body(HallRename)
    done = services().runtime.execute(engine.rename_hall, hall=hall, name=req.name, actor=actor)
    return jsonify(done.value)


@route("POST", "/halls/{hall}/retire", "Retire a hall: it issues no more tickets, its history stays (admins; "
       "audited, hall.updated)", responses={200: HallOut})
def retire_hall(hall: str) -> Any:
    actor = require_admin()
    done = services().runtime.execute(engine.retire_hall, hall=hall, actor=actor)
    return jsonify(done.value)


@route("GET", "/halls/{hall}/setup.xlsx", "The hall's whole set-up as one XLSX workbook (no passwords)",
       responses={200: Download((XLSX,))})
def export_setup(hall: str) -> Any:
    principal().require(hall, *CONFIGURERS)
    return xlsx_download(halls.export(services().store, hall), f"hallq-{hall}-setup.xlsx")


@route("PUT", "/halls/{hall}/setup.xlsx", "Import a set-up workbook: every cell checked first, written in one "
       "transaction or not at all; ?dry_run=true checks only (audited, events of each change)",
       responses={200: ImportOut}, query={"dry_run": {"type": "boolean"}}, upload=(XLSX,))
def import_setup(hall: str) -> Any:
    who = principal()
    who.require(hall, *CONFIGURERS)
    request.max_content_length = WORKBOOK_MAX_BYTES
    dry_run = request.args.get("dry_run", "false").lower() in ("1", "true", "yes")
    try:
        result = halls.import_workbook(services().runtime, hall, request.get_data(), actor=who.label,
                                       dry_run=dry_run)
    except SetupRefused as exc:
        return refused(exc)
    return jsonify(result.as_dict())


@route("GET", "/setup-template.xlsx", "The blank set-up workbook with its Chinese sheet and column headers",
       responses={200: Download((XLSX,))})
def setup_template() -> Any:
    who = principal()
    if who.role not in CONFIGURERS:
        raise errors.RoleRequired(roles=", ".join(r.value for r in CONFIGURERS))
    return xlsx_download(snapshot.template(), "hallq-setup-template.xlsx")
