"""Print jobs: a kiosk issue queues one; the kiosk's print agent claims, prints and reports it; a reprint (补打) is a
new job of the same ticket, asked for by the citizen, the kiosk or a clerk.

The job's life is decided here, in the hall's write transaction, so the kiosk page and the agent cannot disagree:
- a job has a deadline (expires_at, PRINT_WINDOW after it was queued). The kiosk page shows 打印失败 when the job
  is not printed by then, so the deadline is final: a job unprinted by its deadline is never printed by itself;
- a job is handed to an agent only while there is time left to print it (CLAIM_CUTOFF before the deadline), and the
  agent is told how long it has (`print_within_s`); a queued job past the cut-off expires on the spot;
- a failure report is final too (the kiosk shows it at once): the job is never retried by the server;
- a job of a cancelled (or otherwise finished) ticket is cancelled instead of being handed out;
- one claim per job: a claim moves it to `printing` (never to two agents); the same agent (a restart) gets its own
  claim back while the cut-off allows.
Imports only models, events, errors, clock, SQLAlchemy and the stdlib, like the rest of the engine.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from datetime import timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_server import errors
from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import local_time
from queue_server.engine.queue import estimates
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.issuing import issue_ticket
from queue_server.engine.queue.ledger import load_ticket
from queue_server.storage.models import OPEN_STATUSES
from queue_server.storage.models import Device
from queue_server.storage.models import Hall
from queue_server.storage.models import PrintJob
from queue_server.storage.models import PrintJobStatus
from queue_server.storage.models import Ticket
from queue_server.storage.models import TicketStatus
from queue_server.storage.rawsql import RawSQL
from queue_server.storage.rawsql import attach

# The kiosk page waits this long for 请取票, then says 打印失败 (and offers 补打); the job is dead from then on.
PRINT_WINDOW = timedelta(seconds=20)
# No claim in the job's last seconds: one attempt (ask the printer, send, hear "ready" after the cut) must fit.
CLAIM_CUTOFF = timedelta(seconds=6)
# The agent is told to have its answer this long before the deadline, so the report reaches the server in time.
REPORT_MARGIN = timedelta(seconds=1)
CLAIM_BATCH = 5  # jobs handed out per claim; a kiosk rarely has more than one waiting
REPRINT_LIMIT = 3  # reprints per ticket: the public phone page can ask for one, so it must not print without end
PENDING = (PrintJobStatus.QUEUED, PrintJobStatus.PRINTING)
REPRINTABLE = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.PARKED)
_KIOSK_PRINTER = "SELECT hall_id, printer FROM devices WHERE id = :id"


def job_payload(job: PrintJob) -> dict[str, Any]:
    """The job on the wire (events and the agent's fetch): status plus what the paper says."""
    return {"id": job.id, "ticket_id": job.ticket_id, "status": job.status.value, "attempts": job.attempts,
            "error": job.error, "expires_at": job.expires_at.isoformat(), "reprint": job.reprint, **job.payload}


def seconds_left(job: PrintJob, now: datetime) -> float:
    """Until the job's deadline (the moment the kiosk page says 打印失败); 0 when it passed."""
    return max(0.0, (job.expires_at - now).total_seconds())


def print_within_s(job: PrintJob, now: datetime) -> float:
    """What the agent is told: have the printer's answer by then."""
    return max(0.0, (job.expires_at - REPORT_MARGIN - now).total_seconds())


def _event(kind: str, job: PrintJob) -> events.Event:
    # Only the job's public facts travel in events (no track token: the hall room is wide).
    return events.Event(kind, {"print_job": {"id": job.id, "ticket_id": job.ticket_id, "status": job.status.value,
                                             "error": job.error, "attempts": job.attempts,
                                             "number": job.payload.get("number"), "reprint": job.reprint},
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
    job = _queue_job(session, clock.now(), hall, device_id, outcome.value.ticket.id,
                     _ticket_facts(hall, outcome.value), reprint=False)
    return events.Outcome(dataclasses.replace(outcome.value, print_job_id=job.id),
                          (*outcome.events, _event(events.PRINT_JOB_QUEUED, job)))


def _queue_job(session: Session, now: datetime, hall: Hall, device_id: int, ticket_id: int,
               payload: dict[str, Any], *, reprint: bool) -> PrintJob:
    raw = RawSQL.of(session)
    values: dict[str, Any] = {
        "hall_id": hall.id, "device_id": device_id, "ticket_id": ticket_id, "attempts": 0, "created_at": now,
        "expires_at": now + PRINT_WINDOW, "payload": payload, "reprint": reprint,
    }
    job_id = raw.insert("print_jobs", {
        **values, "status": PrintJobStatus.QUEUED.value, "created_at": raw.stamp(now),
        "expires_at": raw.stamp(values["expires_at"]), "payload": raw.as_json(payload),
    })
    return attach(session, PrintJob(id=job_id, status=PrintJobStatus.QUEUED, error=None, agent=None,  # type: ignore[no-any-return]
                                    claimed_at=None, finished_at=None, **values))


def _end(job: PrintJob, status: PrintJobStatus, now: datetime, kind: str) -> events.Event:
    job.status, job.finished_at = status, now
    return _event(kind, job)


def _settle_unprintable(job: PrintJob, ticket_status: TicketStatus, now: datetime) -> events.Event | None:
    """End a pending job that can no longer be printed: its ticket left the queue for good, or its time ran out
    (a queued job past the claim cut-off, any pending job past its deadline). None when it may still print."""
    if ticket_status not in OPEN_STATUSES:
        return _end(job, PrintJobStatus.CANCELLED, now, events.PRINT_JOB_CANCELLED)
    if now >= job.expires_at or (job.status == PrintJobStatus.QUEUED and now >= job.expires_at - CLAIM_CUTOFF):
        return _end(job, PrintJobStatus.EXPIRED, now, events.PRINT_JOB_EXPIRED)
    return None


def _pending_with_tickets(session: Session, *where: Any) -> list[tuple[PrintJob, TicketStatus]]:
    rows = session.execute(select(PrintJob, Ticket.status).join(Ticket, Ticket.id == PrintJob.ticket_id)
                           .where(PrintJob.status.in_(PENDING), *where).order_by(PrintJob.id)).all()
    return [(job, status) for job, status in rows]


def claim_print_jobs(session: Session, clock: Clock, *, hall: Hall, device_id: int,
                     agent: str) -> events.Outcome[list[PrintJob]]:
    """Hand the kiosk's agent the jobs it can still print in time (queued, or its own unreported claims), oldest
    first. Jobs that can no longer print are ended instead: expired (print_job.expired) or, when their ticket
    was cancelled, cancelled (print_job.cancelled)."""
    now = clock.now()
    claimed: list[PrintJob] = []
    out: list[events.Event] = []
    for job, ticket_status in _pending_with_tickets(session, PrintJob.device_id == device_id,
                                                    PrintJob.hall_id == hall.id):
        ended = _settle_unprintable(job, ticket_status, now)
        if ended is not None:
            out.append(ended)
            continue
        if len(claimed) >= CLAIM_BATCH:
            continue
        if job.status == PrintJobStatus.QUEUED or (job.agent == agent and now < job.expires_at - CLAIM_CUTOFF):
            job.status, job.claimed_at, job.agent = PrintJobStatus.PRINTING, now, agent
            job.attempts += 1
            claimed.append(job)
    session.flush()
    return events.Outcome(claimed, tuple(out))


def expire_print_jobs(session: Session, clock: Clock, *, hall: Hall) -> events.Outcome[int]:
    """End the hall's pending jobs that can no longer print (housekeeping: with no agent asking, the record and
    the manager's monitor must still say so). Returns how many ended."""
    now = clock.now()
    out = [e for job, status in _pending_with_tickets(session, PrintJob.hall_id == hall.id,
                                                      PrintJob.expires_at <= now + CLAIM_CUTOFF)
           if (e := _settle_unprintable(job, status, now)) is not None]
    return events.Outcome(len(out), tuple(out))


def cancel_ticket_jobs(session: Session, ticket: Ticket, now: datetime) -> list[events.Event]:
    """The ticket was cancelled: its jobs not yet printing are cancelled in the same transaction. A job already
    claimed is left to its agent (the paper may be coming out); its result is recorded as it is."""
    jobs = session.scalars(select(PrintJob).where(PrintJob.ticket_id == ticket.id,
                                                  PrintJob.status == PrintJobStatus.QUEUED)).all()
    return [_end(job, PrintJobStatus.CANCELLED, now, events.PRINT_JOB_CANCELLED) for job in jobs]


def report_print_result(session: Session, clock: Clock, *, hall: Hall, device_id: int, job_id: int,
                        printed: bool, error: str | None = None,
                        sends: int | None = None) -> events.Outcome[PrintJob]:
    """Record what the printer did. Raises print_job_not_found, print_job_not_claimed.

    Repeating the same report changes nothing (an agent retries when the answer was lost). A `printed` report of
    a claimed job is recorded whatever happened since (its deadline passed, its ticket was cancelled): the paper
    exists, and the record must say so. A failure is final: the job is not handed out again. A failure reported
    for a job that already ended unprinted changes nothing."""
    job = session.get(PrintJob, job_id)
    if job is None or job.device_id != device_id or job.hall_id != hall.id:
        raise errors.PrintJobNotFound(job=job_id)
    now = clock.now()
    if sends is not None:
        job.attempts = max(job.attempts, sends)
    if printed:
        if job.status == PrintJobStatus.PRINTED:
            return events.Outcome(job)
        if job.claimed_at is None or job.status == PrintJobStatus.FAILED:
            raise errors.PrintJobNotClaimed(job=job_id, job_status=job.status.value)
        job.status, job.error, job.finished_at = PrintJobStatus.PRINTED, None, now
        return events.Outcome(job, (_event(events.PRINT_JOB_PRINTED, job),))
    if job.status == PrintJobStatus.FAILED and job.error == error:
        return events.Outcome(job)
    if job.status in (PrintJobStatus.EXPIRED, PrintJobStatus.CANCELLED) and job.claimed_at is not None:
        return events.Outcome(job)
    if job.status != PrintJobStatus.PRINTING:
        raise errors.PrintJobNotClaimed(job=job_id, job_status=job.status.value)
    job.status, job.error, job.finished_at = PrintJobStatus.FAILED, error or "printer_error", now
    return events.Outcome(job, (_event(events.PRINT_JOB_FAILED, job),))


def reprint_ticket(session: Session, clock: Clock, *, hall: Hall, ticket_id: int,
            device_id: int | None = None) -> events.Outcome[PrintJob]:
    """Queue a second paper (补打) of a ticket at the kiosk that printed it (`device_id`: a kiosk asking for its own
    ticket). While an earlier job of the ticket may still print, that job is the answer (a double tap prints
    once). Raises ticket_not_found, reprint_not_allowed, no_ticket_printer, reprint_limit_reached."""
    now = clock.now()
    ticket = load_ticket(session, hall, ticket_id)
    if ticket.status not in REPRINTABLE:
        raise errors.ReprintNotAllowed(ticket_no=ticket.ticket_no, ticket_status=ticket.status.value)
    jobs = session.scalars(select(PrintJob).where(PrintJob.ticket_id == ticket.id).order_by(PrintJob.id)).all()
    if device_id is None and jobs:
        device_id = jobs[0].device_id
    device = session.get(Device, device_id) if device_id is not None else None
    if device is None or device.hall_id != hall.id or device.printer is None:
        raise errors.NoTicketPrinter(ticket_no=ticket.ticket_no)
    out: list[events.Event] = []
    for job in jobs:
        if job.status in PENDING:
            ended = _settle_unprintable(job, ticket.status, now)
            if ended is None:
                return events.Outcome(job, tuple(out))
            out.append(ended)
    if session.scalar(select(func.count()).select_from(PrintJob).where(
            PrintJob.ticket_id == ticket.id, PrintJob.reprint.is_(True))) >= REPRINT_LIMIT:
        raise errors.ReprintLimitReached(ticket_no=ticket.ticket_no, limit=REPRINT_LIMIT)
    facts = dict(jobs[0].payload) if jobs else {}
    ahead = estimates.people_ahead(session, ticket)
    facts.update({  # the paper tells the queue as it is now, not as it was at issue
        "number": ticket.ticket_no, "service": ticket.service.code, "service_name": ticket.service.name,
        "hall_name": hall.name, "priority_name": ticket.priority.name if ticket.priority else None,
        "ahead": ahead, "estimated_wait_s": estimates.estimated_wait_s(
            session, hall, ticket.service, ahead, now, priority_weight=ticket.priority_weight,
            queued_at=ticket.queued_at) if ticket.status == TicketStatus.WAITING else 0,
        "issued_local": f"{local_time(ticket.issued_at, hall.timezone):%Y-%m-%d %H:%M}",
        "reprinted_local": f"{local_time(now, hall.timezone):%Y-%m-%d %H:%M}",
        "track_token": ticket.track_token, "person_masked": ticket.person_masked,
    })
    job = _queue_job(session, now, hall, device.id, ticket.id, facts, reprint=True)
    return events.Outcome(job, (*out, _event(events.PRINT_JOB_QUEUED, job)))


def report_printer_state(session: Session, clock: Clock, *, hall: Hall, device_id: int,
                         state: str) -> events.Outcome[Device]:
    """The agent's view of its printer (online, paper_low, paper_out, cover_open, offline...); an event only when
    it changes."""
    device = session.get(Device, device_id)
    if device is None or device.hall_id != hall.id:
        raise errors.KioskNotFound(kiosk=device_id)
    device.last_seen_at = clock.now()
    if device.printer_state == state:
        return events.Outcome(device)
    device.printer_state = state
    return events.Outcome(device, (events.Event(events.KIOSK_PRINTER_CHANGED,
                                                {"kiosk": device.id, "name": device.name, "state": state}),))
