"""Request and response models of the hall reports (issue 6): the period query and the report document.

Kept apart from schemas/queue.py so the reports grow without stepping on the queue core's models; both feed the one
OpenAPI document. The response models mirror queue_server.reports.stats and are filled from its dataclasses.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

from queue_server.reports.stats import MAX_PERIOD_DAYS
from queue_server.reports.stats import Report


class ReportQuery(BaseModel):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (business days in the hall's timezone, inclusive)&by=service|window|staff|hour"""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    from_on: date = Field(alias="from")
    to_on: date = Field(alias="to")
    by: Literal["service", "window", "staff", "hour"] = "service"

    @model_validator(mode="after")
    def _period(self) -> ReportQuery:
        if self.to_on < self.from_on:
            raise ValueError("`to` must not be before `from`")
        if self.to_on - self.from_on > timedelta(days=MAX_PERIOD_DAYS - 1):
            raise ValueError(f"a report spans at most {MAX_PERIOD_DAYS} days")
        return self


class ExportQuery(ReportQuery):
    format: Literal["csv", "xlsx"] = "xlsx"
    # A CSV holds one table: the grouped report, or the bookings and remote tickets per day (an XLSX has both).
    part: Literal["report", "citizens"] = "report"


def query_params(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The OpenAPI query parameters of a query model (by their wire names)."""
    schema = model.model_json_schema()
    return {name: {k: v for k, v in prop.items() if k != "title"} for name, prop in schema["properties"].items()}


class DurationsOut(BaseModel):
    count: int
    mean_s: float | None
    median_s: float | None
    p90_s: int | None
    max_s: int | None
    over_limit: int


class ReportRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    label: str
    tickets: dict[str, int]
    served: int
    done: int
    returned: int
    consult: int
    no_show: int
    transferred: int
    cancelled: int
    expired: int
    wait: DurationsOut
    service: DurationsOut
    rated: int
    levels: dict[str, int]
    rating_rate: float | None
    bad: int
    bad_rate: float | None
    cases: int
    cases_closed_on_time: int
    cases_closed_late: int
    cases_open_overdue: int


class RankedRowOut(ReportRowOut):
    rank: int


class RankingOut(BaseModel):
    windows: list[RankedRowOut]
    staff: list[RankedRowOut]


class ActedOut(BaseModel):
    """Legs a manager's or admin's credential called at a window (credited to the window's clerk, shown apart)."""

    window: str
    actor: str
    calls: int
    served: int


class CitizenDayOut(BaseModel):
    """网上预约 and 线上取号 of one service on one business day (`on` null in the total)."""

    on: date | None
    service: str
    service_name: str
    booked: int
    cancelled: int
    checked_in: int
    no_show: int
    remote: int


class CitizensOut(BaseModel):
    rows: list[CitizenDayOut]
    total: CitizenDayOut


class ReportOut(BaseModel):
    hall: str
    hall_name: str
    from_: date = Field(alias="from")
    to: date
    by: Literal["service", "window", "staff", "hour"]
    wait_limit_s: int
    generated_at: datetime
    total: ReportRowOut
    rows: list[ReportRowOut]
    ranking: RankingOut
    acted: list[ActedOut]
    citizens: CitizensOut


def report_out(rep: Report) -> dict[str, Any]:
    def row(r: Any) -> dict[str, Any]:
        return ReportRowOut.model_validate(r, from_attributes=True).model_dump(mode="json")

    def citizen(c: Any) -> dict[str, Any]:
        return CitizenDayOut.model_validate(c, from_attributes=True).model_dump(mode="json")

    return {
        "hall": rep.hall, "hall_name": rep.hall_name, "from": rep.from_on.isoformat(), "to": rep.to_on.isoformat(),
        "by": rep.by, "wait_limit_s": rep.wait_limit_s, "generated_at": rep.generated_at.isoformat(),
        "total": row(rep.total), "rows": [row(r) for r in rep.rows],
        "ranking": {"windows": [{"rank": r.rank, **row(r.row)} for r in rep.window_ranking],
                    "staff": [{"rank": r.rank, **row(r.row)} for r in rep.staff_ranking]},
        "acted": [{"window": a.window, "actor": a.actor, "calls": a.calls, "served": a.served} for a in rep.acted],
        "citizens": {"rows": [citizen(c) for c in rep.citizens], "total": citizen(rep.citizens_total)},
    }
