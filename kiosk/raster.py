"""TicketLayout -> a Pillow image with a CJK font: the printer's image-mode fallback (the on-screen preview is
kiosk.preview's placed lines, drawn by the kiosk page on this module's geometry).

Printed through python-escpos's raster command (GS v 0) when text mode cannot encode a character (a rare name
character such as 䶮 is outside GBK). Pure: Pillow, qrcode and the stdlib; no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import qrcode
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from kiosk.layout import DOTS
from kiosk.layout import Line
from kiosk.layout import TicketLayout
from kiosk.layout import text_width

# Debian fonts-noto-cjk; index 2 of the .ttc is the Simplified Chinese face (SC).
FALLBACK_FONT = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2)
BOLD_FONT = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2)
COLUMN_DOTS = 12  # one ASCII column of the printer's 12x24 font: a 汉字 is 24 dots wide, like the printer's
LINE_DOTS = 30  # 24-dot glyph plus leading
QR_DOTS = 200  # ~25 mm on a 203 dpi head: scans from a phone at arm's length


@functools.cache
def font_file(bold: bool = False) -> tuple[str, int]:
    """The CJK font as (path, face index): asked of fontconfig, else Debian's usual path."""
    wanted = "Noto Sans CJK SC:style=Bold" if bold else "Noto Sans CJK SC:style=Regular"
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            out = subprocess.run([fc_match, wanted, "--format=%{file}:%{index}"], capture_output=True, text=True,
                                 timeout=5, check=True).stdout.strip()
            path, _, index = out.rpartition(":")
            if path.endswith((".ttc", ".otf", ".ttf")) and Path(path).exists() and "CJK" in path:
                return path, int(index or 0)
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
    return BOLD_FONT if bold else FALLBACK_FONT


@functools.cache
def _font(bold: bool, px: int) -> ImageFont.FreeTypeFont:
    path, index = font_file(bold)
    return ImageFont.truetype(path, px, index=index)


def qr_image(payload: str, dots: int = QR_DOTS) -> Image.Image:
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(payload)
    code.make(fit=True)
    img = code.make_image().get_image().convert("L")
    return img.resize((dots, dots), Image.Resampling.NEAREST)


def _draw_line(img: Image.Image, line: Line, y: int, width_dots: int) -> int:
    """Draw one line at y and return the next y. Characters sit on the printer's fixed column grid, and sizes
    scale the 24-dot glyph the way GS ! does (width and height independently)."""
    px = 24 * line.height
    font = _font(line.bold, px)
    cols = text_width(line.text)
    pitch = COLUMN_DOTS * line.height  # draw at the height's scale, then squeeze or stretch to the width's
    strip = Image.new("L", (max(1, cols * pitch), LINE_DOTS * line.height), 255)
    draw = ImageDraw.Draw(strip)
    col = 0
    for ch in line.text:
        draw.text((col * pitch, 0), ch, font=font, fill=0)
        col += text_width(ch)
    text_dots = max(1, cols * COLUMN_DOTS * line.width)
    if line.width != line.height:
        strip = strip.resize((text_dots, strip.height))
    if line.align == "center":
        x = max(0, (width_dots - text_dots) // 2)
    elif line.align == "right":
        x = max(0, width_dots - text_dots)
    else:
        x = 0
    img.paste(strip, (x, y))
    return y + LINE_DOTS * line.height


def render(layout: TicketLayout) -> Image.Image:
    """The whole ticket as a grayscale image (black ink on white) exactly as wide as the paper's printable dots."""
    width = DOTS[layout.paper_mm]
    heights = sum(LINE_DOTS * line.height for line in (*layout.lines, *layout.after_qr))
    qr_block = (QR_DOTS + LINE_DOTS + 16) if layout.qr else 0
    img = Image.new("L", (width, heights + qr_block + 24), 255)
    y = 8
    for line in layout.lines:
        y = _draw_line(img, line, y, width)
    if layout.qr:
        img.paste(qr_image(layout.qr), ((width - QR_DOTS) // 2, y + 8))
        y += QR_DOTS + 16
        if layout.qr_caption:
            y = _draw_line(img, Line(layout.qr_caption, align="center"), y, width)
    for line in layout.after_qr:
        y = _draw_line(img, line, y, width)
    return img


def render_line(line: Line, paper_mm: int) -> Image.Image:
    """One line as an image (the test page prints its rare-character line this way, the rest as text)."""
    width = DOTS[paper_mm]
    img = Image.new("L", (width, LINE_DOTS * line.height + 4), 255)
    _draw_line(img, line, 2, width)
    return img
