"""QR codes as inline SVG (a booking's code, a ticket's page, the hall's entrance code): drawn on the server, so
no page needs a QR script and a weak phone paints it at once."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from markupsafe import Markup


def qr_svg(data: str) -> Markup:
    out = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2).save(out)
    svg = out.getvalue().decode()
    return Markup(svg[svg.index("<svg"):])  # noqa: S704 - drawn here from digits or our own address, no citizen text
