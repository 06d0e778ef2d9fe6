"""Request and response models of /api/v1: the only source of the OpenAPI schemas."""

from __future__ import annotations

from typing import Annotated
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator

from queue_server.events import EVENT_TYPES

Code = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")


class Body(BaseModel):
    # Unknown fields are ignored so an older kiosk keeps working against a newer server.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: object) -> object:
        """Refuse text no database stores: NUL (PostgreSQL errors on it) and lone surrogates (not UTF-8)."""
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError("must not contain NUL characters")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError("must be valid Unicode text") from exc
        return value


class IssueRequest(Body):
    service: str = Code
    priority: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    # The wire contract says str: halls add channels of their own (a WeChat mini-program, a 12345 hotline), and
    # reports count by whatever is recorded. Known ones: kiosk, mobile, staff, api (appointment is set by check-in).
    channel: str | None = Field(default=None, min_length=1, max_length=16)
    appointment_code: str | None = Field(default=None, min_length=1, max_length=32)
    id_number: str | None = Field(default=None, max_length=32)
    phone: str | None = Field(default=None, max_length=20)


class FinishRequest(Body):
    outcome: Literal["done", "returned", "consult"] = "done"
    case_no: str | None = Field(default=None, max_length=64)


class ParkRequest(Body):
    minutes: int | None = Field(default=None, ge=1, le=480)


class TransferRequest(Body):
    service: str | None = Field(default=None, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
    window: int | None = Field(default=None, ge=1, le=9999)


class PauseRequest(Body):
    reason: str = Field(default="", max_length=128)


class CallSpecificRequest(Body):
    ticket_no: str = Field(min_length=1, max_length=16)
    reason: str = Field(min_length=1, max_length=256)


class EmptyBody(Body):
    pass


class NoticesBody(Body):
    """The wall display's scrolling notices, in display order (an empty list clears them)."""

    notices: list[str] = Field(max_length=20)


class EventsQuery(BaseModel):
    """?after=<seq>: events with a larger seq; 0 (the default) replays from the start."""

    model_config = ConfigDict(extra="ignore")
    after: int = Field(default=0, ge=0, le=2**63 - 1)


class TicketOut(BaseModel):
    id: int
    number: str
    hall: str
    service: str
    service_name: str
    status: str
    priority: str | None
    channel: str
    window: int | None
    window_name: str | None
    call_count: int
    ahead: int
    estimated_wait_s: int
    track_token: str
    track_url: str
    issued_at: str
    queued_at: str
    arrived: bool = Field(default=True, description="false for a remote ticket (线上取号) whose citizen has not "
                                                     "confirmed arrival: it cannot be called yet")
    print_job_id: int | None = Field(default=None, description="set when the issuing kiosk prints the ticket")
    print_deadline_s: float | None = Field(default=None, description="seconds from this answer until the print "
                                                                      "job's deadline: not printed by then, the "
                                                                      "kiosk says 打印失败")


class IdempotencyKey(BaseModel):
    """The Idempotency-Key header of an issue: a retry with the same key returns the first attempt's ticket."""

    key: str = Field(alias="Idempotency-Key", min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class StaffTicketOut(BaseModel):
    """A ticket as staff see it: no track token (it would let them act as the citizen)."""

    id: int
    number: str
    hall: str
    service: str
    service_name: str
    status: str
    priority: str | None
    channel: str
    window: int | None
    window_name: str | None
    call_count: int
    issued_at: str
    queued_at: str
    waited_s: int
    person: str | None = Field(description="masked ID or phone, never the full value")


class CallOut(BaseModel):
    ticket: StaffTicketOut


class ServiceOut(BaseModel):
    code: str
    name: str
    prefix: str
    department: str | None
    active: bool
    green_channel: bool
    person_limit: int | None
    waiting: int
    estimated_wait_s: int


class CurrentTicket(BaseModel):
    id: int
    number: str
    status: str


class WindowOut(BaseModel):
    number: int
    name: str
    label: str = Field(description='The window as people read it: "3号 综合窗口"')
    zone: str
    state: str
    reason: str
    staff: str | None
    services: list[str]
    current: CurrentTicket | None


class TrackPrintOut(BaseModel):
    """The ticket's latest print job as its owner sees it (the phone page offers 补打 from it)."""

    status: str = Field(description="queued | printing | printed | failed | expired | cancelled")
    error: str | None
    reprint: bool
    kiosk: str = Field(description="the kiosk's name: where the paper comes out")
    deadline_in_s: float
    reprints_left: int


class TrackVisitOut(BaseModel):
    service_name: str
    window_label: str | None
    staff: str | None = Field(description="the clerk's 工号")
    finished_at_local: str = Field(description="HH:MM, hall time")
    rated: bool
    rated_level_name: str | None


class TrackOut(BaseModel):
    number: str
    hall: str
    hall_name: str
    service: str
    service_name: str
    status: str
    ahead: int
    estimated_wait_s: int
    window: int | None
    window_name: str | None
    window_label: str | None = Field(default=None, description='"3号 综合窗口"')
    call_count: int = Field(default=0, description="calls so far; a rise while called is a recall")
    parked_until_local: str | None = Field(default=None, description="HH:MM (hall time) a parked ticket is back "
                                                                     "in the queue by itself")
    no_show_until_local: str | None = Field(default=None, description="HH:MM (hall time) until which staff can "
                                                                      "put a 过号 ticket back in the queue")
    issued_at: str
    print_job: TrackPrintOut | None = Field(default=None, description="null when no kiosk printer has the ticket")
    remote: bool = Field(default=False, description="taken from a phone (线上取号)")
    arrived: bool = Field(default=True, description="false while a remote ticket's arrival is not confirmed")
    held: bool = Field(default=False, description="an unconfirmed remote ticket at the head of its queue: come now")
    hold_until_local: str | None = Field(default=None, description="HH:MM (hall time) a held ticket expires")
    walk_ahead: int | None = Field(default=None, description="remote tickets: start walking over at this many "
                                                             "people ahead")
    visit: TrackVisitOut | None = Field(default=None, description="the latest finished visit (what a rating rates)")


class EventOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    seq: int
    # Every type the hall's feed carries (docs/events.md has each one's fields), so the served document lists them.
    type: str = Field(json_schema_extra={"enum": list(EVENT_TYPES)})
    hall: str
    at: str


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details with a stable machine `code`."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[FieldError] | None = None
    request_id: str | None = None


# Staff console and 好差评 (issue 5).

class WindowStateOut(BaseModel):
    number: int
    name: str
    zone: str
    state: str
    reason: str
    staff: str | None


class ConsoleTicket(BaseModel):
    id: int
    number: str
    status: str
    service: str
    service_name: str
    priority: str | None
    priority_name: str | None
    channel: str
    call_count: int
    recalls_left: int
    waited_s: int | None
    serving_s: int | None
    person: str | None = Field(description="masked ID or phone, never the full value")
    case_no: str | None
    notes: list[str]


class ConsoleQueue(BaseModel):
    service: str
    service_name: str
    prefix: str
    waiting: int
    longest_wait_s: int | None
    not_arrived: int = 0  # 线上取号 tickets among `waiting` whose citizen has not confirmed arrival: not callable yet


class ConsoleParked(BaseModel):
    id: int
    number: str
    service_name: str
    returns_in_s: int | None


class ConsoleToday(BaseModel):
    served: int
    average_service_s: int | None


class ConsoleWindow(WindowStateOut):
    staff_name: str | None


class NamedCode(BaseModel):
    code: str
    name: str


class NamedWindow(BaseModel):
    number: int
    name: str


class ConsoleOut(BaseModel):
    hall: str
    hall_name: str
    now: str
    window: ConsoleWindow
    current: ConsoleTicket | None
    queues: list[ConsoleQueue]
    parked: list[ConsoleParked]
    today: ConsoleToday
    recall_limit: int
    transfer_services: list[NamedCode]
    transfer_windows: list[NamedWindow]


ReasonText = Field(default="", max_length=500)
RowId = Annotated[int, Field(ge=1, le=2**53)]  # a database id; 2**53 keeps it exact in JavaScript


class RateRequest(Body):
    level: int = Field(ge=-1000, le=1000, description="GB/T 39046 A.8 code: 1 非常满意 … 5 非常不满意")
    tags: list[Annotated[str, Field(max_length=16)]] = Field(default_factory=list, max_length=6)
    text: str = ReasonText
    leg_id: RowId | None = Field(default=None, description="the pending leg the tablet shows (device only)")


class RatingOut(BaseModel):
    id: int
    ticket_no: str
    case_no: str | None
    channel: str
    rater: str
    rated_at: str
    attempt: int
    level: int
    level_name: str
    tags: list[str]
    text: str
    region_code: str
    service: str
    window: int | None
    staff: str | None
    excluded: bool
    case_id: int | None


class PendingRating(BaseModel):
    leg_id: int
    ticket_no: str
    service_name: str
    finished_at: str


class RaterStateOut(BaseModel):
    hall: str
    window: int
    window_name: str
    window_label: str = Field(description='"3号 综合窗口"')
    staff: str | None
    staff_name: str | None
    levels: list[NamedCode]
    reason_tags: list[str]
    pending: PendingRating | None


class CaseActionRequest(Body):
    note: str = Field(min_length=1, max_length=2000)


class AppealDecisionRequest(Body):
    note: str = Field(min_length=1, max_length=2000)
    upheld: bool = Field(description="true: the rating was malicious and is excluded")


class CaseActionOut(BaseModel):
    kind: str
    at: str
    actor: str
    note: str


class CaseQuery(BaseModel):
    """Filters of the case list and its export; a bad value is a 422 like a bad body."""

    overdue: bool = False
    status: Literal["open", "followed_up", "rectified", "closed", "appealed", "excluded"] | None = None
    service: str | None = Field(default=None, max_length=32)
    # A window number: past the column's range it is a 422, not an overflow in the database driver (a 500).
    window: int | None = Field(default=None, ge=1, le=2**31 - 1)


class CaseOut(BaseModel):
    id: int
    status: str
    department: str | None
    opened_at: str
    due_on: str
    overdue: bool
    days_left: int | None = None  # calendar days to the due day; None once closed
    closed_at: str | None
    service_name: str = ""
    window_label: str | None = None  # "3号 综合窗口"
    appeal_by: str | None = None  # who filed the pending appeal (they may not decide it)
    rating: RatingOut
    actions: list[CaseActionOut]


class MarkReportedRequest(Body):
    ids: list[RowId] = Field(min_length=1, max_length=1000)


class MarkReportedOut(BaseModel):
    marked: int
