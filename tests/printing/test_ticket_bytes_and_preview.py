"""The paper a kiosk prints is pinned to the byte: the digests below are what main printed for this ticket before
the on-screen preview stopped being a server-drawn picture (issue 22), so a preview change can never move the paper.
The preview's placed lines are the printed layout's, on raster's geometry."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from kiosk import layout
from kiosk import preview
from kiosk import printer
from kiosk import raster
from kiosk.encoder import Encoding
from kiosk.layout import TicketData
from kiosk.printer import PrinterConfig

KNOWN = TicketData(
    hall_name="楚雄州政务服务中心", service_name="不动产转移登记", number="F013", ahead=12, estimated_wait_s=1500,
    issued_at=datetime(2026, 3, 2, 9, 5), track_url="http://hall.example/t/" + "a1" * 16,
    materials=("不动产登记申请书", "不动产权证书", "买卖双方身份证明", "不动产买卖合同", "契税完税凭证"),
    priority_name="老年人", person_masked="532301199001011234",
)


@pytest.mark.parametrize(("paper", "encoding", "native_qr", "size", "sha256"), [
    (80, Encoding.GBK, True, 739, "108d3a101f533efb9227420eb8c72ea25f6a9bb222562ab0ce90c76a2d87e8e2"),
    (58, Encoding.GBK, True, 718, "4383e8f110f444a92c7f276780c3f4090cfa10f4aed0a60e5d3059b923f3e504"),
    (80, Encoding.GBK, False, 6327, "4bb432eca9a0abc13882776fb136ad5939159d708780047c20883e0ee9bb162f"),
    (80, Encoding.GB18030, True, 739, "108d3a101f533efb9227420eb8c72ea25f6a9bb222562ab0ce90c76a2d87e8e2"),
])
def test_a_known_ticket_prints_the_same_bytes_as_before(
        paper: int, encoding: Encoding, native_qr: bool, size: int, sha256: str) -> None:
    done = printer.render(layout.ticket_layout(KNOWN, paper),
                          PrinterConfig(paper_mm=paper, encoding=encoding, native_qr=native_qr))

    assert not done.image_mode
    assert (len(done.data), hashlib.sha256(done.data).hexdigest()) == (size, sha256)


@pytest.mark.parametrize("paper", [58, 80])
def test_the_preview_shows_every_printed_line_and_the_qr_on_the_papers_shape(paper: int) -> None:
    ticket = layout.ticket_layout(KNOWN, paper)
    drawn = preview.ticket_preview(ticket)

    printed = [text for text in ticket.texts() if text.strip()]
    assert sorted(line["text"] for line in drawn["lines"]) == sorted(printed)
    assert "F013" in printed and "您前面还有 12 人" in printed and "楚雄州政务服务中心" in printed
    assert drawn["qr"]["data"] == KNOWN.track_url
    # The same page as the image-mode paper: as wide as the printable dots and as long.
    assert (drawn["width"], drawn["height"]) == raster.render(ticket).size
    assert all(0 <= line["x"] and line["x"] + line["width"] <= drawn["width"] for line in drawn["lines"])
    assert all(line["y"] + line["size"] <= drawn["height"] for line in drawn["lines"])
    tops = [line["y"] for line in drawn["lines"]]
    assert tops == sorted(tops)


def test_the_preview_uses_rasters_dots() -> None:
    assert (preview.COLUMN_DOTS, preview.LINE_DOTS, preview.QR_DOTS) == (
        raster.COLUMN_DOTS, raster.LINE_DOTS, raster.QR_DOTS)
