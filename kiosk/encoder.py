"""Our Chinese text encoder for ESC/POS: text -> bytes in GBK, GB18030 or Big5 with the 汉字-mode commands.

python-escpos 3.1 sends any chunk with U+4E00-U+9FA5 as raw GB18030 without `FS &`, prints full-width punctuation
as `?` and cannot be told which encoding the printer uses (domain.md §8), so Chinese text goes through here and
reaches python-escpos only as raw bytes. Pure: stdlib only, no Flask, no SQLAlchemy, no escpos.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

ESC = b"\x1b"
GS = b"\x1d"
FS = b"\x1c"
INIT = ESC + b"@"
HANZI_ON = FS + b"&"  # FS & (1C 26): two-byte 汉字 mode on
HANZI_OFF = FS + b"."  # FS . (1C 2E): back to one-byte mode
BOLD_ON = ESC + b"E\x01"
BOLD_OFF = ESC + b"E\x00"
ALIGN = {"left": ESC + b"a\x00", "center": ESC + b"a\x01", "right": ESC + b"a\x02"}
LF = b"\n"


class Encoding(enum.StrEnum):
    GBK = "gbk"  # the safe default on mainland clones
    GB18030 = "gb18030"
    BIG5 = "big5"  # Taiwan/HK models

    @property
    def codec(self) -> str:
        # cp950 is the Big5 that printers actually ship (it has ￥ at A2 44; Python's plain big5 lacks it).
        return "cp950" if self is Encoding.BIG5 else self.value


# Characters a ticket may contain that the printer encodings lack but have a full-width twin for (domain.md §8).
SUBSTITUTES = {
    "\u00a5": "\uffe5",  # ¥ -> ￥ (¥ is not in GBK)
    "\u00a0": " ",  # no-break space: not in GBK, and a plain space prints the same
}


class Unencodable(ValueError):
    """Text holds characters the printer encoding cannot represent; the ticket goes to image mode."""

    def __init__(self, chars: list[str], encoding: Encoding) -> None:
        self.chars = chars
        self.encoding = encoding
        super().__init__(f"not in {encoding.value}: {''.join(chars)}")


def normalise(text: str) -> str:
    """Swap characters for the printable twins above; other text is kept as it is."""
    return "".join(SUBSTITUTES.get(ch, ch) for ch in text)


def unencodable(text: str, encoding: Encoding) -> list[str]:
    """Characters of `text` (after normalise) the encoding cannot represent, each listed once, in order."""
    missing: list[str] = []
    for ch in normalise(text):
        if ord(ch) < 0x80 or ch in missing:
            continue
        try:
            ch.encode(encoding.codec)
        except UnicodeEncodeError:
            missing.append(ch)
    return missing


def size(width: int = 1, height: int = 1) -> bytes:
    """GS ! n: character size 1-8 times; sizes ASCII and 汉字 alike on most clones (ESC ! often only ASCII)."""
    if not (1 <= width <= 8 and 1 <= height <= 8):
        raise ValueError("character size must be 1-8")
    return GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])


def _runs(text: str) -> Iterable[tuple[bool, str]]:
    """Split into (is_wide, chunk) runs: ASCII stays one-byte, everything else goes in 汉字 mode."""
    if not text:
        return
    wide = ord(text[0]) >= 0x80
    start = 0
    for i, ch in enumerate(text):
        if (ord(ch) >= 0x80) != wide:
            yield wide, text[start:i]
            start, wide = i, not wide
    yield wide, text[start:]


def encode_text(text: str, encoding: Encoding = Encoding.GBK) -> bytes:
    """Text -> bytes: ASCII as is, each non-ASCII run between FS & and FS . in `encoding`.

    Raises Unencodable listing every character the encoding lacks, so the caller can switch to image mode.
    """
    text = normalise(text)
    missing = unencodable(text, encoding)
    if missing:
        raise Unencodable(missing, encoding)
    out = bytearray()
    for wide, chunk in _runs(text):
        if wide:
            out += HANZI_ON + chunk.encode(encoding.codec) + HANZI_OFF
        else:
            out += chunk.encode("ascii")
    return bytes(out)


def encode_line(
    text: str, encoding: Encoding = Encoding.GBK, *, align: str = "left", bold: bool = False,
    width: int = 1, height: int = 1,
) -> bytes:
    """One printed line: alignment, emphasis and size set, the text, then back to normal and a line feed."""
    out = ALIGN[align] + size(width, height)
    if bold:
        out += BOLD_ON
    out += encode_text(text, encoding)
    if bold:
        out += BOLD_OFF
    if (width, height) != (1, 1):
        out += size(1, 1)
    return out + LF
