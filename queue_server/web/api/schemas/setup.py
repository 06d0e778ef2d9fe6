"""Request and response models of the hall set-up routes: announcement, hall settings, departments, priority
categories. Ranges and formats are checked by the engine, so refusals name the setting in Chinese."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import Field

from queue_server.web.api.schemas.manager import ProfileItem
from queue_server.web.api.schemas.queue import Body


class VoiceBody(Body):
    """null for either returns it to the server's default (HALLQ_VOICE_TEMPLATE / HALLQ_VOICE_REPEATS)."""

    template: str | None = Field(default=None, max_length=256)
    repeats: int | None = None


class VoiceExample(BaseModel):
    text: str  # as the screens show it: 请 A001 号到 3 号窗口办理
    speech: str  # as it is spoken: 请 A 零零一 号到 三 号窗口办理


class VoiceOut(BaseModel):
    template: str | None  # the hall's own; null = the default applies
    repeats: int | None
    default_template: str
    default_repeats: int
    example: VoiceExample  # what the next call will sound like, with the values in force


class HallSettingsOut(BaseModel):
    code: str
    name: str
    timezone: str
    priority_ratio: int  # normal calls before one priority call, when both wait
    booking_open_limit: int  # open (not yet due) bookings one person may hold in the hall
    no_show_limit: int  # 爽约 within 30 days that suspend a person's online booking
    no_show_suspend_days: int  # how long that suspension lasts
    remote_grace_min: int = 10  # 线上取号: minutes a held remote ticket keeps its place for its citizen
    remote_walk_ahead: int = 5  # 线上取号: people ahead at which the phone says "set off now"


class HallPatch(Body):
    timezone: str | None = Field(default=None, max_length=64)
    priority_ratio: int | None = None
    booking_open_limit: int | None = None
    no_show_limit: int | None = None
    no_show_suspend_days: int | None = None
    remote_grace_min: int | None = None
    remote_walk_ahead: int | None = None


class DepartmentOut(BaseModel):
    code: str
    name: str
    active: bool


class DepartmentListOut(BaseModel):
    departments: list[DepartmentOut]


class DepartmentCreate(Body):
    code: str = Field(max_length=64)
    name: str = Field(max_length=128)


class DepartmentPatch(Body):
    name: str | None = Field(default=None, max_length=128)
    active: bool | None = None


class PriorityOut(BaseModel):
    code: str
    name: str
    weight: int


class PriorityListOut(BaseModel):
    priorities: list[PriorityOut]


class PriorityCreate(Body):
    code: str = Field(max_length=64)
    name: str = Field(max_length=64)
    weight: int = 1


class PriorityPatch(Body):
    name: str | None = Field(default=None, max_length=64)
    weight: int | None = None


class SlotQuota(BaseModel):
    start: str  # HH:MM, hall-local
    end: str
    limit: int


class ServiceFields(Body):
    """Every configurable field of a service; only those given change (PATCH) or differ from the defaults
    (POST). Formats and ranges are checked by the engine so the refusal names the field in Chinese."""

    name: str | None = Field(default=None, max_length=128)
    active: bool | None = None
    prefix: str | None = Field(default=None, max_length=8)
    number_start: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    number_end: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    number_wrap: bool | None = None  # used-up range: wrap to the start (True) or refuse (False)
    daily_cap: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    slot_quotas: list[dict[str, Any]] | None = Field(default=None, max_length=48)
    # ISO weekday -> [["08:30", "12:00"], ...]; null = the hall's hours
    opening_hours: dict[str, Any] | None = None
    stop_issue_before_close_min: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    warning_threshold: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    standard_duration_s: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    green_channel: bool | None = None
    person_limit: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    department: str | None = Field(default=None, max_length=64)  # department code; null or "" = none
    guide_code: str | None = Field(default=None, max_length=64)  # 办事指南 实施编码; null or "" = none


class ServiceCreate(ServiceFields):
    code: str = Field(max_length=64)


class ServiceSettingsFull(BaseModel):
    code: str
    name: str
    active: bool
    closed_on: str | None
    prefix: str
    number_start: int
    number_end: int
    number_wrap: bool
    daily_cap: int | None
    slot_quotas: list[SlotQuota]
    opening_hours: dict[str, Any] | None
    stop_issue_before_close_min: int
    warning_threshold: int | None
    standard_duration_s: int
    green_channel: bool
    person_limit: int | None
    department: str | None
    guide_code: str | None


class ServiceSettingsListOut(BaseModel):
    services: list[ServiceSettingsFull]


class WindowCreate(Body):
    number: int = Field(ge=-(2**31), le=2**31 - 1)
    name: str = Field(max_length=64)
    zone: str = Field(default="", max_length=32)
    services: list[ProfileItem] = Field(max_length=50)  # in call-preference order


class WindowPatch(Body):
    name: str | None = Field(default=None, max_length=64)
    zone: str | None = Field(default=None, max_length=32)


class WindowSettingsOut(BaseModel):
    number: int
    name: str
    zone: str
    services: list[str]
