"""The error model: HallqError, its four kinds, and every concrete error with a stable code.

A code never changes once shipped; clients branch on it. Titles and details are English msgids marked with N_()
and translated by the web adapter (api/problems.py) — this module cannot import Flask-Babel.
Stdlib only.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar


def N_(msgid: str) -> str:  # noqa: N802 - the conventional gettext marker name
    """Mark a string for extraction without translating it here."""
    return msgid


class HallqError(Exception):
    code: ClassVar[str] = "hallq_error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = N_("Request refused")
    detail: ClassVar[str] = N_("The request was refused.")

    def __init__(self, **data: Any) -> None:
        self.data = data
        super().__init__(f"{self.code}: {data}")

    def render_detail(self, translate: Any = None) -> str:
        template = translate(self.detail) if translate else self.detail
        # A person reads "号票 A001 已过号" rather than "当前状态为 no_show": states and actions in words.
        data = in_words(self.data, translate) if translate else self.data
        try:
            return template % data
        except (KeyError, TypeError, ValueError):
            return template


class NotFound(HallqError):
    status = 404


class Conflict(HallqError):
    status = 409


class Forbidden(HallqError):
    status = 403


class Invalid(HallqError):
    status = 422


class TooMany(HallqError):
    status = 429


# The data fields that carry a state or an action code, and the words a person reads for each code (translated by
# the adapter like titles). A code missing here is shown as it is.
STATE_FIELDS = frozenset({"status", "state", "ticket_status", "job_status"})
STATES: dict[str, str] = {
    # a ticket's status
    "waiting": N_("waiting"), "called": N_("called"), "serving": N_("being served"), "parked": N_("parked"),
    "finished": N_("finished"), "no_show": N_("missed (no-show)"), "cancelled": N_("cancelled"),
    "expired": N_("expired"),
    # a window's state
    "open": N_("open"), "paused": N_("paused"), "closed": N_("closed"), "away": N_("away"),
    # a print job's status
    "queued": N_("queued"), "claimed": N_("printing"), "printing": N_("printing"), "printed": N_("printed"),
    "failed": N_("failed"),
}
# What was asked of a ticket (Ticket.require's action), as the operation's name.
ACTIONS: dict[str, str] = {
    "called": N_("call"), "started": N_("start"), "finished": N_("finish"), "parked": N_("park"),
    "returned": N_("return to the queue"), "transferred": N_("transfer"), "cancelled": N_("cancel"),
    "recalled": N_("recall"), "marked no-show": N_("mark as no-show"), "reactivated": N_("reactivate"),
    "arrived": N_("confirm arrival"),
}


def in_words(data: dict[str, Any], translate: Any) -> dict[str, Any]:
    """The error's data with state and action codes replaced by translated words ("paused" -> "暂停服务")."""
    out = {}
    for key, value in data.items():
        words = STATES if key in STATE_FIELDS else ACTIONS if key == "action" else None
        if words is not None and isinstance(value, str) and value in words:
            value = translate(words[value])
        out[key] = value
    return out


def _error(kind: type[HallqError], code: str, title: str, detail: str) -> type[HallqError]:
    cls = type(code, (kind,), {"code": code, "title": title, "detail": detail})
    REGISTRY[code] = cls
    return cls


REGISTRY: dict[str, type[HallqError]] = {}

HallNotFound = _error(NotFound, "hall_not_found", N_("Hall not found"), N_("There is no hall %(hall)s."))
ServiceNotFound = _error(
    NotFound, "service_not_found", N_("Service not found"), N_("Hall %(hall)s has no service %(service)s.")
)
WindowNotFound = _error(
    NotFound, "window_not_found", N_("Window not found"), N_("Hall %(hall)s has no window %(window)s.")
)
TicketNotFound = _error(NotFound, "ticket_not_found", N_("Ticket not found"), N_("No such ticket."))
PriorityNotFound = _error(
    NotFound, "priority_not_found", N_("Priority category not found"),
    N_("Hall %(hall)s has no priority category %(priority)s."),
)
AppointmentNotFound = _error(
    NotFound, "appointment_not_found", N_("Appointment not found"),
    N_("No appointment %(appointment_code)s for this service today."),
)
PrintJobNotFound = _error(
    NotFound, "print_job_not_found", N_("Print job not found"), N_("No print job %(job)s for this kiosk.")
)
KioskNotFound = _error(NotFound, "kiosk_not_found", N_("Kiosk not found"), N_("There is no kiosk %(kiosk)s here."))
GuideNotFound = _error(
    NotFound, "guide_not_found", N_("Service guide not found"), N_("There is no service guide %(guide)s.")
)
DisclosureNotFound = _error(
    NotFound, "disclosure_not_found", N_("Document not found"), N_("There is no disclosed document %(document)s.")
)
StaffNotFound = _error(NotFound, "staff_not_found", N_("Staff member not found"), N_("No staff member %(user)s."))

HallClosed = _error(
    Conflict, "hall_closed", N_("The hall is closed"),
    N_("Hall %(hall)s is not issuing tickets now. Opening hours today: %(hours)s."),
)
ServiceClosed = _error(
    Conflict, "service_closed", N_("Service not available now"),
    N_("%(service_name)s is not issuing tickets now. Opening hours today: %(hours)s."),
)
DailyQuotaReached = _error(
    Conflict, "daily_quota_reached", N_("Today's tickets are all taken"),
    N_("All %(quota)s tickets for %(service_name)s today have been issued. Please come back on the next working day "
       "or book an appointment."),
)
SlotQuotaReached = _error(
    Conflict, "slot_quota_reached", N_("Tickets for this time slot are all taken"),
    N_("All %(quota)s tickets for %(service_name)s between %(slot)s have been issued. Next slot starts at %(next)s."),
)
PersonLimitReached = _error(
    Conflict, "person_limit_reached", N_("Ticket limit per person reached"),
    N_("This ID or phone already holds %(limit)s ticket(s) for %(service_name)s today."),
)
PersonRequired = _error(
    Invalid, "person_required", N_("ID number or phone required"),
    N_("%(service_name)s limits tickets per person: please enter an ID number or a phone number."),
)
NumberRangeExhausted = _error(
    Conflict, "number_range_exhausted", N_("No numbers left today"),
    N_("All numbers of %(service_name)s for today are used up."),
)
InvalidTransition = _error(
    Conflict, "invalid_transition", N_("Not possible in the ticket's state"),
    N_("Ticket %(ticket_no)s is %(status)s: %(action)s is not possible."),
)
WindowNotOpen = _error(
    Conflict, "window_not_open", N_("The window is not open"),
    N_("Window %(window)s is %(state)s. Resume it first."),
)
WindowBusy = _error(
    Conflict, "window_busy", N_("The window is still serving a ticket"),
    N_("Window %(window)s still has ticket %(ticket_no)s. Finish it, mark it as no-show or park it first."),
)
RecallLimitReached = _error(
    Conflict, "recall_limit_reached", N_("Recall limit reached"),
    N_("Ticket %(ticket_no)s has been called %(calls)s times; mark it as no-show instead."),
)
ReactivationExpired = _error(
    Conflict, "reactivation_expired", N_("Too late to reactivate"),
    N_("Ticket %(ticket_no)s was marked no-show too long ago; please take a new ticket."),
)
AppointmentNotCheckable = _error(
    Conflict, "appointment_not_checkable", N_("Appointment cannot be checked in now"),
    N_("Appointment %(appointment_code)s can be checked in from %(earliest)s to %(latest)s."),
)
PrintJobNotClaimed = _error(
    Conflict, "print_job_not_claimed", N_("Print job is not being printed"),
    N_("Print job %(job)s is %(job_status)s; only a claimed job can report a print result."),
)
ReprintNotAllowed = _error(
    Conflict, "reprint_not_allowed", N_("No reprint for this ticket"),
    N_("Ticket %(ticket_no)s is %(ticket_status)s; only a ticket still in the queue is printed again."),
)
ReprintLimitReached = _error(
    Conflict, "reprint_limit_reached", N_("Reprint limit reached"),
    N_("Ticket %(ticket_no)s was printed again %(limit)s times already. Please ask the staff at the help desk."),
)
NoTicketPrinter = _error(
    Conflict, "no_ticket_printer", N_("No printer for this ticket"),
    N_("Ticket %(ticket_no)s was not taken at a kiosk with a printer; show the number on the phone page instead."),
)
IdempotencyKeyReused = _error(
    Invalid, "idempotency_key_reused", N_("Idempotency key already used"),
    N_("This Idempotency-Key was sent with a different request; send a new key for a new ticket."),
)
ServiceNotAtWindow = _error(
    Conflict, "service_not_at_window", N_("Window does not handle this service"),
    N_("Window %(window)s does not handle %(service_name)s."),
)

WindowNotAssigned = _error(
    Forbidden, "window_not_assigned", N_("Not your window"), N_("You may act only for your own window.")
)
RoleRequired = _error(
    Forbidden, "role_required", N_("Permission denied"), N_("This action needs the role: %(roles)s.")
)
HallNotAllowed = _error(
    Forbidden, "hall_not_allowed", N_("Permission denied"), N_("Your credential is not valid for hall %(hall)s.")
)

TransferToSameService = _error(
    Invalid, "transfer_to_same_service", N_("Transfer to the same service"),
    N_("Ticket %(ticket_no)s is already queued for this service."),
)
TransferTargetMissing = _error(
    Invalid, "transfer_target_missing", N_("Transfer target missing"),
    N_("Give a service or a window to transfer to."),
)
BadTicketNo = _error(Invalid, "bad_ticket_no", N_("Bad ticket number"), N_("%(ticket_no)s is not a ticket number."))
BadPersonId = _error(
    Invalid, "bad_person_id", N_("Bad ID number or phone"),
    N_("Please enter an 18-character ID number or an 11-digit mobile number."),
)
BadOutcome = _error(Invalid, "bad_outcome", N_("Bad outcome"), N_("Outcome must be one of: %(allowed)s."))

# Staff console sign-in and CSRF.
LoginFailed = _error(
    Forbidden, "login_failed", N_("Wrong staff number or password"),
    N_("Check the staff number and password. %(left)s attempt(s) left before the account is locked."),
)
LoginLocked = _error(
    Forbidden, "login_locked", N_("Account locked"),
    N_("Too many wrong passwords. Try again after %(until)s or ask the hall manager."),
)
PasswordsDiffer = _error(
    Invalid, "passwords_differ", N_("Passwords differ"), N_("The new password and its repetition are not the same."),
)
CurrentPasswordWrong = _error(
    Forbidden, "current_password_wrong", N_("Current password is wrong"),
    N_("The current password does not match. Type it again."),
)
LoginSlowed = _error(
    Forbidden, "login_slowed", N_("Too many attempts"),
    N_("Too many wrong passwords from this computer. Wait %(seconds)s seconds and try again."),
)
WindowTaken = _error(
    Conflict, "window_taken", N_("Window already signed in"),
    N_("Window %(window)s is signed in by %(user)s. Ask them to sign out first."),
)
CsrfFailed = _error(
    Forbidden, "csrf_failed", N_("Page expired"), N_("The page is out of date. Reload it and try again."),
)

# 好差评 ratings and 差评 cases.
BadRatingLevel = _error(
    Invalid, "bad_rating_level", N_("Bad rating level"), N_("The level must be 1 to 5 (GB/T 39046 A.8)."),
)
RatingReasonRequired = _error(
    Invalid, "rating_reason_required", N_("Please give a reason"),
    N_("For 不满意 or 非常不满意 please pick a reason or write a few words."),
)
AlreadyRated = _error(
    Conflict, "already_rated", N_("Already rated"), N_("Ticket %(ticket_no)s has already been rated for this visit."),
)
NothingToRate = _error(
    Conflict, "nothing_to_rate", N_("Nothing to rate yet"),
    N_("There is no finished service to rate for this ticket or window."),
)
CaseNotFound = _error(NotFound, "case_not_found", N_("Case not found"), N_("No evaluation case %(case)s."))
CaseActionRefused = _error(
    Conflict, "case_action_refused", N_("Not possible in the case's state"),
    N_("Case %(case)s is %(case_status)s; %(action)s is not possible."),
)
AppealOwnDecision = _error(
    Forbidden, "appeal_own_decision", N_("You filed this appeal"),
    N_("Case %(case)s: the appeal must be decided by someone other than the person who filed it."),
)
AppealRankTooLow = _error(
    Forbidden, "appeal_rank_too_low", N_("A higher role must decide this appeal"),
    N_("Case %(case)s: the appeal filed by %(filer)s must be decided by someone with a higher role."),
)

# Manager console: alerts and hall configuration.
AlertNotFound = _error(NotFound, "alert_not_found", N_("Alert not found"), N_("No alert %(alert)s in this hall."))
BadLimit = _error(
    Invalid, "bad_limit", N_("Bad alert limit"),
    N_("Alert limit %(key)s must be a whole number from %(low)s to %(high)s."),
)
SettingOutOfRange = _error(
    Invalid, "setting_out_of_range", N_("Setting out of range"),
    N_("%(label)s must be a whole number from %(low)s to %(high)s."),
)
NameRequired = _error(Invalid, "name_required", N_("Name required"), N_("Please enter a name."))
DailyCapBelowIssued = _error(
    Conflict, "daily_cap_below_issued", N_("Daily cap below today's tickets"),
    N_("%(issued)s tickets were already issued today; the daily cap cannot be %(cap)s."),
)
WindowProfileEmpty = _error(
    Invalid, "window_profile_empty", N_("No services for the window"), N_("A window needs at least one service."),
)
UserNoTaken = _error(
    Conflict, "user_no_taken", N_("Staff number taken"), N_("Staff number %(user)s is already in use."),
)
BadUserNo = _error(
    Invalid, "bad_user_no", N_("Bad staff number"),
    N_("A staff number is 2 to 32 letters, digits, dots, dashes or underscores."),
)
PasswordTooShort = _error(
    Invalid, "password_too_short", N_("Password too short"), N_("A password needs at least %(min)s characters."),
)
RoleNotAssignable = _error(
    Forbidden, "role_not_assignable", N_("Role not allowed"), N_("You may not give or change the role %(role)s."),
)
PairingCodeInvalid = _error(
    Invalid, "pairing_code_invalid", N_("Pairing code not valid"),
    N_("This pairing code is wrong, used or expired. Ask the hall manager for a new one."),
)
PairingLocked = _error(
    TooMany, "pairing_locked", N_("Too many wrong pairing codes"),
    N_("Too many wrong pairing codes from this device. Try again after %(until)s."),
)
RateLimited = _error(
    TooMany, "rate_limited", N_("Too many requests"),
    N_("Too many requests from this network address. Please try again after %(until)s (in about %(minutes)s "
       "minutes)."),
)
TokenInUrl = _error(
    Invalid, "token_in_url", N_("No tokens in addresses"),
    N_("Tokens are not accepted in a page's address. Pair the device with a one-time code at /pair."),
)
DeviceNotFound = _error(NotFound, "device_not_found", N_("Device not found"), N_("No device %(device)s here."))
BadOpeningHours = _error(
    Invalid, "bad_opening_hours", N_("Bad opening hours"),
    N_("Opening hours for weekday %(weekday)s must be HH:MM-HH:MM intervals in order, each ending after it starts."),
)
BadVoiceTemplate = _error(
    Invalid, "bad_voice_template", N_("Bad announcement template"),
    N_("The announcement template must contain {ticket} (the ticket number) and {window} (the window number) "
       "once each, no other braces, and at most %(max)s characters."),
)
BadCode = _error(
    Invalid, "bad_code", N_("Bad code"), N_("A code is 1 to 32 letters, digits, dots, dashes or underscores."),
)
CodeTaken = _error(Conflict, "code_taken", N_("Code already in use"), N_("The code %(code)s is already in use here."))
DepartmentNotFound = _error(
    NotFound, "department_not_found", N_("Department not found"),
    N_("Hall %(hall)s has no department %(department)s."),
)
DepartmentInactive = _error(
    Conflict, "department_inactive", N_("Department out of use"),
    N_("Department %(department)s is out of use; choose an active department."),
)
BadPrefix = _error(
    Invalid, "bad_prefix", N_("Bad ticket prefix"),
    N_("A ticket prefix is 1 to 4 capital letters A to Z (digits would run into the number)."),
)
PrefixTaken = _error(
    Conflict, "prefix_taken", N_("Ticket prefix in use"),
    N_("The prefix %(prefix)s is already used by %(service_name)s; two services would print the same numbers."),
)
BadNumberRange = _error(
    Invalid, "bad_number_range", N_("Bad number range"),
    N_("The number range must start at 0 or more and end above its start, at most at 9999."),
)
BadSlotQuotas = _error(
    Invalid, "bad_slot_quotas", N_("Bad time-slot quotas"),
    N_("Time-slot quotas must be HH:MM-HH:MM slots in order, not overlapping, each with a limit of 1 or more."),
)
WindowNumberTaken = _error(
    Conflict, "window_number_taken", N_("Window number in use"), N_("Window %(window)s already exists."),
)
BadTimezone = _error(
    Invalid, "bad_timezone", N_("Unknown time zone"),
    N_("%(timezone)s is not a known time zone (for example Asia/Shanghai)."),
)
HallRetired = _error(
    Conflict, "hall_retired", N_("Hall retired"), N_("Hall %(hall)s is retired: it issues no tickets."),
)
BadHallCode = _error(
    Invalid, "bad_hall_code", N_("Bad hall code"),
    N_("A hall code is 1 to 32 lower-case letters, digits, dots, dashes or underscores."),
)
SetupInvalid = _error(
    Invalid, "setup_invalid", N_("Workbook refused"),
    N_("%(count)s cells of the workbook are wrong; nothing was imported."),
)
BadWorkbook = _error(
    Invalid, "bad_workbook", N_("Not a hall workbook"),
    N_("The file is not an XLSX workbook with the hall's sheets (download the template)."),
)

# Manager console: the catalogue (办事指南 and 政务公开), shared by every hall.
FieldRequired = _error(Invalid, "field_required", N_("Required field missing"), N_("Please fill in %(label)s."))
BadGuideCode = _error(
    Invalid, "bad_guide_code", N_("Bad implementation code"),
    N_("An implementation code (实施编码) is 1 to 64 characters without spaces."),
)
BadItemType = _error(
    Invalid, "bad_item_type", N_("Unknown item type"),
    N_("%(item_type)s is not an item type of GB/T 39046 (01 行政许可 … 20 公共服务)."),
)
BadTarget = _error(
    Invalid, "bad_target", N_("Bad service target"), N_("The service target must be 自然人, 法人 or both."),
)
BadMaterials = _error(
    Invalid, "bad_materials", N_("Bad application material"),
    N_("Material %(row)s needs a name, original and copy counts from 0 to 99, and form links that are a path "
       "starting with / or an http(s) address."),
)
BadProcess = _error(
    Invalid, "bad_process", N_("Bad process step"), N_("Step %(row)s of the process is empty; every step needs text."),
)
BadFee = _error(
    Invalid, "bad_fee", N_("Bad fee"),
    N_("Say whether the item is charged; a charged item needs its fee standard."),
)
BadFaq = _error(
    Invalid, "bad_faq", N_("Bad question"), N_("Question %(row)s needs both a question and an answer."),
)
GuideInUse = _error(
    Conflict, "guide_in_use", N_("Guide in use"),
    N_("The guide is linked to the services %(services)s; unlink them before deleting it."),
)
IndexNoTaken = _error(
    Conflict, "index_no_taken", N_("Index number in use"),
    N_("The index number %(index_no)s is already used by %(document_title)s."),
)
BadDisclosureCategory = _error(
    Invalid, "bad_disclosure_category", N_("Unknown category"),
    N_("%(category)s is not a disclosure category; choose one of %(categories)s."),
)
BadWrittenOn = _error(
    Invalid, "bad_written_on", N_("Bad date written"),
    N_("The date written must be a date (YYYY-MM-DD) not after today."),
)
BadAttachments = _error(
    Invalid, "bad_attachments", N_("Bad attachment"),
    N_("Attachment %(row)s needs a name and a link: a path starting with / or an http(s) address."),
)

# ---- 网上预约 (engine/booking) ----------------------------------------------------------------------------------
SlotFull = _error(
    Conflict, "slot_full", N_("This time is fully booked"),
    N_("No seat is left for %(service_name)s at %(slot)s. Please choose another time."),
)
BookingClosed = _error(
    Conflict, "booking_closed", N_("Booking is closed for this time"),
    N_("%(service_name)s at %(slot)s can no longer be booked or changed: %(reason)s"),
)
ServiceNotBookable = _error(
    Conflict, "service_not_bookable", N_("This service takes no appointments"),
    N_("%(service_name)s cannot be booked online. Please take a number at the hall."),
)
BookingNotFound = _error(
    NotFound, "booking_not_found", N_("Booking not found"),
    N_("No booking matches this link. It may have been cancelled; please book again."),
)
NoBookingToday = _error(
    NotFound, "no_booking_today", N_("No booking today"),
    N_("%(person)s has no booking to check in at this hall today. Book online, or take a number."),
)
BadBookingPlan = _error(
    Invalid, "bad_booking_plan", N_("Booking plan not valid"),
    N_("The booking plan is not valid at %(field)s: %(reason)s"),
)

# ---- 线上取号 (engine/booking/remote.py) -----------------------------------------------------------------------
EntranceCodeWrong = _error(
    Invalid, "entrance_code_wrong", N_("Wrong entrance code"),
    N_("%(hall_code)s is not today's entrance code of this hall. Type the code shown under the QR code at the "
       "entrance or on the hall's screen, or confirm at a kiosk."),
)
TicketNotArrived = _error(
    Conflict, "ticket_not_arrived", N_("The citizen has not arrived yet"),
    N_("Ticket %(ticket_no)s was taken from a phone and its arrival is not confirmed yet, so it cannot be called."),
)
NotRemoteTicket = _error(
    Conflict, "not_remote_ticket", N_("Not a remote ticket"),
    N_("Ticket %(ticket_no)s was taken in the hall; there is no arrival to confirm."),
)


class BookingPersonLimit(PersonLimitReached):  # type: ignore[valid-type,misc]
    """person_limit_reached for a booking: the same stable code, a message about bookings rather than tickets."""

    detail = N_("This ID or phone already holds %(held)s open booking(s) here (at most %(limit)s), or a booking for "
                "%(service_name)s on that day.")


class BookingSuspended(PersonLimitReached):  # type: ignore[valid-type,misc]
    """person_limit_reached after repeated 爽约: the same stable code, the reason and the date it ends."""

    detail = N_("This ID or phone missed %(missed)s bookings in 30 days, so online booking is suspended until "
                "%(until)s. Please take a number at the hall.")
