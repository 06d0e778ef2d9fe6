"""Kiosks and their print jobs: the print agent fetches (long-poll) and reports; the kiosk page reads a job's
status to tell the citizen 请取票 or 打印失败 and asks for 补打; a clerk or the citizen's phone asks for 补打 too; the
agent reports its printer's state (monitor, manager alert)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from flask import jsonify
from flask import request
from sqlalchemy import and_
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import engine
from queue_server import errors
from queue_server import events
from queue_server.access.credentials import Principal
from queue_server.catalogue import index
from queue_server.engine.queue.printing import job_payload
from queue_server.engine.queue.printing import print_within_s
from queue_server.engine.queue.printing import seconds_left
from queue_server.operations import shutdown
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import PrintJob
from queue_server.storage.models import PrintJobStatus
from queue_server.storage.models import Role
from queue_server.storage.models import Service
from queue_server.storage.models import Ticket
from queue_server.web.api import body
from queue_server.web.api import principal
from queue_server.web.api import route
from queue_server.web.api import services
from queue_server.web.api.schemas.kiosk import KioskOut
from queue_server.web.api.schemas.kiosk import PrinterStateOut
from queue_server.web.api.schemas.kiosk import PrinterStateRequest
from queue_server.web.api.schemas.kiosk import PrintJobOut
from queue_server.web.api.schemas.kiosk import PrintJobsQuery
from queue_server.web.api.schemas.kiosk import PrintResultRequest
from queue_server.web.api.schemas.queue import EmptyBody
from queue_server.web.api.schemas.reports import query_params
from queue_server.web.public_url import public_url

# Between looks at the table while nothing was signalled (another process may have issued the ticket).
POLL_S = 0.5
REPRINTERS = (Role.STAFF, Role.MANAGER, Role.ADMIN)

_jobs_changed = threading.Condition()


def _wake_waiting_agents() -> None:
    with _jobs_changed:
        _jobs_changed.notify_all()


shutdown.on_stop(_wake_waiting_agents)


def signal_print_jobs(envelopes: Sequence[events.Envelope]) -> None:
    """Wake long-polls in this process when a job was queued (app.py adds this to the publisher)."""
    if any(e.type == events.PRINT_JOB_QUEUED for e in envelopes):
        _wake_waiting_agents()


def _kiosk() -> Principal:
    who = principal()
    if who.role != Role.KIOSK or who.device_id is None or who.hall_code is None:
        raise errors.RoleRequired(roles=Role.KIOSK.value)
    return who


def job_out(session: Session, job: PrintJob, *, owner: bool, claimed: bool = False) -> dict[str, Any]:
    """The job with what the paper needs: the phone-page URL (owner only), the materials to bring, and the time
    left before the kiosk gives up on it."""
    now = services().runtime.clock.now()
    out = job_payload(job)
    token = out.pop("track_token", None)
    out["track_url"] = f"{public_url()}/t/{token}" if owner and token else None
    out["deadline_in_s"] = round(seconds_left(job, now), 3)
    out["print_within_s"] = round(print_within_s(job, now), 3) if claimed else None
    service = session.scalar(select(Service).where(Service.hall_id == job.hall_id,
                                                   Service.code == job.payload.get("service")))
    out["materials"] = index.materials_to_bring(session, service) if service else []
    return out


def _has_claimable(device_id: int, agent: str) -> bool:
    """Anything for this agent: a queued job, or its own claim (a restart). Another agent's claim is not, or the
    long-poll would run a write every POLL_S until that job ends."""
    with services().store.read_session() as session:
        return session.scalar(select(PrintJob.id).where(
            PrintJob.device_id == device_id,
            or_(PrintJob.status == PrintJobStatus.QUEUED,
                and_(PrintJob.status == PrintJobStatus.PRINTING, PrintJob.agent == agent))).limit(1)) is not None


@route("GET", "/print-jobs", "The kiosk's print agent claims the jobs it can still print in time (long-poll up "
       "to `wait` s)", responses={200: [PrintJobOut]}, query=query_params(PrintJobsQuery))
def fetch_print_jobs() -> Any:
    who = _kiosk()
    query = PrintJobsQuery.model_validate(request.args.to_dict())
    hq = services()
    deadline = time.monotonic() + query.wait

    def respond(session: Session, jobs: list[PrintJob]) -> list[dict[str, Any]]:
        return [job_out(session, job, owner=True, claimed=True) for job in jobs]

    while True:
        if _has_claimable(who.device_id, query.agent):  # type: ignore[arg-type]
            done = hq.runtime.execute(engine.claim_print_jobs, hall=who.hall_code, after=respond,  # type: ignore[arg-type]
                                      device_id=who.device_id, agent=query.agent)
            if done.value:
                return jsonify(done.value)
        left = deadline - time.monotonic()
        if left <= 0 or shutdown.stopping.is_set():  # stopping: the agent asks again, of a process that is up
            return jsonify([])
        with _jobs_changed:
            _jobs_changed.wait(timeout=min(POLL_S, left))


def _hall_of_job(job_id: int) -> tuple[str, int, int]:
    with services().store.read_session() as session:
        job = session.get(PrintJob, job_id)
        hall = session.get(Hall, job.hall_id) if job else None
        if job is None or hall is None:
            raise errors.PrintJobNotFound(job=job_id)
        return hall.code, job.device_id, job.id


@route("POST", "/print-jobs/{job_id:int}/result", "The print agent reports printed or failed (with the reason)",
       request_model=PrintResultRequest, responses={200: PrintJobOut})
def report_print_result(job_id: int) -> Any:
    who = _kiosk()
    req = body(PrintResultRequest)
    hall, device_id, _ = _hall_of_job(job_id)
    if device_id != who.device_id:
        raise errors.PrintJobNotFound(job=job_id)
    done = services().runtime.execute(
        engine.report_print_result, hall=hall, after=lambda s, job: job_out(s, job, owner=True),
        device_id=device_id, job_id=job_id, printed=req.status == "printed", error=req.error, sends=req.sends,
    )
    return jsonify(done.value)


@route("GET", "/print-jobs/{job_id:int}", "A print job's status (the kiosk that issued it; hall staff)",
       responses={200: PrintJobOut})
def get_print_job(job_id: int) -> Any:
    who = principal()
    hall, device_id, _ = _hall_of_job(job_id)
    who.require(hall, Role.KIOSK, Role.STAFF, Role.MANAGER, Role.ADMIN)
    owner = who.role == Role.KIOSK
    if owner and device_id != who.device_id:
        raise errors.PrintJobNotFound(job=job_id)
    with services().store.read_session() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None
        return jsonify(job_out(session, job, owner=owner))


@route("POST", "/print-jobs/{job_id:int}/reprint", "The kiosk prints its ticket again (补打) after 打印失败",
       request_model=EmptyBody, body_required=False, responses={200: PrintJobOut})
def reprint_print_job(job_id: int) -> Any:
    who = _kiosk()
    body(EmptyBody, optional=True)
    with services().store.read_session() as session:
        job = session.get(PrintJob, job_id)
        if job is None or job.device_id != who.device_id:
            raise errors.PrintJobNotFound(job=job_id)
        ticket_id = job.ticket_id
    done = services().runtime.execute(engine.reprint_ticket, hall=who.hall_code,  # type: ignore[arg-type]
                                      after=lambda s, new: job_out(s, new, owner=True), ticket_id=ticket_id,
                                      device_id=who.device_id)
    return jsonify(done.value)


@route("POST", "/tickets/{ticket_id:id}/reprint", "A clerk has the ticket printed again (补打) at its kiosk",
       request_model=EmptyBody, body_required=False, responses={200: PrintJobOut})
def reprint_ticket(ticket_id: int) -> Any:
    who = principal()
    hq = services()
    with hq.store.read_session() as session:
        hall = session.scalar(select(Hall.code).join_from(Ticket, Hall, Ticket.hall_id == Hall.id)
                              .where(Ticket.id == ticket_id))
    if hall is None:
        raise errors.TicketNotFound(ticket=ticket_id)
    who.require(hall, *REPRINTERS)
    body(EmptyBody, optional=True)
    done = hq.runtime.execute(engine.reprint_ticket, hall=hall, after=lambda s, job: job_out(s, job, owner=False),
                              ticket_id=ticket_id)
    return jsonify(done.value)


@route("GET", "/kiosks/me", "The calling kiosk: name, hall and printer settings (pairing check, agent config)",
       responses={200: KioskOut})
def kiosk_me() -> Any:
    who = _kiosk()
    with services().store.read_session() as session:
        device = session.get(Device, who.device_id)
        hall = session.get(Hall, who.hall_id)
        if device is None or hall is None:
            raise errors.KioskNotFound(kiosk=who.device_id)
        return jsonify({"id": device.id, "name": device.name, "hall": hall.code, "hall_name": hall.name,
                        "printer": device.printer, "printer_state": device.printer_state})


@route("POST", "/kiosks/me/printer-status", "The print agent reports its printer's state (event on change)",
       request_model=PrinterStateRequest, responses={200: PrinterStateOut})
def kiosk_printer_status() -> Any:
    who = _kiosk()
    req = body(PrinterStateRequest)
    services().runtime.execute(engine.report_printer_state, hall=who.hall_code,  # type: ignore[arg-type]
                               device_id=who.device_id, state=req.state)
    return jsonify({"state": req.state})
