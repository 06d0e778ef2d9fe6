"""Request and response models of the hall set-up routes: announcement, hall settings, departments, priority
categories. Ranges and formats are checked by the engine, so refusals name the setting in Chinese."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field

from queue_server.api.schemas import Body


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


class HallPatch(Body):
    timezone: str | None = Field(default=None, max_length=64)
    priority_ratio: int | None = None


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
