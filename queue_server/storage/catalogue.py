"""The catalogue's tables: 办事指南 items (GB/T 39046 fields) and 政务公开 documents, shared by every hall.

Each row keeps a normalised search text and the pinyin initials of its names; queue_server.catalogue.index computes
them at import and edit, and searches them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from queue_server.storage.models import ID
from queue_server.storage.models import Base

# GB/T 39046-2020 Appendix A.1 事项类型 codes (11+ are local extensions).
ITEM_TYPES = {
    "01": "行政许可", "02": "行政处罚", "03": "行政强制", "04": "行政征收", "05": "行政给付", "06": "行政检查",
    "07": "行政确认", "08": "行政奖励", "09": "行政裁决", "10": "其他行政权力", "11": "内部审批", "20": "公共服务",
}
DISCLOSURE_CATEGORIES = (
    "机构职能", "规范性文件", "财政预决算", "人事任免", "年度报告", "办事指南", "政府采购与交易公告",
)


class GuideItem(Base):
    """One 办事指南 item with the national fields (domain.md §6), in the order a kiosk shows them."""

    __tablename__ = "guide_items"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # 实施编码: opaque, never parsed
    basic_code: Mapped[str] = mapped_column(String(64), default="")  # 基本编码
    name: Mapped[str] = mapped_column(String(200))
    item_type: Mapped[str] = mapped_column(String(4))  # A.1 code
    agency: Mapped[str] = mapped_column(String(128))  # 实施主体
    department_code: Mapped[str] = mapped_column(String(32), default="")  # the hall department it belongs to
    theme: Mapped[str] = mapped_column(String(64), default="")  # 主题: 企业开办, 不动产登记, 社会保障...
    keywords: Mapped[str] = mapped_column(String(256), default="")  # everyday words people search with
    target: Mapped[list[str]] = mapped_column(JSON, default=list)  # 服务对象: 自然人 / 法人
    location: Mapped[str] = mapped_column(Text, default="")
    hours: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[str] = mapped_column(Text, default="")  # 受理条件
    # [{name, original, copies, required, source, form, blank_form, sample}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    process: Mapped[list[str]] = mapped_column(JSON, default=list)
    legal_limit_days: Mapped[int | None] = mapped_column(Integer)  # 法定办结时限 (working days)
    promised_limit_days: Mapped[int | None] = mapped_column(Integer)  # 承诺办结时限; 0 = 即办件
    fee: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {charged, standard, basis}
    legal_basis: Mapped[str] = mapped_column(Text, default="")  # 设定依据
    consult_phone: Mapped[str] = mapped_column(String(64), default="")
    complaint_phone: Mapped[str] = mapped_column(String(64), default="")
    visits: Mapped[int] = mapped_column(Integer, default=1)  # 到办事现场次数
    appointment: Mapped[bool] = mapped_column(Boolean, default=False)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    self_service: Mapped[bool] = mapped_column(Boolean, default=False)
    faq: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{q, a}]
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_initials: Mapped[str] = mapped_column(Text, default="")


class DisclosureDocument(Base):
    """A disclosed government document (政府信息公开)."""

    __tablename__ = "disclosure_documents"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    index_no: Mapped[str] = mapped_column(String(64), unique=True)  # 索引号
    doc_no: Mapped[str] = mapped_column(String(64), default="")  # 文号
    title: Mapped[str] = mapped_column(String(256))
    publisher: Mapped[str] = mapped_column(String(128))  # 发布机构
    written_on: Mapped[date | None] = mapped_column(Date)  # 成文日期
    category: Mapped[str] = mapped_column(String(32))  # 分类
    body: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{name, url}]
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_initials: Mapped[str] = mapped_column(Text, default="")
