"""Request and response models of the kiosk-facing API: print jobs, kiosk printers, guides and disclosures.

Kept apart from schemas/queue.py (the queue core's) so the two areas grow without stepping on each other; both feed
the one OpenAPI document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from queue_server.web.api.schemas.queue import Body

# 25 s: below the usual 30 s proxy and load-balancer idle timeouts, so a quiet long-poll is never cut.
MAX_WAIT_S = 25.0


PRINTER_STATES = ("online", "paper_low", "paper_out", "cover_open", "offline", "error", "unknown")
PrinterState = Literal["online", "paper_low", "paper_out", "cover_open", "offline", "error", "unknown"]


class PrintJobsQuery(BaseModel):
    """?wait=<s>&agent=<id> of the agent's long-poll. A bad value is 422 naming it: a NaN or infinite wait would
    hold a server thread for ever."""

    model_config = ConfigDict(extra="ignore")
    wait: float = Field(default=0, ge=0, le=MAX_WAIT_S, allow_inf_nan=False,
                        description="seconds to hold the request while nothing is printable (long-poll)")
    agent: str = Field(default="agent", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                       description="the agent's stable id: its own unreported claims come back to it after a "
                                   "restart")


class PrintResultRequest(Body):
    status: Literal["printed", "failed"]
    # interrupted: bytes went out but the printer never said it was ready after the cut (part of a ticket may be
    # on the paper); the others: nothing was sent.
    error: Literal["printer_offline", "paper_out", "cover_open", "printer_error", "interrupted"] | None = None
    sends: int | None = Field(default=None, ge=1, le=100, description="how many times the job was sent (a job "
                                                                       "broken off mid-way is sent again whole, "
                                                                       "marked 补打)")


class PrinterStateRequest(Body):
    state: PrinterState


class PrintJobOut(BaseModel):
    id: int
    ticket_id: int
    status: str = Field(description="queued | printing | printed | failed | expired | cancelled")
    attempts: int
    error: str | None
    expires_at: str = Field(description="the deadline: not printed by then, the kiosk says 打印失败 and the job "
                                        "never prints by itself")
    deadline_in_s: float = Field(description="seconds from this answer to expires_at (0 once passed): the kiosk "
                                             "page counts down from it with its own clock")
    reprint: bool = Field(description="a second paper of the ticket (补打)")
    print_within_s: float | None = Field(default=None, description="claims only: the agent must have the "
                                                                    "printer's answer within this many seconds")
    number: str | None = None
    service: str | None = None
    service_name: str | None = None
    hall_name: str | None = None
    priority_name: str | None = None
    ahead: int | None = None
    estimated_wait_s: int | None = None
    issued_local: str | None = None
    reprinted_local: str | None = None
    person_masked: str | None = None
    track_url: str | None = Field(default=None, description="only for the kiosk that owns the job")
    materials: list[str] = Field(default_factory=list)


class KioskOut(BaseModel):
    id: int
    name: str
    hall: str
    hall_name: str
    printer: dict[str, object] | None
    printer_state: str | None


class PrinterStateOut(BaseModel):
    state: str


class Material(BaseModel):
    name: str
    original: int = 1
    copies: int = 0
    required: bool = True
    source: str = ""
    form: bool = False
    blank_form: str | None = None
    sample: str | None = None


class GuideSummary(BaseModel):
    code: str
    name: str
    item_type: str
    item_type_name: str
    agency: str
    department_code: str
    theme: str
    online: bool
    appointment: bool
    self_service: bool
    visits: int
    service: str | None = Field(description="the hall's service this guide belongs to (take a ticket for it)")


class GuideOut(GuideSummary):
    basic_code: str
    keywords: str
    target: list[str]
    location: str
    hours: str
    conditions: str
    materials: list[Material]
    process: list[str]
    legal_limit_days: int | None
    promised_limit_days: int | None
    fee: dict[str, object]
    legal_basis: str
    consult_phone: str
    complaint_phone: str
    faq: list[dict[str, str]]
    service_name: str | None


class FindingOut(BaseModel):
    rule: int
    code: str
    field: str
    message: str


class GuideFindingsOut(BaseModel):
    code: str
    name: str
    findings: list[FindingOut]


class DisclosureSummary(BaseModel):
    id: int
    index_no: str
    doc_no: str
    title: str
    publisher: str
    written_on: str | None
    category: str


class DisclosureOut(DisclosureSummary):
    body: str
    attachments: list[dict[str, str]]


class GuidePatch(Body):
    """The fields a manager edits from the settings page; only those given change. The 实施编码 (code) is the key
    services link by and never changes. Lists and the fee are checked by the core (catalogue/edits.py), whose
    refusals name the row: materials [{name, original, copies, required, source, form, blank_form, sample}],
    process [step], fee {charged, standard, basis}, faq [{q, a}]."""

    name: str | None = Field(default=None, max_length=200)
    basic_code: str | None = Field(default=None, max_length=64)
    item_type: str | None = Field(default=None, max_length=4, description="a key of GB/T 39046 A.1 (01…20)")
    agency: str | None = Field(default=None, max_length=128)
    department_code: str | None = Field(default=None, max_length=32, description="a department of the hall, or ''")
    theme: str | None = Field(default=None, max_length=64)
    keywords: str | None = Field(default=None, max_length=256)
    target: list[str] | None = Field(default=None, max_length=2, description="自然人 and/or 法人")
    location: str | None = Field(default=None, max_length=2000)
    hours: str | None = Field(default=None, max_length=2000)
    conditions: str | None = Field(default=None, max_length=8000)
    materials: list[dict[str, object]] | None = Field(default=None, max_length=100)
    process: list[str] | None = Field(default=None, max_length=50)
    fee: dict[str, object] | None = None
    legal_basis: str | None = Field(default=None, max_length=8000)
    consult_phone: str | None = Field(default=None, max_length=64)
    complaint_phone: str | None = Field(default=None, max_length=64)
    faq: list[dict[str, str]] | None = Field(default=None, max_length=100)
    legal_limit_days: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    promised_limit_days: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    visits: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    appointment: bool | None = None
    online: bool | None = None
    self_service: bool | None = None


class GuideCreate(GuidePatch):
    """A new guide: the 实施编码 (unique), name, 事项类型 and 实施主体 are required; the rest as in GuidePatch."""

    code: str = Field(max_length=64)


class DisclosurePatch(Body):
    """The fields of a 政务公开 document; only those given change."""

    index_no: str | None = Field(default=None, max_length=64)
    doc_no: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=256)
    publisher: str | None = Field(default=None, max_length=128)
    written_on: str | None = Field(default=None, max_length=10, description="YYYY-MM-DD, not after today")
    category: str | None = Field(default=None, max_length=32)
    body: str | None = Field(default=None, max_length=100_000)
    attachments: list[dict[str, str]] | None = Field(default=None, max_length=50,
                                                     description="[{name, url}]: url a /path or http(s) address")


class DisclosureCreate(DisclosurePatch):
    """A new document: 索引号 (unique), 标题, 发布机构 and 分类 are required."""

    index_no: str = Field(max_length=64)
    title: str = Field(max_length=256)
    publisher: str = Field(max_length=128)
    category: str = Field(max_length=32)


class GuideEdited(BaseModel):
    guide: GuideOut
    findings: list[FindingOut]  # what the quality rules still find after the edit
