"""好差评 routes: the window tablet (pending + rate), rating by QR code, 差评 cases and the reporting outbox.

Only a rating tablet (role rater) or the citizen's own track token can rate: staff credentials get 403.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import jsonify
from flask import request
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server.queries import evaluation
from queue_server.queries import snapshots
from queue_server.reports import export
from queue_server.storage.models import Hall
from queue_server.storage.models import Role
from queue_server.storage.models import Window
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.openapi import Download
from queue_server.web.api.schemas.queue import AppealDecisionRequest
from queue_server.web.api.schemas.queue import CaseActionRequest
from queue_server.web.api.schemas.queue import CaseOut
from queue_server.web.api.schemas.queue import CaseQuery
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.queue import MarkReportedOut
from queue_server.web.api.schemas.queue import MarkReportedRequest
from queue_server.web.api.schemas.queue import RateRequest
from queue_server.web.api.schemas.queue import RaterStateOut
from queue_server.web.api.schemas.queue import RatingOut
from queue_server.web.api.schemas.reports import query_params

CASE_ROLES = (Role.MANAGER, Role.ADMIN)


def _rater_window() -> tuple[str, int]:
    who = principal()
    if who.role != Role.RATER:
        raise errors.RoleRequired(roles=Role.RATER.value)
    if who.window_id is None or who.hall_code is None:
        raise errors.WindowNotAssigned()
    return who.hall_code, who.window_id


@route("GET", "/rating/pending", "Rating tablet: its window and staff, and the just-finished service to rate",
       responses={200: RaterStateOut})
def rating_pending() -> Any:
    _, window_id = _rater_window()
    hq = services()
    with hq.store.read_session() as session:
        window = session.get(Window, window_id)
        assert window is not None
        return jsonify(evaluation.rater_state(session, window, hq.runtime.clock.now()))


def _rating_response(session: Session, rating: Rating) -> dict[str, Any]:
    return evaluation.rating_out(session, rating)


@route("POST", "/rating", "Rating tablet: the citizen rates the pending service (codes 4, 5 need a reason)",
       request_model=RateRequest, responses={201: RatingOut})
def rating_submit() -> Any:
    hall, window_id = _rater_window()
    req = body(RateRequest)
    done = services().runtime.execute(
        engine.rate, hall=hall, after=_rating_response, level=req.level, tags=req.tags, text=req.text,
        channel="window_device", leg_id=req.leg_id, window_id=window_id,
    )
    return jsonify(done.value), 201


@route("POST", "/track/{token}/rating", "The citizen rates their finished service by QR code (once per leg)",
       request_model=RateRequest, responses={201: RatingOut}, public=True)
def track_rating(token: str) -> Any:
    req = body(RateRequest)
    hq = services()
    with hq.store.read_session() as session:
        hall = snapshots.track(session, token, hq.runtime.clock.now()).hall.code
    done = hq.runtime.execute(engine.rate, hall=hall, after=_rating_response, level=req.level, tags=req.tags,
                              text=req.text, channel="qr_code", track_token=token)
    return jsonify(done.value), 201


CASE_QUERY = query_params(CaseQuery)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _found_cases(hall: str) -> tuple[list[dict[str, Any]], str]:
    """The filtered cases (query: status, overdue, service code, window number) and the hall's time zone."""
    query = CaseQuery.model_validate({k: v for k, v in request.args.items() if v != ""})
    hq = services()
    with hq.store.read_session() as session:
        row = snapshots.hall_by_code(session, hall)
        found = evaluation.cases(session, row, hq.runtime.clock.now(), overdue_only=query.overdue,
                                 status=query.status, service=query.service, window=query.window)
        return found, row.timezone


@route("GET", "/halls/{hall}/evaluation-cases",
       "差评 follow-up cases, filtered by status, overdue (past the deadline), service code and window number",
       responses={200: [CaseOut]}, query=CASE_QUERY)
def list_cases(hall: str) -> Any:
    principal().require(hall, *CASE_ROLES)
    return jsonify(_found_cases(hall)[0])


@route("GET", "/halls/{hall}/evaluation-cases/export", "The filtered 差评 cases and their steps as an XLSX file",
       responses={200: Download((XLSX,))}, query=CASE_QUERY)
def export_cases(hall: str) -> Any:
    principal().require(hall, *CASE_ROLES)
    found, tz = _found_cases(hall)
    data = export.workbook("差评工单 cases", evaluation.CASE_HEADERS, evaluation.case_rows(found, tz))
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="hallq-cases-{hall}.xlsx"'
    response.headers["Cache-Control"] = "no-store"  # citizens' words about named windows: not for shared caches
    return response


@route("GET", "/evaluation-cases/{case_id:int}", "One 差评 case with its rating and every step",
       responses={200: CaseOut})
def get_case(case_id: int) -> Any:
    who = principal()
    hq = services()
    with hq.store.read_session() as session:
        case = session.get(EvaluationCase, case_id)
        hall_row = session.get(Hall, case.hall_id) if case is not None else None
        if case is None or hall_row is None:
            raise errors.CaseNotFound(case=case_id)
        who.require(hall_row.code, *CASE_ROLES)
        return jsonify(evaluation.case_out(session, hall_row, case, hq.runtime.clock.now()))


@route("POST", "/halls/{hall}/evaluation-cases/alert-overdue",
       "Raise evaluation.case_overdue once for each case past its deadline (housekeeping runs this)",
       request_model=EmptyBody, body_required=False, responses={200: [CaseOut]})
def alert_overdue_cases(hall: str) -> Any:
    principal().require(hall, *CASE_ROLES)
    body(EmptyBody, optional=True)
    hq = services()

    def respond(session: Session, raised: list[EvaluationCase]) -> list[dict[str, Any]]:
        row = snapshots.hall_by_code(session, hall)
        return [evaluation.case_out(session, row, c, hq.runtime.clock.now()) for c in raised]

    return jsonify(hq.runtime.execute(engine.alert_overdue, hall=hall, after=respond).value)


def _case_action(case_id: int, op: Any, model: type[CaseActionRequest] | type[AppealDecisionRequest],
                 **kwargs: Any) -> Any:
    """Credential first, then the case's hall, then the body (a refusal never depends on the body)."""
    who = principal()
    hq = services()
    with hq.store.read_session() as session:
        case = session.get(EvaluationCase, case_id)
        hall_row = session.get(Hall, case.hall_id) if case is not None else None
        if case is None or hall_row is None:
            raise errors.CaseNotFound(case=case_id)
        hall = hall_row.code
    who.require(hall, *CASE_ROLES)
    req = body(model)
    kwargs = {"note": req.note, **kwargs}
    if isinstance(req, AppealDecisionRequest):
        kwargs["upheld"] = req.upheld

    def respond(session: Session, case: EvaluationCase) -> dict[str, Any]:
        row = session.get(Hall, case.hall_id)
        assert row is not None
        return evaluation.case_out(session, row, case, hq.runtime.clock.now())

    # The person exactly (two tokens of one account are one person) and their rank, for the appeal rule.
    actor_key = f"staff:{who.staff_id}" if who.staff_id is not None else who.label
    rank = engine.appeal_rank(who.role.value, all_halls=who.hall_id is None)
    done = hq.runtime.execute(op, hall=hall, after=respond, case_id=case_id, actor=who.label, actor_key=actor_key,
                              actor_rank=rank, **kwargs)
    return jsonify(done.value)


def _step(verb: str, action: str, summary: str) -> None:
    def step(case_id: int) -> Any:
        return _case_action(case_id, engine.case_step, CaseActionRequest, action=action)

    step.__name__ = f"case_{action}"
    route("POST", f"/evaluation-cases/{{case_id:int}}/{verb}", summary, request_model=CaseActionRequest,
          responses={200: CaseOut})(step)


_step("follow-up", "follow_up", "回访: record the follow-up call with the citizen")
_step("rectify", "rectify", "整改: record the fix")
_step("feedback", "feedback", "反馈: tell the citizen the result; the case closes")
_step("appeal", "appeal", "申诉: the department appeals the rating as malicious")


@route("POST", "/evaluation-cases/{case_id:int}/decide-appeal",
       "申诉复核: upheld excludes the rating; rejected reopens the case",
       request_model=AppealDecisionRequest, responses={200: CaseOut})
def case_decide_appeal(case_id: int) -> Any:
    return _case_action(case_id, engine.decide_appeal, AppealDecisionRequest)


@route("GET", "/halls/{hall}/ratings/outbox", "Ratings (表9 records) not yet reported to the provincial system",
       responses={200: [RatingOut]})
def ratings_outbox(hall: str) -> Any:
    principal().require(hall, *CASE_ROLES)
    with services().store.read_session() as session:
        return jsonify(evaluation.outbox(session, snapshots.hall_by_code(session, hall)))


@route("POST", "/halls/{hall}/ratings/outbox/mark-reported", "The provincial system accepted these ratings",
       request_model=MarkReportedRequest, responses={200: MarkReportedOut})
def ratings_mark_reported(hall: str) -> Any:
    principal().require(hall, *CASE_ROLES)
    req = body(MarkReportedRequest)
    done = services().runtime.execute(engine.mark_reported, hall=hall, ids=req.ids)
    return jsonify({"marked": done.value})
