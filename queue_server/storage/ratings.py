"""好差评 models: ratings (GB/T 39046 表9 fields, append-only, an outbox for upward reporting), 差评 follow-up
cases and their action records, and the A.8 satisfaction levels.

Imports SQLAlchemy, models and the stdlib only; no Flask.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from queue_server.storage.models import ID
from queue_server.storage.models import Base
from queue_server.storage.models import UTCDateTime

# GB/T 39046-2020 Appendix A.8: code -> 满意度. Code 1 is the best; 4 and 5 are 差评.
LEVELS: dict[int, str] = {1: "非常满意", 2: "满意", 3: "基本满意", 4: "不满意", 5: "非常不满意"}
BAD_LEVELS = (4, 5)
# Reason tags a tablet offers for a 差评 (the citizen may type text instead).
REASON_TAGS = ("等候时间长", "态度不好", "业务不熟练", "材料要求不清", "多次跑腿", "其他")
CHANNELS = ("window_device", "qr_code")  # 评价渠道: the window's 评价器, or the citizen's phone via QR


class Rating(Base):
    """One citizen rating of one ticket leg. Never updated except `excluded` (appeal upheld) and `reported_at`."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("leg_id", name="uq_ratings_leg_id"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    leg_id: Mapped[int] = mapped_column(ForeignKey("ticket_legs.id", ondelete="CASCADE"))
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    case_no: Mapped[str | None] = mapped_column(String(64))  # 办件编号
    channel: Mapped[str] = mapped_column(String(16))  # 评价渠道
    rater: Mapped[str] = mapped_column(String(32))  # 评价人: masked ID/phone or 匿名
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)  # 评价时间
    attempt: Mapped[int] = mapped_column(Integer, default=1)  # 评价次数
    level: Mapped[int] = mapped_column(Integer)  # 满意度代码 (A.8)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    text: Mapped[str] = mapped_column(Text, default="")  # 文字评价
    region_code: Mapped[str] = mapped_column(String(12))  # 行政区划
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)  # appeal upheld: a malicious rating
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)  # outbox: None = not yet sent

    @property
    def level_name(self) -> str:
        return LEVELS[self.level]


class EvaluationCase(Base):
    """A 差评 follow-up case, assigned to the handling department (谁办理谁负责), due in working days."""

    __tablename__ = "evaluation_cases"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    rating_id: Mapped[int] = mapped_column(ForeignKey("ratings.id", ondelete="CASCADE"), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    # open -> followed_up -> rectified -> closed (feedback given); appealed -> excluded | back to where it was
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseAction(Base):
    """One step of a case: 回访 follow_up, 整改 rectify, feedback, 申诉 appeal, appeal_decided; append-only."""

    __tablename__ = "evaluation_case_actions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("evaluation_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
