"""Mandarin announcement rules: a call -> display text, spoken text and clip list (语音播报).

Pure: no Flask, no SQLAlchemy, no I/O. The hub uses `annotate()` to add `voice` to call events; display.audio
turns the spoken text (or the clip list) into a WAV file.

Rules (docs/voice.md): the ticket is read character by character (A001 -> "A 零零一"), the window number is read
as a number (12 -> 十二), the template is configurable, and each announcement repeats `repeats` times (default 2).
Every announcement also carries a brief reading ("A 零零一 到 三 号窗口") that a busy hall's display plays instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_TEMPLATE = "请{ticket}号到{window}号窗口办理"
# The short reading a busy hall's displays fall back to so that no call waits long (docs/voice.md, "Schedule"):
# about 2.7 s instead of 4.6 s. "到" stays: without it "A 零零一 三号窗口" runs together as A0013.
BRIEF_TEMPLATE = "{ticket}到{window}号窗口"
DEFAULT_REPEATS = 2
# 1..3 repeats: once is easily missed in a noisy hall, more than three annoys everyone waiting.
MAX_REPEATS = 3
DIGITS = "零一二三四五六七八九"
CALL_TYPES = ("ticket.called", "ticket.recalled")

# Words a recorded voice pack provides, longest first so "窗口" wins over a lone "窗". Clip names are file stems.
WORD_CLIPS: dict[str, str] = {
    "窗口": "chuangkou",
    "办理": "banli",
    "请": "qing",
    "号": "hao",
    "到": "dao",
    "十": "shi",
    "百": "bai",
    "千": "qian",
    **{d: f"d{i}" for i, d in enumerate(DIGITS)},
}


@dataclass(frozen=True)
class Announcement:
    """One call to announce: `text` for screens, `speech` for the synthesiser, `clips` for a recorded pack."""

    text: str
    speech: str
    clips: tuple[str, ...]
    repeats: int
    brief_text: str = ""    # the short reading (BRIEF_TEMPLATE), whatever the hall's template
    brief_speech: str = ""

    @property
    def key(self) -> str:
        """Stable cache key of the rendered audio (same speech -> same file)."""
        return speech_key(self.speech)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"text": self.text, "speech": self.speech, "clips": list(self.clips),
                                "repeats": self.repeats, "key": self.key}
        if self.brief_speech:
            wire["brief"] = {"text": self.brief_text, "speech": self.brief_speech,
                             "clips": list(clips_for(self.brief_speech)), "key": speech_key(self.brief_speech)}
        return wire


def speech_key(speech: str) -> str:
    """The audio file's name for a spoken text: GET /display/voice/<key>.wav renders and caches it."""
    return hashlib.sha256(speech.encode()).hexdigest()[:24]


def read_ticket(ticket_no: str) -> str:
    """A001 -> 'A 零零一': letters stay letters (spoken as letters), digits one by one."""
    letters = "".join(c for c in ticket_no if not c.isdigit())
    digits = "".join(DIGITS[int(c)] for c in ticket_no if c.isdigit())
    return f"{letters} {digits}".strip() if letters else digits


def read_number(n: int) -> str:
    """A window number as a Chinese number: 3 -> 三, 10 -> 十, 12 -> 十二, 20 -> 二十, 105 -> 一百零五."""
    if not 0 <= n < 10000:
        raise ValueError("window numbers run from 0 to 9999")
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "十" + (DIGITS[n % 10] if n % 10 else "")
    out = ""
    units = ((1000, "千"), (100, "百"), (10, "十"))
    pending_zero = False
    rest = n
    for value, name in units:
        q, rest = divmod(rest, value)
        if q:
            if pending_zero and out:
                out += "零"
            out += DIGITS[q] + name
            pending_zero = False
        elif out:
            pending_zero = True
    if rest:
        out += ("零" if pending_zero and out else "") + DIGITS[rest]
    return out


def _letter_clip(c: str) -> str:
    return f"l{c.lower()}"


def clips_for(text: str) -> tuple[str, ...]:
    """Clips for a spoken text; letters get letter clips, unknown characters are skipped (spaces)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        for word in sorted(WORD_CLIPS, key=len, reverse=True):
            if text.startswith(word, i):
                out.append(WORD_CLIPS[word])
                i += len(word)
                break
        else:
            c = text[i]
            if c.isascii() and c.isalpha():
                out.append(_letter_clip(c))
            elif not c.isspace():
                out.append(f"u{ord(c):04x}")  # no clip in the pack: the renderer falls back to espeak-ng
            i += 1
    return tuple(out)


def announcement(ticket_no: str, window_number: int, *, template: str = DEFAULT_TEMPLATE,
                 repeats: int = DEFAULT_REPEATS) -> Announcement:
    """请 A001 号到 3 号窗口办理 (screen) / 请 A 零零一 号到 三 号窗口办理 (spoken)."""
    repeats = max(1, min(MAX_REPEATS, repeats))
    text, speech = _fill(template, ticket_no, window_number)
    brief_text, brief_speech = _fill(BRIEF_TEMPLATE, ticket_no, window_number)
    return Announcement(text=text, speech=speech, clips=clips_for(speech), repeats=repeats, brief_text=brief_text,
                        brief_speech=brief_speech)


def _fill(template: str, ticket_no: str, window_number: int) -> tuple[str, str]:
    """(text for screens, text to speak) of a template."""
    text = template.format(ticket=f" {ticket_no} ", window=f" {window_number} ")
    speech = template.format(ticket=f" {read_ticket(ticket_no)} ", window=f" {read_number(window_number)} ")
    return " ".join(text.split()), " ".join(speech.split())


def annotate(event: Mapping[str, Any], *, template: str = DEFAULT_TEMPLATE,
             repeats: int = DEFAULT_REPEATS) -> dict[str, Any] | None:
    """The `voice` field for a call event on the wire, or None for events that are not announced."""
    if event.get("type") not in CALL_TYPES:
        return None
    ticket = event.get("ticket") or {}
    window = event.get("window") or {}
    if not ticket.get("number") or window.get("number") is None:
        return None
    return announcement(str(ticket["number"]), int(window["number"]), template=template, repeats=repeats).to_wire()
