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
    ONLINE = "online"  # ready
    PAPER_LOW = "paper_low"  # ready, but the roll is near its end (DLE EOT 4): change it soon
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # not reachable, or the printer says it is offline for no other stated reason
    ERROR = "error"  # the printer reports an error (cutter jam, overheating...)
    UNKNOWN = "unknown"  # the transport cannot read (file, CUPS) or the printer did not answer

    @property
    def prints(self) -> bool:
        """Whether a print may be sent: a printer that cannot say (UNKNOWN) is given the job."""
        return self in (PrinterStatus.ONLINE, PrinterStatus.PAPER_LOW, PrinterStatus.UNKNOWN)


# What the agent reports when a print fails because of a state (the job's `error`).
FAILURE_CODE = {PrinterStatus.PAPER_OUT: "paper_out", PrinterStatus.COVER_OPEN: "cover_open",
                PrinterStatus.OFFLINE: "printer_offline", PrinterStatus.ERROR: "printer_error"}


class PrintError(Exception):
    """A print that did not happen, or did not finish; `code` is what the agent reports: paper_out | cover_open |
    printer_offline | printer_error (nothing reached the paper) or interrupted (bytes went out but the printer
    never said it was ready after the cut: part of a ticket may be on the paper)."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        super().__init__(f"{code}: {message}" if message else code)

    @property
    def sent(self) -> bool:
        return self.code == "interrupted"


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
    """python-escpos's TCP 9100 printer, except that a refused connection closes its socket (3.1 leaks it) and that
    opening and closing log nothing: python-escpos logs both on the root logger at INFO, twice per ticket."""

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        try:
            self.device = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            self.device = None
            raise DeviceNotFoundError(f"Could not open socket for {self.host}: {exc}") from exc

    def close(self) -> None:
        if not self._device:
            return
        try:
            self._device.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._device.close()
        self._device = False


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


def _can_ask(url: str) -> bool:
    return urlsplit(url).scheme.lower() not in ("file", "cups", "dummy")


class _NoAnswer(Exception):
    """The connection broke while asking (reset, closed): not the same as a printer that never answers."""


def _ask(printer: Escpos, n: int) -> int | None:
    """One DLE EOT n answer byte; None when the printer did not answer in time or cannot be asked.
    Raises _NoAnswer when the connection is gone."""
    try:
        answer = printer.query_status(b"\x10\x04" + bytes([n]))
    except (NotImplementedError, AttributeError):
        return None
    except TimeoutError:
        return None
    except OSError as exc:  # reset, broken pipe: the printer dropped us
        raise _NoAnswer(str(exc)) from exc
    if not answer:
        raise _NoAnswer("connection closed")
    return answer[-1]


def read_state(printer: Escpos) -> PrinterStatus:
    """The printer's state from DLE EOT 1 (online), 2 (why offline: cover, paper end, error) and 4 (roll sensor).
    UNKNOWN when it does not answer. Raises _NoAnswer when the connection breaks meanwhile."""
    online = _ask(printer, 1)
    if online is None:
        return PrinterStatus.UNKNOWN
    cause = _ask(printer, 2)
    paper = _ask(printer, 4)
    # DLE EOT 4 bits 5-6 (0x60): roll end; bits 2-3 (0x0C): near end. DLE EOT 2 bit 2 (0x04): cover open, bit 5
    # (0x20): stopped at paper end, bit 6 (0x40): error. DLE EOT 1 bit 3 (0x08): offline.
    if cause is not None and cause & 0x04:
        return PrinterStatus.COVER_OPEN
    if (paper is not None and paper & 0x60 == 0x60) or (cause is not None and cause & 0x20):
        return PrinterStatus.PAPER_OUT
    if cause is not None and cause & 0x40:
        return PrinterStatus.ERROR
    if online & 0x08:
        return PrinterStatus.OFFLINE
    if paper is not None and paper & 0x0C == 0x0C:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.ONLINE


def status(url: str, *, timeout: float = STATUS_TIMEOUT_S) -> PrinterStatus:
    """Ask the printer (DLE EOT 1, 2 and 4) how it is; UNKNOWN when it cannot say, OFFLINE when not reachable."""
    if not _can_ask(url):
        return PrinterStatus.UNKNOWN
    try:
        printer = connect(url, timeout=timeout)
    except Exception:  # noqa: BLE001 - a bad URL or missing transport library: sending will say which
        return PrinterStatus.UNKNOWN
    try:
        printer.open()
    except Exception:  # noqa: BLE001 - every way of not reaching the printer means the same: offline
        return PrinterStatus.OFFLINE
    try:
        return read_state(printer)
    except _NoAnswer:
        return PrinterStatus.OFFLINE
    finally:
        _close(printer)


def _set_timeout(printer: Escpos, seconds: float) -> None:
    """Socket transports: the timeout of the next reads and writes (others keep the one they were opened with)."""
    device = getattr(printer, "device", None)
    if isinstance(device, socket.socket):
        device.settimeout(seconds)


def _close(printer: Escpos) -> None:
    try:
        printer.close()
    except Exception:  # noqa: BLE001 - closing a dead connection must not hide the real outcome
        log.debug("closing the printer connection failed", exc_info=True)


def send(url: str, data: bytes, *, timeout: float = SEND_TIMEOUT_S) -> PrinterStatus:
    """Deliver rendered bytes on one connection and confirm them; returns the printer's state after the cut.

    The printer is asked before (a printer that cannot print is sent nothing) and again after the whole job (DLE
    EOT is answered in order on the connection, so the answer comes after the printer took every byte). A printer
    that answered before must answer ready after; one that cannot be asked at all (file, CUPS, no DLE EOT
    support) counts as printed once the bytes are out. Raises PrintError(paper_out | cover_open |
    printer_offline | printer_error | interrupted)."""
    try:
        printer = connect(url, timeout=timeout)
    except PrintError:
        raise
    except Exception as exc:  # noqa: BLE001 - a bad URL or a transport whose library is missing (pyusb...)
        raise PrintError("printer_error", str(exc)) from exc
    try:
        printer.open()
    except Exception as exc:  # noqa: BLE001 - python-escpos raises several types for "not there"
        raise PrintError("printer_offline", str(exc)) from exc
    try:
        # A ready printer answers DLE EOT in milliseconds; one that does not answer n=1 within STATUS_TIMEOUT_S
        # cannot be asked at all (and is not made to wait out the whole send timeout per question).
        _set_timeout(printer, min(STATUS_TIMEOUT_S, timeout))
        try:
            before = read_state(printer) if _can_ask(url) else PrinterStatus.UNKNOWN
        except _NoAnswer as exc:
            raise PrintError("printer_offline", str(exc)) from exc
        if not before.prints:
            raise PrintError(FAILURE_CODE[before], f"printer says {before.value}")
        # The answer after the cut may wait for the printer to drain its buffer (TCP holds the question back until
        # it has room), so it gets the whole send timeout.
        _set_timeout(printer, timeout)
        try:
            printer._raw(data)
        except OSError as exc:  # timeouts included: some of the bytes may have reached the paper
            raise PrintError("interrupted", str(exc)) from exc
        except Exception as exc:  # noqa: BLE001
            raise PrintError("printer_error", str(exc)) from exc
        if before is PrinterStatus.UNKNOWN:
            return before
        try:
            after = read_state(printer)
        except _NoAnswer as exc:
            raise PrintError("interrupted", f"no answer after the cut: {exc}") from exc
        if after is PrinterStatus.UNKNOWN:
            raise PrintError("interrupted", "the printer did not say it was ready after the cut")
        if not after.prints:
            # It took the bytes but stopped: paper ran out, the cover opened or it failed during this ticket.
            raise PrintError("interrupted", f"printer says {after.value} after the cut")
        return after
    finally:
        _close(printer)


def print_layout(layout: TicketLayout, config: PrinterConfig, *, line_images: bool = False,
                 timeout: float = SEND_TIMEOUT_S) -> Rendered:
    """Render, send and confirm (see send). Raises PrintError(paper_out | cover_open | printer_offline |
    printer_error | interrupted)."""
    rendered = render(layout, config, line_images=line_images)
    send(config.url, rendered.data, timeout=timeout)
    return rendered
