"""The halls page of the manager console (/manager/halls): an admin creates, renames and retires halls; an admin
or a hall's manager downloads the hall's set-up workbook and the blank template, and uploads a workbook (checked
cell by cell; a refused one lists every bad cell in the page, with its sheet, row, column and Chinese reason).

Adapter: server-rendered forms with the session's CSRF token, no script. Writes go through the same calls as
`hallq hall …` and /api/v1/halls (queue_server/provisioning), so the rules and the audit are the same.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from sqlalchemy import select

from queue_server import engine
from queue_server import errors
from queue_server.access.credentials import Principal
from queue_server.engine.setup.halls import hall_payload
from queue_server.provisioning import halls
from queue_server.provisioning.importing import Result
from queue_server.provisioning.importing import SetupRefused
from queue_server.provisioning.reading import CellError
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.web import sessions
from queue_server.web.api import services
from queue_server.web.api.halls import WORKBOOK_MAX_BYTES

bp = Blueprint("halls", __name__)
CONFIGURERS = (Role.MANAGER, Role.ADMIN)


def _who() -> Principal | None:
    with services().store.read_session() as db:
        return sessions.principal_for_session(db)


def _is_admin(who: Principal) -> bool:
    return who.role == Role.ADMIN and who.hall_id is None


def _page(who: Principal, *, message: str | None = None, error: str | None = None,
          cells: list[CellError] | None = None, result: Result | None = None, hall: str | None = None,
          status: int = 200) -> tuple[str, int]:
    with services().store.read_session() as db:
        rows = [hall_payload(h) for h in db.scalars(select(Hall).order_by(Hall.code))
                if who.may_access_hall(h.code)]
    return render_template("manager_console/halls.html", who=who, halls=rows, admin=_is_admin(who),
                           message=message, error=error, cells=cells or [], result=result, chosen=hall,
                           csrf_token=sessions.csrf_token(), hall=None, can_configure=True, live=False), status


def _refusal(exc: errors.HallqError) -> str:
    return f"{gettext(exc.title)}：{exc.render_detail(gettext)}"


def _signed_in() -> Principal | None:
    who = _who()
    if who is None or who.role not in CONFIGURERS:
        return None
    return who


@bp.get("/manager/halls")
def page() -> Any:
    who = _signed_in()
    if who is None:
        return redirect(url_for("manager.login_form"))
    return _page(who)


@bp.post("/manager/halls")
def create() -> Any:
    who = _signed_in()
    if who is None:
        return redirect(url_for("manager.login_form"))
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        if not _is_admin(who):
            raise errors.RoleRequired(roles=Role.ADMIN.value)
        hq = services()
        made = halls.create(hq.store, hq.runtime.clock, code=request.form.get("code", "").strip(),
                            name=request.form.get("name", ""), timezone=request.form.get("timezone", "").strip(),
                            actor=who.label)
    except errors.HallqError as exc:
        return _page(who, error=_refusal(exc), status=exc.status)
    return _page(who, message=f"已创建大厅 {made['code']} {made['name']}。Hall created.", hall=made["code"],
                 status=201)


@bp.post("/manager/halls/<code:hall>/rename")
def rename(hall: str) -> Any:
    who = _signed_in()
    if who is None:
        return redirect(url_for("manager.login_form"))
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        if not _is_admin(who):
            raise errors.RoleRequired(roles=Role.ADMIN.value)
        services().runtime.execute(engine.rename_hall, hall=hall, name=request.form.get("name", ""),
                                   actor=who.label)
    except errors.HallqError as exc:
        return _page(who, error=_refusal(exc), status=exc.status)
    return _page(who, message=f"大厅 {hall} 已改名。Hall renamed.")


@bp.post("/manager/halls/<code:hall>/retire")
def retire(hall: str) -> Any:
    who = _signed_in()
    if who is None:
        return redirect(url_for("manager.login_form"))
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        if not _is_admin(who):
            raise errors.RoleRequired(roles=Role.ADMIN.value)
        if request.form.get("confirm") != hall:
            return _page(who, error=f"请输入大厅编码 {hall} 以确认撤销。Type the hall code to confirm.", status=422)
        services().runtime.execute(engine.retire_hall, hall=hall, actor=who.label)
    except errors.HallqError as exc:
        return _page(who, error=_refusal(exc), status=exc.status)
    return _page(who, message=f"大厅 {hall} 已撤销：不再取号，历史数据保留。Hall retired.")


@bp.post("/manager/halls/<code:hall>/import")
def import_workbook(hall: str) -> Any:
    who = _signed_in()
    if who is None:
        return redirect(url_for("manager.login_form"))
    request.max_content_length = WORKBOOK_MAX_BYTES
    dry_run = request.form.get("dry_run") == "1"
    try:
        sessions.check_csrf(request.form.get("csrf_token"))
        who.require(hall, *CONFIGURERS)
        upload = request.files.get("workbook")
        if upload is None or not upload.filename:
            raise errors.BadWorkbook()
        result = halls.import_workbook(services().runtime, hall, upload.read(), actor=who.label, dry_run=dry_run)
    except SetupRefused as exc:
        return _page(who, error=_refusal(exc), cells=exc.cells, hall=hall, status=exc.status)
    except errors.HallqError as exc:
        return _page(who, error=_refusal(exc), hall=hall, status=exc.status)
    return _page(who, result=result, hall=hall)
