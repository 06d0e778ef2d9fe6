"""Request and response models of the manager console routes (monitor, alerts, configuration)."""

from __future__ import annotations

from datetime import date
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from queue_server.web.api.schemas.queue import Body
from queue_server.web.api.schemas.queue import Code
from queue_server.web.api.schemas.queue import CurrentTicket


class AlertOut(BaseModel):
    id: int
    kind: str
    subject: str
    state: str
    raised_at: str
    seen_at: str | None
    seen_by: str | None
    resolved_at: str | None
    data: dict[str, Any]


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


class MonitorService(BaseModel):
    code: str
    name: str
    prefix: str
    active: bool
    closed_today: bool
    waiting: int
    longest_wait_s: int | None
    estimated_wait_s: int
    issued_today: int
    served_today: int
    warning_threshold: int | None
    daily_cap: int | None
    standard_duration_s: int


class WindowServiceItem(BaseModel):
    service: str
    name: str
    weight: int


class MonitorWindow(BaseModel):
    number: int
    name: str
    label: str = ""  # "3号 综合窗口"
    state: str
    activity: str  # serving, idle, paused, away (离岗), closed
    reason: str
    since: str | None
    for_s: int | None
    staff: str | None
    staff_name: str | None
    services: list[WindowServiceItem]
    current: CurrentTicket | None


class ChartBucket(BaseModel):
    at: str
    arrivals: int
    waiting: int


class MonitorKiosk(BaseModel):
    id: int
    name: str
    printer: bool  # whether the kiosk prints tickets at all
    printer_state: str | None = Field(description="online, paper_low, paper_out, cover_open, offline, error or "
                                                  "unknown, as its print agent last reported; null: never reported")
    last_seen_at: str | None


class AttentionItem(BaseModel):
    """What needs attention now: ticket_wait_long, queue_long, window_paused_long, printer_trouble, case_overdue
    (most urgent kind first); data as in the alert of the same kind."""

    kind: str
    subject: str
    data: dict[str, Any]


class MonitorOut(BaseModel):
    hall: str
    hall_name: str
    now: str
    seq: int
    services: list[MonitorService]
    windows: list[MonitorWindow]
    chart: list[ChartBucket]
    alerts: list[AlertOut]
    kiosks: list[MonitorKiosk]
    attention: list[AttentionItem] = []


class HallSummary(BaseModel):
    hall: str
    hall_name: str
    open: bool = False  # open now by its opening hours and holiday calendar
    hours_today: str = ""
    waiting: int
    serving: int
    open_windows: int
    open_alerts: int


class PrefectureOut(BaseModel):
    halls: list[HallSummary]


class AlertLimitsBody(Body):
    """Hall-wide limits and per-service overrides; ranges are checked by the engine (bad_limit, in Chinese)."""

    limits: dict[str, Any] = Field(default_factory=dict)


class ProfileItem(Body):
    service: str = Code
    weight: int = 1


class WindowServicesBody(Body):
    services: list[ProfileItem] = Field(max_length=50)


class WindowServicesOut(BaseModel):
    number: int
    services: list[WindowServiceItem]


class WindowReleasedOut(BaseModel):
    """The window after a manager freed it: closed, nobody signed in."""

    number: int
    name: str
    label: str = Field(description='"3号 综合窗口"')
    state: str
    staff: str | None


class StaffOut(BaseModel):
    user_no: str
    name: str
    role: str
    active: bool


class StaffListOut(BaseModel):
    staff: list[StaffOut]


class StaffCreate(Body):
    user_no: str = Field(max_length=64)
    name: str = Field(max_length=64)
    role: Literal["staff", "viewer", "manager"] = "staff"
    password: str = Field(max_length=128)


class StaffPatch(Body):
    name: str | None = Field(default=None, max_length=64)
    role: Literal["staff", "viewer", "manager"] | None = None
    active: bool | None = None
    password: str | None = Field(default=None, max_length=128)


class DeviceOut(BaseModel):
    id: int
    kind: str
    name: str
    window: int | None
    last_seen_at: str | None
    printer_state: str | None
    active: bool


class DeviceListOut(BaseModel):
    devices: list[DeviceOut]


class DeviceCreate(Body):
    kind: Literal["kiosk", "display", "rater"]
    name: str = Field(max_length=64)
    window: int | None = Field(default=None, ge=1, le=2**31 - 1)


class DeviceCreated(BaseModel):
    device: DeviceOut
    token: str  # shown once; only its SHA-256 is stored


class PairingCodeOut(BaseModel):
    code: str  # 8 digits, shown once; only its SHA-256 is stored
    expires_at: str
    device: DeviceOut


class PairBody(Body):
    code: str = Field(max_length=32)


class Paired(BaseModel):
    token: str  # the device's own bearer token, kept in its localStorage; never in a URL
    kind: Literal["kiosk", "display", "rater"]
    hall: str
    device: str
    window: int | None
    page: str  # where the paired device goes next


class CalendarDayItem(Body):
    day: date
    kind: Literal["holiday", "workday"] | None  # None: back to the weekly hours
    name: str = Field(default="", max_length=64)


class CalendarDayOut(BaseModel):
    day: str
    kind: str | None
    name: str


class HoursBody(Body):
    """{"1": [["08:30", "12:00"], ["14:00", "17:30"]], ..., "7": []}; checked by the engine (bad_opening_hours)."""

    opening_hours: dict[str, Any]


class HoursOut(BaseModel):
    opening_hours: dict[str, Any]
    calendar: list[CalendarDayOut]


class PasswordChange(Body):
    current: str = Field(max_length=128)
    new: str = Field(max_length=128)


class PasswordSet(Body):
    password: str = Field(max_length=128)


class PasswordChanged(BaseModel):
    user_no: str
    sessions_ended: bool = True


class Unlocked(BaseModel):
    user_no: str
    cleared: int


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    target: str
    data: dict[str, Any]


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    actions: list[str]
    next_before: int | None


class AuditQuery(BaseModel):
    """?actor=工号&action=prefix&target=text&from=YYYY-MM-DD&to=YYYY-MM-DD (hall days, inclusive)&before=id"""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    actor: str = Field(default="", max_length=64)
    action: str = Field(default="", max_length=64)
    target: str = Field(default="", max_length=128)
    from_on: date | None = Field(default=None, alias="from")
    to_on: date | None = Field(default=None, alias="to")
    before: int | None = Field(default=None, ge=1, le=2**63 - 1)
