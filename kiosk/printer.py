"""TicketLayout -> ESC/POS bytes -> a printer reached through python-escpos, configured by one URL.

URLs: tcp://host:9100, usb://04b8:0202, serial:///dev/ttyS0?baudrate=19200, file:///dev/usb/lp0, cups://queue,
dummy:// (discards; for dry runs). python-escpos carries the bytes and draws QR codes and images; Chinese text
comes from kiosk.encoder (domain.md §8). A ticket with a character the encoding lacks prints as one image.
Pure: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import copy
import enum
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

from escpos.constants import RT_STATUS_ONLINE
from escpos.constants import RT_STATUS_PAPER
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy
from escpos.printer import Network

from kiosk import encoder
from kiosk import raster
from kiosk.encoder import Encoding
from kiosk.layout import DOTS
from kiosk.layout import Line
from kiosk.layout import TicketLayout

log = logging.getLogger(__name__)

# 2 s: a networked printer answers DLE EOT in milliseconds; longer means it is off or the cable is out.
STATUS_TIMEOUT_S = 2.0
# 10 s to connect and send a ticket (a few KiB, or ~40 KiB as an image) over TCP 9100.
SEND_TIMEOUT_S = 10.0
QR_MODULE_DOTS = 6  # native GS ( k module size: ~25 mm code for a track URL


class PrinterStatus(enum.StrEnum):
    ONLINE = "online"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    UNKNOWN = "unknown"  # the transport cannot read (file, CUPS) or the printer did not answer


class PrintError(Exception):
    """A print that did not happen; `code` is what the agent reports: printer_offline | paper_out | printer_error."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)


@dataclass(frozen=True)
class PrinterConfig:
    url: str = "dummy://"
    paper_mm: int = 80
    encoding: Encoding = Encoding.GBK
    native_qr: bool = True  # False: the QR goes as a raster image (printers without GS ( k)


@dataclass(frozen=True)
class Rendered:
    data: bytes
    image_mode: bool  # True when text mode could not encode every character
    missing: tuple[str, ...] = ()


def _dummy(paper_mm: int) -> Dummy:
    """A byte-collecting printer whose profile knows the paper's dot width (python-escpos checks it for images)."""
    printer = Dummy()
    data = copy.deepcopy(printer.profile.profile_data)
    data["media"] = {"dpi": 203, "width": {"mm": paper_mm, "pixels": DOTS[paper_mm]}}
    printer.profile.profile_data = data
    return printer


def _line_bytes(printer: Escpos, line: Line, config: PrinterConfig, line_images: bool) -> None:
    try:
        printer._raw(encoder.encode_line(line.text, config.encoding, align=line.align, bold=line.bold,
                                         width=line.width, height=line.height))
    except encoder.Unencodable:
        if not line_images:
            raise
        printer._raw(encoder.ALIGN["left"])
        printer.image(raster.render_line(line, config.paper_mm), impl="bitImageRaster")


def render(layout: TicketLayout, config: PrinterConfig, *, line_images: bool = False) -> Rendered:
    """ESC/POS bytes of the layout. Text mode when every character encodes; else the whole ticket as one image
    (or, with line_images, just the offending lines: the test page shows both ways side by side)."""
    missing = tuple(dict.fromkeys(ch for text in layout.texts() for ch in encoder.unencodable(text, config.encoding)))
    printer = _dummy(layout.paper_mm)
    printer._raw(encoder.INIT)
    if missing and not line_images:
        printer._raw(encoder.ALIGN["left"])
        printer.image(raster.render(layout), impl="bitImageRaster")
        printer.cut()
        return Rendered(printer.output, True, missing)
    for line in layout.lines:
        _line_bytes(printer, line, config, line_images)
    if layout.qr:
        printer._raw(encoder.ALIGN["center"])
        if config.native_qr:
            printer.qr(layout.qr, size=QR_MODULE_DOTS, native=True)
            printer._raw(encoder.LF)
        else:  # python-escpos draws it (qrcode) and sends it as a GS v 0 raster image
            printer.qr(layout.qr, size=QR_MODULE_DOTS, native=False, image_arguments={"impl": "bitImageRaster"})
        if layout.qr_caption:
            _line_bytes(printer, Line(layout.qr_caption, align="center"), config, line_images)
    for line in layout.after_qr:
        _line_bytes(printer, line, config, line_images)
    if layout.cut:
        printer.cut()
    return Rendered(printer.output, False, missing)


class _Network(Network):  # type: ignore[misc]
    """python-escpos's TCP 9100 printer, except that a refused connection closes its socket (3.1 leaks it)."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        try:
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            self.device = None
            raise DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc


def _network(parts: Any, timeout: float) -> Escpos:
    return _Network(host=parts.hostname or "", port=parts.port or 9100, timeout=timeout)


def connect(url: str, *, timeout: float = SEND_TIMEOUT_S) -> Escpos:
    """A python-escpos printer for the URL, not yet opened. Raises PrintError(printer_error) for a bad URL."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    if scheme == "tcp":
        return _network(parts, timeout)
    if scheme == "usb":
        from escpos.printer import Usb

        vendor, _, product = parts.netloc.partition(":")
        return Usb(idVendor=int(vendor, 16), idProduct=int(product, 16), timeout=int(timeout * 1000))
    if scheme == "serial":
        from escpos.printer import Serial

        return Serial(devfile=parts.path, baudrate=int(query.get("baudrate", "9600")), timeout=timeout)
    if scheme == "file":
        from escpos.printer import File

        return File(devfile=parts.path)
    if scheme == "cups":
        from escpos.printer import CupsPrinter

        return CupsPrinter(printer_name=parts.netloc or parts.path.lstrip("/"))
    if scheme == "dummy":
        return Dummy()
    raise PrintError("printer_error", f"unknown printer URL scheme {scheme!r}")


def _read_status(printer: Escpos, command: bytes) -> int | None:
    try:
        answer = printer.query_status(command)
    except (NotImplementedError, AttributeError):
        return None
    except OSError:  # socket.timeout included: no answer in time
        return None
    return answer[0] if answer else None


def status(url: str) -> PrinterStatus:
    """Ask the printer (DLE EOT 1 and 4) whether it is online and has paper; UNKNOWN when it cannot say."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("file", "cups", "dummy"):
        return PrinterStatus.UNKNOWN
    try:
        printer = connect(url, timeout=STATUS_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - a bad URL or missing transport library: sending will say which
        return PrinterStatus.UNKNOWN
    try:
        printer.open()
    except Exception:  # noqa: BLE001 - every way of not reaching the printer means the same: offline
        return PrinterStatus.OFFLINE
    try:
        online = _read_status(printer, RT_STATUS_ONLINE)
        paper = _read_status(printer, RT_STATUS_PAPER)
    finally:
        _close(printer)
    if online is None and paper is None:
        return PrinterStatus.UNKNOWN
    # DLE EOT 4: bits 5-6 (0x60) set = paper end sensor; DLE EOT 1: bit 3 (0x08) set = offline.
    if paper is not None and paper & 0x60 == 0x60:
        return PrinterStatus.PAPER_OUT
    if online is not None and online & 0x08:
        return PrinterStatus.OFFLINE
    return PrinterStatus.ONLINE


def _close(printer: Escpos) -> None:
    try:
        printer.close()
    except Exception:  # noqa: BLE001 - closing a dead connection must not hide the real outcome
        log.debug("closing the printer connection failed", exc_info=True)


def send(url: str, data: bytes) -> None:
    """Deliver rendered bytes in one write. Raises PrintError(printer_offline | printer_error)."""
    try:
        printer = connect(url)
    except PrintError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad URL or a transport whose library is missing (pyusb...)
        raise PrintError("printer_error", str(exc)) from exc
    try:
        printer.open()
    except Exception as exc:  # noqa: BLE001 - python-escpos raises several types for "not there"
        raise PrintError("printer_offline", str(exc)) from exc
    try:
        printer._raw(data)
    except OSError as exc:  # timeouts included
        raise PrintError("printer_offline", str(exc)) from exc
    except Exception as exc:  # noqa: BLE001
        raise PrintError("printer_error", str(exc)) from exc
    finally:
        _close(printer)


def print_layout(layout: TicketLayout, config: PrinterConfig, *, line_images: bool = False) -> Rendered:
    """Check the printer, render and send. Raises PrintError(paper_out | printer_offline | printer_error)."""
    state = status(config.url)
    if state is PrinterStatus.PAPER_OUT:
        raise PrintError("paper_out")
    if state is PrinterStatus.OFFLINE:
        raise PrintError("printer_offline")
    rendered = render(layout, config, line_images=line_images)
    send(config.url, rendered.data)
    return rendered
