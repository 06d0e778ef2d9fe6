"""Print jobs: a kiosk issue queues one; the kiosk's print agent claims, prints and reports it.

A job is printed at most once: a claim moves it to `printing` inside the hall's write transaction, so two agents
never hold the same job; an agent that restarts gets its own unreported claims back (its journal tells it whether
it already printed them). A job is never printed after expires_at (10 minutes: a late ticket misleads).
Imports only models, events, errors, clock, SQLAlchemy and the stdlib, like the rest of the engine.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import local_time
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.issuing import issue_ticket
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import PrintJob
from queue_server.storage.models import PrintJobStatus
from queue_server.storage.rawsql import RawSQL
from queue_server.storage.rawsql import attach

# A late ticket misleads (people ahead and the wait have moved on): after this the job is never printed.
PRINT_JOB_TTL = timedelta(minutes=10)
# Another agent may take over a claim this old; the claiming agent itself gets it back at once.
CLAIM_LEASE = timedelta(seconds=60)
CLAIM_BATCH = 5  # jobs handed out per claim; a kiosk rarely has more than one waiting
RETRYABLE = (PrintJobStatus.QUEUED, PrintJobStatus.FAILED, PrintJobStatus.PRINTING)
_KIOSK_PRINTER = "SELECT hall_id, printer FROM devices WHERE id = :id"


def job_payload(job: PrintJob) -> dict[str, Any]:
    """The job on the wire (events and the agent's fetch): status plus what the paper says."""
    return {"id": job.id, "ticket_id": job.ticket_id, "status": job.status.value, "attempts": job.attempts,
            "error": job.error, "expires_at": job.expires_at.isoformat(), **job.payload}


def _event(kind: str, job: PrintJob) -> events.Event:
    # Only the job's public facts travel in events (no track token: the hall room is wide).
    return events.Event(kind, {"print_job": {"id": job.id, "ticket_id": job.ticket_id, "status": job.status.value,
                                             "error": job.error, "attempts": job.attempts,
                                             "number": job.payload.get("number")},
                               "kiosk": job.device_id})


def _ticket_facts(hall: Hall, issued: Issued) -> dict[str, Any]:
    t = issued.ticket
    return {
        "number": t.ticket_no, "service": t.service.code, "service_name": t.service.name, "hall_name": hall.name,
        "priority_name": t.priority.name if t.priority else None, "ahead": issued.ahead,
        "estimated_wait_s": issued.estimated_wait_s,
        "issued_local": f"{local_time(t.issued_at, hall.timezone):%Y-%m-%d %H:%M}",
        "track_token": t.track_token, "person_masked": t.person_masked,
    }


def issue_at_kiosk(session: Session, clock: Clock, *, hall: Hall, device_id: int,
                   **issue: Any) -> events.Outcome[Issued]:
    """issue_ticket, plus a queued print job when the kiosk has a printer. Raises what issue_ticket raises."""
    outcome = issue_ticket(session, clock, hall=hall, **issue)
    # Every kiosk issue runs this: hand-written SQL like the ticket's own insert (rawsql.py says why).
    raw = RawSQL.of(session)
    device = raw.execute(_KIOSK_PRINTER, {"id": device_id}).fetchone()
    if device is None or device[0] != hall.id or raw.from_json(device[1]) is None:
        return outcome
    now = clock.now()
    values: dict[str, Any] = {
        "hall_id": hall.id, "device_id": device_id, "ticket_id": outcome.value.ticket.id, "attempts": 0,
        "created_at": now, "expires_at": now + PRINT_JOB_TTL, "payload": _ticket_facts(hall, outcome.value),
    }
    job_id = raw.insert("print_jobs", {
        **values, "status": PrintJobStatus.QUEUED.value, "created_at": raw.stamp(now),
        "expires_at": raw.stamp(values["expires_at"]), "payload": raw.as_json(values["payload"]),
    })
    job = attach(session, PrintJob(id=job_id, status=PrintJobStatus.QUEUED, error=None, agent=None,
                                   claimed_at=None, finished_at=None, **values))
    return events.Outcome(dataclasses.replace(outcome.value, print_job_id=job_id),
                          (*outcome.events, _event(events.PRINT_JOB_QUEUED, job)))


def _claimable(job: PrintJob, agent: str, now: datetime) -> bool:
    if job.status != PrintJobStatus.PRINTING:
        return True
    return job.agent == agent or job.claimed_at is None or now - job.claimed_at >= CLAIM_LEASE


def claim_print_jobs(session: Session, clock: Clock, *, hall: Hall, device_id: int,
                     agent: str) -> events.Outcome[list[PrintJob]]:
    """Hand the kiosk's agent its printable jobs (queued, failed, or its own unreported claims), oldest first.
    Jobs past expires_at become `expired` (print_job.expired) instead."""
    now = clock.now()
    rows = session.scalars(
        select(PrintJob).where(PrintJob.device_id == device_id, PrintJob.hall_id == hall.id,
                               PrintJob.status.in_(RETRYABLE)).order_by(PrintJob.id)
    ).all()
    claimed: list[PrintJob] = []
    out: list[events.Event] = []
    for job in rows:
        if job.expires_at <= now:
            job.status, job.finished_at = PrintJobStatus.EXPIRED, now
            out.append(_event(events.PRINT_JOB_EXPIRED, job))
        elif len(claimed) < CLAIM_BATCH and _claimable(job, agent, now):
            job.status, job.claimed_at, job.agent = PrintJobStatus.PRINTING, now, agent
            job.attempts += 1
            claimed.append(job)
    session.flush()
    return events.Outcome(claimed, tuple(out))


def expire_print_jobs(session: Session, clock: Clock, *, hall: Hall) -> events.Outcome[int]:
    """Mark the hall's unprinted jobs past expires_at as expired (housekeeping: a kiosk whose agent is gone
    would otherwise show them as queued forever). Returns how many expired."""
    now = clock.now()
    rows = session.scalars(
        select(PrintJob).where(PrintJob.hall_id == hall.id, PrintJob.status.in_(RETRYABLE),
                               PrintJob.expires_at <= now).order_by(PrintJob.id)
    ).all()
    for job in rows:
        job.status, job.finished_at = PrintJobStatus.EXPIRED, now
    return events.Outcome(len(rows), tuple(_event(events.PRINT_JOB_EXPIRED, job) for job in rows))


def report_print_result(session: Session, clock: Clock, *, hall: Hall, device_id: int, job_id: int,
                        printed: bool, error: str | None = None) -> events.Outcome[PrintJob]:
    """Record what the printer did. Raises print_job_not_found, print_job_not_claimed.

    Repeating the same report changes nothing (an agent retries when the answer was lost). A `printed` report
    wins even over expiry: the paper exists. A failed job stays retryable until it expires."""
    job = session.get(PrintJob, job_id)
    if job is None or job.device_id != device_id or job.hall_id != hall.id:
        raise errors.PrintJobNotFound(job=job_id)
    now = clock.now()
    if printed:
        if job.status == PrintJobStatus.PRINTED:
            return events.Outcome(job)
        if job.status not in (PrintJobStatus.PRINTING, PrintJobStatus.EXPIRED) or job.claimed_at is None:
            raise errors.PrintJobNotClaimed(job=job_id, job_status=job.status.value)
        job.status, job.error, job.finished_at = PrintJobStatus.PRINTED, None, now
        return events.Outcome(job, (_event(events.PRINT_JOB_PRINTED, job),))
    if job.status == PrintJobStatus.FAILED and job.error == error:
        return events.Outcome(job)
    if job.status != PrintJobStatus.PRINTING:
        raise errors.PrintJobNotClaimed(job=job_id, job_status=job.status.value)
    job.status, job.error = PrintJobStatus.FAILED, error or "printer_error"
    return events.Outcome(job, (_event(events.PRINT_JOB_FAILED, job),))


def report_printer_state(session: Session, clock: Clock, *, hall: Hall, device_id: int,
                         state: str) -> events.Outcome[Device]:
    """The agent's view of its printer (online, paper_out, offline...); an event only when it changes."""
    device = session.get(Device, device_id)
    if device is None or device.hall_id != hall.id:
        raise errors.KioskNotFound(kiosk=device_id)
    device.last_seen_at = clock.now()
    if device.printer_state == state:
        return events.Outcome(device)
    device.printer_state = state
    return events.Outcome(device, (events.Event(events.KIOSK_PRINTER_CHANGED,
                                                {"kiosk": device.id, "name": device.name, "state": state}),))
