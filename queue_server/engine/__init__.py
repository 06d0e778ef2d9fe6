"""The queue engine: every hall action as a function `op(session, clock, *, hall, ...) -> Outcome`.

Imports only models, events, errors, clock, SQLAlchemy and the stdlib. It never commits, never reads the wall
clock and never emits: the runtime sequences, stores and publishes the events it returns.
"""

from queue_server.engine.accounts import create_staff
from queue_server.engine.accounts import update_staff
from queue_server.engine.alerts import evaluate_alerts
from queue_server.engine.alerts import mark_alert_seen
from queue_server.engine.alerts import set_alert_limits
from queue_server.engine.calling import call_next
from queue_server.engine.calling import call_specific
from queue_server.engine.calling import no_show
from queue_server.engine.calling import reactivate
from queue_server.engine.calling import recall
from queue_server.engine.cases import alert_overdue
from queue_server.engine.cases import case_step
from queue_server.engine.cases import decide_appeal
from queue_server.engine.configuration import close_service_for_today
from queue_server.engine.configuration import set_window_services
from queue_server.engine.departments import create_department
from queue_server.engine.departments import create_priority
from queue_server.engine.departments import update_department
from queue_server.engine.departments import update_priority
from queue_server.engine.devices import register_device
from queue_server.engine.devices import revoke_device
from queue_server.engine.hall_settings import set_voice
from queue_server.engine.hall_settings import update_hall
from queue_server.engine.handling import cancel
from queue_server.engine.handling import finish
from queue_server.engine.handling import park
from queue_server.engine.handling import resume
from queue_server.engine.handling import start
from queue_server.engine.handling import transfer
from queue_server.engine.hours import set_calendar_day
from queue_server.engine.hours import set_opening_hours
from queue_server.engine.housekeeping import housekeep
from queue_server.engine.issuing import Issued
from queue_server.engine.issuing import issue_ticket
from queue_server.engine.notices import set_notices
from queue_server.engine.printing import claim_print_jobs
from queue_server.engine.printing import expire_print_jobs
from queue_server.engine.printing import issue_at_kiosk
from queue_server.engine.printing import report_print_result
from queue_server.engine.printing import report_printer_state
from queue_server.engine.rating import mark_reported
from queue_server.engine.rating import rate
from queue_server.engine.service_setup import create_service
from queue_server.engine.service_setup import update_service
from queue_server.engine.staffing import SignIn
from queue_server.engine.staffing import check_sign_in
from queue_server.engine.staffing import come_back
from queue_server.engine.staffing import sign_in
from queue_server.engine.staffing import sign_out
from queue_server.engine.staffing import step_away
from queue_server.engine.window_setup import create_window
from queue_server.engine.window_setup import update_window
from queue_server.engine.windows import pause_window
from queue_server.engine.windows import resume_window

__all__ = [
    "Issued", "SignIn", "alert_overdue", "call_next", "call_specific", "cancel", "case_step", "check_sign_in",
    "claim_print_jobs", "close_service_for_today", "come_back", "create_staff", "decide_appeal", "evaluate_alerts",
    "expire_print_jobs", "finish", "housekeep", "issue_at_kiosk", "issue_ticket", "mark_alert_seen", "mark_reported",
    "no_show",
    "park", "pause_window", "rate", "reactivate", "recall", "register_device", "report_print_result",
    "report_printer_state", "resume", "resume_window", "revoke_device", "set_alert_limits", "set_calendar_day",
    "set_notices", "set_opening_hours", "set_window_services", "sign_in", "sign_out", "start", "step_away",
    "transfer", "update_service", "update_staff",
    "create_department", "create_priority", "update_department", "update_priority", "set_voice", "update_hall",
    "create_service", "create_window", "update_window",
]
