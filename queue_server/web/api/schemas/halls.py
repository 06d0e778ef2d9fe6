"""Request and response models of the hall routes: create, rename, retire, and the workbook import's answer.
Codes, names and time zones are checked by the engine, so refusals name the field in Chinese."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field

from queue_server.web.api.schemas.queue import Body


class HallCreate(Body):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=128)
    timezone: str = Field(min_length=1, max_length=64)


class HallRename(Body):
    name: str = Field(min_length=1, max_length=128)


class HallOut(BaseModel):
    code: str
    name: str
    timezone: str
    retired: bool
    retired_at: str | None


class HallListOut(BaseModel):
    halls: list[HallOut]


class ImportOut(BaseModel):
    """Rows created and updated per sheet (by its Chinese title); nothing is written when dry_run."""

    created: dict[str, int]
    updated: dict[str, int]
    dry_run: bool
    changed: bool


class ImportQuery(BaseModel):
    dry_run: bool = False
