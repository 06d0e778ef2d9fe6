"""The engine: the hall's rules, every action as a function `op(session, clock, *, hall, ...) -> Outcome`. This
module is its public surface: the ops, re-exported from queue/ (tickets and windows), setup/ (a manager's
configuration) and oversight/ (alerts, 好差评, housekeeping, retention); audit.py is their shared audit log.

Rule: imports storage's tables and raw SQL, the shared vocabulary, SQLAlchemy and the stdlib only; never the store,
the runtime, Flask or anything above. It never commits, never reads the wall clock and never emits: the runtime
sequences, stores and publishes the events it returns.
"""

from queue_server.engine.booking.checkin import check_in_booking
from queue_server.engine.booking.remote import arrive
from queue_server.engine.booking.remote import take_remote
from queue_server.engine.oversight.alerts import evaluate_alerts
from queue_server.engine.oversight.alerts import mark_alert_seen
from queue_server.engine.oversight.alerts import set_alert_limits
from queue_server.engine.oversight.cases import alert_overdue
from queue_server.engine.oversight.cases import appeal_rank
from queue_server.engine.oversight.cases import case_step
from queue_server.engine.oversight.cases import decide_appeal
from queue_server.engine.oversight.housekeeping import housekeep
from queue_server.engine.oversight.rating import mark_reported
from queue_server.engine.oversight.rating import rate
from queue_server.engine.queue.calling import call_next
from queue_server.engine.queue.calling import call_specific
from queue_server.engine.queue.calling import no_show
from queue_server.engine.queue.calling import reactivate
from queue_server.engine.queue.calling import recall
from queue_server.engine.queue.handling import cancel
from queue_server.engine.queue.handling import finish
from queue_server.engine.queue.handling import park
from queue_server.engine.queue.handling import resume
from queue_server.engine.queue.handling import start
from queue_server.engine.queue.handling import transfer
from queue_server.engine.queue.idempotency import issue_once
from queue_server.engine.queue.issuing import Issued
from queue_server.engine.queue.issuing import issue_ticket
from queue_server.engine.queue.printing import claim_print_jobs
from queue_server.engine.queue.printing import expire_print_jobs
from queue_server.engine.queue.printing import issue_at_kiosk
from queue_server.engine.queue.printing import report_print_result
from queue_server.engine.queue.printing import report_printer_state
from queue_server.engine.queue.printing import reprint_ticket
from queue_server.engine.queue.staffing import SignIn
from queue_server.engine.queue.staffing import check_sign_in
from queue_server.engine.queue.staffing import come_back
from queue_server.engine.queue.staffing import release_window
from queue_server.engine.queue.staffing import sign_in
from queue_server.engine.queue.staffing import sign_out
from queue_server.engine.queue.staffing import step_away
from queue_server.engine.queue.windows import pause_window
from queue_server.engine.queue.windows import resume_window
from queue_server.engine.setup.accounts import change_own_password
from queue_server.engine.setup.accounts import create_staff
from queue_server.engine.setup.accounts import deactivate_account
from queue_server.engine.setup.accounts import reset_any_password
from queue_server.engine.setup.accounts import unlock_sign_in
from queue_server.engine.setup.accounts import update_staff
from queue_server.engine.setup.configuration import close_service_for_today
from queue_server.engine.setup.configuration import set_window_services
from queue_server.engine.setup.departments import create_department
from queue_server.engine.setup.departments import create_priority
from queue_server.engine.setup.departments import update_department
from queue_server.engine.setup.departments import update_priority
from queue_server.engine.setup.devices import register_device
from queue_server.engine.setup.devices import revoke_device
from queue_server.engine.setup.hall_settings import set_voice
from queue_server.engine.setup.hall_settings import update_hall
from queue_server.engine.setup.halls import create_hall
from queue_server.engine.setup.halls import rename_hall
from queue_server.engine.setup.halls import retire_hall
from queue_server.engine.setup.hours import set_calendar_day
from queue_server.engine.setup.hours import set_opening_hours
from queue_server.engine.setup.notices import set_notices
from queue_server.engine.setup.pairing import Paired
from queue_server.engine.setup.pairing import create_pairing_code
from queue_server.engine.setup.pairing import redeem_pairing_code
from queue_server.engine.setup.services import create_service
from queue_server.engine.setup.services import update_service
from queue_server.engine.setup.windows import create_window
from queue_server.engine.setup.windows import update_window

__all__ = [
    "Issued", "Paired", "SignIn", "create_pairing_code", "redeem_pairing_code",
    "alert_overdue", "change_own_password", "reset_any_password", "unlock_sign_in",
    "deactivate_account",
    "appeal_rank", "call_next", "call_specific", "cancel", "case_step", "check_sign_in",
    "claim_print_jobs", "close_service_for_today", "come_back", "create_staff", "decide_appeal", "evaluate_alerts",
    "expire_print_jobs", "finish", "housekeep", "issue_at_kiosk", "issue_ticket", "mark_alert_seen", "mark_reported",
    "no_show",
    "park", "pause_window", "rate", "reactivate", "recall", "register_device", "release_window", "report_print_result",
    "report_printer_state", "resume", "resume_window", "revoke_device", "set_alert_limits", "set_calendar_day",
    "set_notices", "set_opening_hours", "set_window_services", "sign_in", "sign_out", "start", "step_away",
    "transfer", "update_service", "update_staff",
    "create_department", "create_priority", "update_department", "update_priority", "set_voice", "update_hall",
    "create_service", "create_window", "create_hall", "rename_hall", "retire_hall", "update_window", "issue_once",
    "reprint_ticket", "take_remote", "arrive", "check_in_booking",
]
