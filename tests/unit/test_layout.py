"""Ticket layout: columns counted like the printer (汉字 = 2), both paper widths, and no full ID or phone on paper."""

from __future__ import annotations

from datetime import datetime

import pytest

from kiosk import layout
from kiosk.layout import TicketData


def ticket(**fields: object) -> TicketData:
    data: dict[str, object] = {
        "hall_name": "楚雄州政务服务中心", "service_name": "不动产转移登记", "number": "F013", "ahead": 3,
        "estimated_wait_s": 900, "issued_at": datetime(2026, 3, 2, 9, 5), "track_url": "http://hall.example/t/tok",
        "materials": ("不动产权证书原件", "买卖双方身份证明原件及复印件（已婚的提供结婚证）", "契税完税凭证"),
    }
    data.update(fields)
    return TicketData(**data)  # type: ignore[arg-type]


def test_hanzi_count_as_two_columns() -> None:
    assert layout.text_width("A001") == 4
    assert layout.text_width("不动产登记") == 10
    assert layout.text_width("￥5，") == 5


@pytest.mark.parametrize("paper_mm, columns", [(58, 32), (80, 48)])
def test_no_printed_line_is_wider_than_the_paper(paper_mm: int, columns: int) -> None:
    printed = layout.ticket_layout(ticket(), paper_mm)

    for line in (*printed.lines, *printed.after_qr):
        assert layout.text_width(line.text) * line.width <= columns, line.text


def test_long_material_wraps_with_a_hanging_indent_on_58mm_paper() -> None:
    printed = layout.ticket_layout(ticket(), 58)
    texts = [line.text for line in printed.after_qr]

    second = texts.index(next(t for t in texts if t.startswith("2. ")))
    assert texts[second + 1].startswith("   ")


def test_ticket_shows_number_large_and_qr_points_to_the_phone_page() -> None:
    printed = layout.ticket_layout(ticket(), 80)

    number = next(line for line in printed.lines if line.text == "F013")
    assert (number.width, number.height) == (4, 4)
    assert printed.qr == "http://hall.example/t/tok"
    assert any("前面还有 3 人" in line.text for line in printed.lines)


def test_a_full_id_number_or_phone_never_reaches_paper() -> None:
    printed = layout.ticket_layout(ticket(person_masked="532301199001011234", tip="电话13812345678"), 80)
    texts = " ".join(printed.texts())

    assert "532301199001011234" not in texts
    assert "13812345678" not in texts
    assert "5323**********1234" in texts
    assert "138****5678" in texts


def test_estimated_wait_is_a_rounded_range() -> None:
    assert layout.wait_range(120) == "5分钟以内"
    assert layout.wait_range(900) == "约10-20分钟"


def test_qualification_page_has_a_ruler_as_wide_as_the_paper() -> None:
    page = layout.qualification_page(58)

    assert "12345678901234567890123456789012" in page.texts()
    assert any("䶮" in text for text in page.texts())
