"""Retention: anonymise a hall's personal data older than a period, and prune its audit log past its own period.

个人信息保护法 minimisation: ID/phone hashes and masks, rating texts and 差评 follow-up notes (free text a citizen
or clerk typed) are cleared once their period ends. Ticket log notes are structured (outcome, minutes) and stay,
as does everything statistics read: legs with their times, counters, rating levels and tags, ticket states.
网络安全法 Art. 21: operation logs are kept at least six months, so the audit period cannot be set shorter.
Imports only models, evaluation, events, clock, SQLAlchemy and the stdlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.orm import Session

from queue_server import events
from queue_server.clock import Clock
from queue_server.clock import service_day
from queue_server.storage.models import Appointment
from queue_server.storage.models import AuditEntry
from queue_server.storage.models import Hall
from queue_server.storage.models import HallEvent
from queue_server.storage.models import PrintJob
from queue_server.storage.models import Ticket
from queue_server.storage.ratings import CaseAction
from queue_server.storage.ratings import EvaluationCase
from queue_server.storage.ratings import Rating

# 网络安全法 Art. 21: network operation logs are kept no less than six months; 183 days covers any six months.
AUDIT_MIN_DAYS = 183
ANONYMOUS = "匿名"  # the rater of an anonymised rating, as for a rating given without an ID (oversight/rating.py)


@dataclass(frozen=True)
class Anonymised:
    """Rows changed per kind; a second run over the same period changes none."""

    tickets: int
    appointments: int
    ratings: int
    case_notes: int
    print_jobs: int
    hall_events: int
    audit_entries: int


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def anonymise(session: Session, clock: Clock, *, hall: Hall, personal_days: int, audit_days: int
              ) -> events.Outcome[Anonymised]:
    """Clear personal data of service days more than `personal_days` ago; delete audit entries older than
    `audit_days`. Emits no event: nothing a screen shows changes. The CLI validates the periods; a shorter audit
    period here is a programming error (ValueError), not a citizen-facing refusal."""
    if personal_days < 1 or audit_days < AUDIT_MIN_DAYS:
        raise ValueError(f"retention periods too short: personal {personal_days} d, audit {audit_days} d "
                         f"(audit log needs >= {AUDIT_MIN_DAYS} d)")
    now = clock.now()
    cutoff_at = now - timedelta(days=personal_days)
    cutoff_on = service_day(cutoff_at, hall.timezone, hall.day_rollover)
    quiet = {"synchronize_session": False}
    done = Anonymised(
        tickets=_count(session.execute(
            update(Ticket).where(Ticket.hall_id == hall.id, Ticket.service_on < cutoff_on,
                                 or_(Ticket.person_hash.is_not(None), Ticket.person_masked.is_not(None)))
            .values(person_hash=None, person_key=None, person_masked=None).execution_options(**quiet))),
        appointments=_count(session.execute(
            update(Appointment).where(Appointment.hall_id == hall.id, Appointment.slot_start < cutoff_at,
                                      Appointment.person_hash.is_not(None))
            .values(person_hash=None, person_key=None).execution_options(**quiet))),
        ratings=_count(session.execute(
            update(Rating).where(Rating.hall_id == hall.id, Rating.rated_at < cutoff_at,
                                 or_(Rating.rater != ANONYMOUS, Rating.text != ""))
            .values(rater=ANONYMOUS, text="").execution_options(**quiet))),
        case_notes=_count(session.execute(
            update(CaseAction).where(
                CaseAction.case_id.in_(select(EvaluationCase.id).where(EvaluationCase.hall_id == hall.id)),
                CaseAction.at < cutoff_at, CaseAction.note != "")
            .values(note="").execution_options(**quiet))),
        # A print job's payload repeats the ticket as printed (masked ID included); the job itself is history
        # nobody reads once its ticket's day is over.
        print_jobs=_count(session.execute(
            delete(PrintJob).where(PrintJob.hall_id == hall.id, PrintJob.created_at < cutoff_at)
            .execution_options(**quiet))),
        # Old outbox rows carry the same payloads; a client that far behind gets a snapshot instead of a replay.
        hall_events=_count(session.execute(
            delete(HallEvent).where(HallEvent.hall_id == hall.id, HallEvent.at < cutoff_at)
            .execution_options(**quiet))),
        audit_entries=_count(session.execute(
            delete(AuditEntry).where(AuditEntry.hall_id == hall.id, AuditEntry.at < now - timedelta(days=audit_days))
            .execution_options(**quiet))),
    )
    return events.Outcome(done)
