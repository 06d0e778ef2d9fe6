"""TicketLayout -> the on-screen preview as placed text lines and a QR box, in printer dots, for the kiosk page to
draw (kiosk.js builds an inline SVG from it; the browser's own CJK font does the drawing).

The preview used to be a PNG drawn by kiosk.raster for every ticket, which cost the touch -> ticket path most of its
server time. The geometry here is raster's (same column grid, line pitch, QR size and margins), so the preview and
the image-mode paper keep one shape; the printed bytes do not depend on this module at all.
Pure: stdlib and kiosk.layout only; no Flask, no SQLAlchemy, no Pillow.
"""

from __future__ import annotations

from typing import Any

from kiosk.layout import DOTS
from kiosk.layout import Line
from kiosk.layout import TicketLayout
from kiosk.layout import text_width

# kiosk.raster's dots (tests/printing pins that both agree): one ASCII column of the 12x24 font, a line's pitch,
# the QR's side and the margins around the ticket and the QR.
COLUMN_DOTS = 12
LINE_DOTS = 30
QR_DOTS = 200
TOP_DOTS = 8
QR_GAP_DOTS = 8
BOTTOM_DOTS = 16


def _placed(line: Line, y: int, width: int) -> dict[str, Any]:
    """One line at y: its left edge and width on the printer's column grid (width scaled the way GS ! does)."""
    dots = text_width(line.text) * COLUMN_DOTS * line.width
    if line.align == "center":
        x = max(0, (width - dots) // 2)
    elif line.align == "right":
        x = max(0, width - dots)
    else:
        x = 0
    return {"text": line.text, "x": x, "y": y, "width": dots, "size": 24 * line.height, "bold": line.bold}


def ticket_preview(layout: TicketLayout) -> dict[str, Any]:
    """The ticket's lines and QR placed on a page as wide as the paper's printable dots, top to bottom."""
    width = DOTS[layout.paper_mm]
    placed: list[dict[str, Any]] = []
    y = TOP_DOTS
    for line in layout.lines:
        placed.append(_placed(line, y, width))
        y += LINE_DOTS * line.height
    qr = None
    if layout.qr:
        qr = {"data": layout.qr, "x": (width - QR_DOTS) // 2, "y": y + QR_GAP_DOTS, "size": QR_DOTS}
        y += QR_DOTS + 2 * QR_GAP_DOTS
        if layout.qr_caption:
            placed.append(_placed(Line(layout.qr_caption, align="center"), y, width))
            y += LINE_DOTS
    for line in layout.after_qr:
        placed.append(_placed(line, y, width))
        y += LINE_DOTS * line.height
    return {"paper_mm": layout.paper_mm, "width": width, "height": y + BOTTOM_DOTS,
            "lines": [p for p in placed if p["text"].strip()], "qr": qr}
