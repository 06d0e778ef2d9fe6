"""Ticket data -> TicketLayout: the printed lines (emphasis, size, alignment) and the QR payload, for 58/80 mm paper.

One layout feeds every renderer: kiosk.printer (ESC/POS text mode), kiosk.raster (image, the image-mode fallback)
and kiosk.preview (placed lines the kiosk page draws as its on-screen preview). Widths are counted as the printer
counts them: a character outside ASCII takes two columns.
Pure: stdlib only; no Flask, no SQLAlchemy, no escpos.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

# Columns of the default 12x24 font: 58 mm paper prints 384 dots (32 x 12), 80 mm prints 576 (48 x 12).
COLUMNS = {58: 32, 80: 48}
DOTS = {58: 384, 80: 576}
# A ticket lists at most this many materials; the rest are in the guide (QR) so the ticket stays short.
MAX_MATERIALS = 6
DEFAULT_TIP = "请留意叫号，过号需重新取号"


@dataclass(frozen=True)
class Line:
    text: str
    align: str = "left"  # left | center | right
    bold: bool = False
    width: int = 1  # GS ! multipliers
    height: int = 1


@dataclass(frozen=True)
class TicketLayout:
    paper_mm: int
    lines: tuple[Line, ...]
    qr: str | None = None  # payload: the ticket's track_url
    qr_caption: str = ""
    after_qr: tuple[Line, ...] = ()
    cut: bool = True

    @property
    def columns(self) -> int:
        return COLUMNS[self.paper_mm]

    def texts(self) -> list[str]:
        return [line.text for line in (*self.lines, *self.after_qr)] + ([self.qr_caption] if self.qr_caption else [])


@dataclass(frozen=True)
class TicketData:
    hall_name: str
    service_name: str
    number: str
    ahead: int
    estimated_wait_s: int
    issued_at: datetime  # hall-local time as printed
    track_url: str
    materials: tuple[str, ...] = ()
    priority_name: str | None = None
    person_masked: str | None = None
    tip: str = DEFAULT_TIP
    extra: dict[str, str] = field(default_factory=dict)
    # A second paper for the same ticket (补打): after a print broken off mid-way, or on request. The mark tells the
    # window and the citizen that two papers with one number are one ticket.
    reprint: bool = False
    reprinted_at: datetime | None = None  # hall-local time of the request, when one was made


def text_width(text: str) -> int:
    """Printed columns: ASCII 1, anything else 2 (a 汉字 or full-width mark is one two-byte glyph)."""
    return sum(1 if ord(ch) < 0x80 else 2 for ch in text)


def wrap(text: str, columns: int, indent: str = "") -> list[str]:
    """Break `text` into lines of at most `columns`; continuation lines start with `indent`."""
    lines: list[str] = []
    current, used = "", 0
    for ch in text:
        w = text_width(ch)
        if used + w > columns and current:
            lines.append(current.rstrip())
            current, used = indent, text_width(indent)
            if ch == " ":
                continue
        current += ch
        used += w
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


_LONG_DIGITS = re.compile(r"\d{7,}[\dXx]*")


def mask_person(value: str) -> str:
    """Mask an ID number or phone the way screens and paper may show it (GB/T 35273): 5323**********1234."""
    value = value.strip()
    if len(value) == 18:
        return f"{value[:4]}{'*' * 10}{value[-4:]}"
    if len(value) == 11:
        return f"{value[:3]}****{value[-4:]}"
    return "*" * len(value)


def scrub(text: str) -> str:
    """Mask any run of 7+ digits: a full ID number or phone must never reach paper, whatever the caller passed."""
    return _LONG_DIGITS.sub(lambda m: mask_person(m.group(0)), text)


def wait_range(seconds: int) -> str:
    """A rounded range in minutes (domain.md §3): people trust a range more than a precise number."""
    minutes = seconds / 60
    if minutes < 5:
        return "5分钟以内"
    low = max(5, math.floor(minutes * 0.8 / 5) * 5)
    high = max(low + 5, math.ceil(minutes * 1.2 / 5) * 5)
    return f"约{low}-{high}分钟"


def _wrapped(text: str, columns: int, **style: object) -> list[Line]:
    width = int(str(style.get("width", 1)))
    return [Line(part, **style) for part in wrap(text, columns // width)]  # type: ignore[arg-type]


def ticket_layout(data: TicketData, paper_mm: int = 80) -> TicketLayout:
    """The printed ticket: (补打,) hall, service, the number (large), people ahead, wait, time, QR, materials, tip."""
    if paper_mm not in COLUMNS:
        raise ValueError("paper must be 58 or 80 mm")
    cols = COLUMNS[paper_mm]
    big = 3 if paper_mm == 58 else 4
    lines: list[Line] = [Line("补打", align="center", bold=True, width=2, height=2)] if data.reprint else []
    lines += [
        *_wrapped(data.hall_name, cols, align="center", bold=True),
        Line("-" * cols),
        *_wrapped(data.service_name, cols, align="center", bold=True, height=2),
        Line(data.number, align="center", bold=True, width=big, height=big),
    ]
    if data.priority_name:
        lines += _wrapped(f"绿色通道：{data.priority_name}（请向窗口出示证件）", cols, align="center")
    lines += [
        Line(f"您前面还有 {data.ahead} 人", align="center", bold=True),
        Line(f"预计等候{wait_range(data.estimated_wait_s)}", align="center"),
        Line(f"取号时间 {data.issued_at:%Y-%m-%d %H:%M}", align="center"),
    ]
    if data.reprint and data.reprinted_at is not None:
        lines.append(Line(f"补打时间 {data.reprinted_at:%Y-%m-%d %H:%M}", align="center"))
    if data.person_masked:
        lines.append(Line(f"登记证件 {scrub(data.person_masked)}", align="center"))
    after: list[Line] = []
    if data.materials:
        after.append(Line("请准备以下材料：", bold=True))
        shown = data.materials[:MAX_MATERIALS]
        for i, name in enumerate(shown, 1):
            after += [Line(part) for part in wrap(f"{i}. {name}", cols, indent="   ")]
        if len(data.materials) > len(shown):
            after.append(Line(f"…共{len(data.materials)}项，扫码查看办事指南"))
    after += [Line("-" * cols), *_wrapped(data.tip, cols, align="center")]
    lines = [Line(scrub(line.text), line.align, line.bold, line.width, line.height) for line in lines]
    after = [Line(scrub(line.text), line.align, line.bold, line.width, line.height) for line in after]
    return TicketLayout(paper_mm=paper_mm, lines=tuple(lines), qr=data.track_url, qr_caption="微信扫码查看排队进度",
                        after_qr=tuple(after))


TEST_PAGE_SAMPLES = (
    "收费：￥0.00（不收费） 工本费 ¥20",
    "《中华人民共和国行政许可法》第三十条",
    "标点：、，。；：？！“引号”‘单引’（）【】……——",
    "繁體：臺灣 香港 出入境",
    "生僻字：王䶮（需图像模式）",
)


def qualification_page(paper_mm: int = 80, encoding: str = "gbk", url: str = "") -> TicketLayout:
    """The on-site qualification page: the tricky characters, a column ruler for this paper, sizes and a QR."""
    cols = COLUMNS[paper_mm]
    ruler = "".join(str(i % 10) for i in range(1, cols + 1))
    hanzi_ruler = "汉字" * (cols // 4)
    lines = [
        Line("打印机测试页 Printer test page", align="center", bold=True),
        Line(f"纸宽 {paper_mm}mm / {cols}列 / 编码 {encoding.upper()}", align="center"),
        Line(ruler),
        Line(hanzi_ruler),
        Line("A001", align="center", width=2, height=2),
        Line("倍高 double height", height=2),
        *[Line(part) for sample in TEST_PAGE_SAMPLES for part in wrap(sample, cols)],
    ]
    return TicketLayout(paper_mm=paper_mm, lines=tuple(lines), qr=url or "https://example.invalid/t/test",
                        qr_caption="二维码测试 QR test", after_qr=(Line("测试结束 end", align="center"),))
