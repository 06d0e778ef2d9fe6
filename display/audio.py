"""Offline audio for announcements: espeak-ng (voice cmn-latn-pinyin) or a recorded clip pack, cached as WAV.

No Flask, no SQLAlchemy: display.views serves what this renders. See docs/voice.md for the choice:
espeak-ng's `cmn` voice reads tone digits in English (espeak-ng 1.51 bug), `cmn-latn-pinyin` reads Chinese
characters correctly; a recorded pack (one WAV per clip name from display.voice) replaces it when complete.
"""

from __future__ import annotations

import array
import io
import logging
import math
import os
import shutil
import struct
import subprocess
import tempfile
import wave
from pathlib import Path

from display.voice import Announcement

log = logging.getLogger(__name__)

ESPEAK_VOICE = "cmn-latn-pinyin"
# 150 words/min: espeak's default 175 is hurried for numbers read to a waiting crowd.
ESPEAK_SPEED_WPM = 150
RATE_HZ = 22050  # espeak-ng's native rate; clip packs must match it
# Below this amplitude (of 32767) a sample is silence; TAIL_S of it is kept after the last word.
SILENCE_LEVEL = 300
TAIL_S = 0.08
# A synthesiser hang must not hold a request thread: 10 s is ~50x a normal render.
RENDER_TIMEOUT_S = 10.0


def _tone(freq: float, seconds: float, volume: float = 0.4) -> bytes:
    n = int(RATE_HZ * seconds)
    frames = bytearray()
    for i in range(n):
        fade = min(1.0, i / 400, (n - i) / 2000)  # soft attack, longer release: a bell, not a beep
        frames += struct.pack("<h", int(32767 * volume * fade * math.sin(2 * math.pi * freq * i / RATE_HZ)))
    return bytes(frames)


def chime_wav() -> bytes:
    """The two-tone 叮咚 played before each announcement (generated, so no binary asset to license)."""
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE_HZ)
        out.writeframes(_tone(988.0, 0.35) + _tone(784.0, 0.6))
    return buf.getvalue()


class Renderer:
    """Renders an announcement's speech to `<cache>/<key>.wav` once; later calls return the cached file."""

    def __init__(self, cache_dir: Path, pack_dir: Path | None = None, espeak: str | None = None) -> None:
        self.cache_dir = cache_dir
        self.pack_dir = pack_dir
        self.espeak = espeak or shutil.which("espeak-ng")
        cache_dir.mkdir(parents=True, exist_ok=True)

    def path_for(self, key: str) -> Path:
        return self.cache_dir / f"{key}.wav"

    def render(self, ann: Announcement) -> Path | None:
        """The WAV file for `ann`, or None when neither a complete clip pack nor espeak-ng is available."""
        target = self.path_for(ann.key)
        if target.exists():
            return target
        data = self._from_pack(ann) or self._from_espeak(ann.speech)
        if data is None:
            return None
        # Write to a temp file and rename: two threads rendering the same call never serve a half-written file.
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
        return target

    def _from_pack(self, ann: Announcement) -> bytes | None:
        if self.pack_dir is None:
            return None
        paths = [self.pack_dir / f"{clip}.wav" for clip in ann.clips]
        if not all(p.exists() for p in paths):
            return None
        buf = io.BytesIO()
        with wave.open(buf, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE_HZ)
            for p in paths:
                with wave.open(str(p), "rb") as clip:
                    if (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) != (1, 2, RATE_HZ):
                        log.warning("voice pack clip %s is not 16-bit mono %s Hz; using espeak-ng", p.name, RATE_HZ)
                        return None
                    out.writeframes(clip.readframes(clip.getnframes()))
        return buf.getvalue()

    def _from_espeak(self, speech: str) -> bytes | None:
        if self.espeak is None:
            log.warning("espeak-ng not installed: announcements fall back to the browser's speech synthesis")
            return None
        # -w, not --stdout: on stdout espeak-ng cannot seek back and leaves a bogus length in the WAV header.
        with tempfile.TemporaryDirectory(dir=self.cache_dir) as tmp:
            out = Path(tmp) / "speech.wav"
            done = subprocess.run(
                [self.espeak, "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED_WPM), "-w", str(out), speech],
                capture_output=True, timeout=RENDER_TIMEOUT_S, check=False,
            )
            if done.returncode != 0 or not out.exists() or out.stat().st_size <= 44:
                log.warning("espeak-ng failed (%s): %s", done.returncode, done.stderr[:200])
                return None
            return trim_trailing_silence(out.read_bytes())


def trim_trailing_silence(data: bytes) -> bytes:
    """espeak-ng ends each sentence with ~0.35 s of silence; in a busy hall's run of announcements that is dead
    air between calls (docs/voice.md, "Schedule"). Keep TAIL_S after the last audible sample."""
    with wave.open(io.BytesIO(data)) as src:
        params = src.getparams()
        frames = src.readframes(src.getnframes())
    if params.sampwidth != 2 or params.nchannels != 1:
        return data
    samples = array.array("h", frames)
    end = len(samples)
    while end > 0 and abs(samples[end - 1]) < SILENCE_LEVEL:
        end -= 1
    keep = min(len(samples), end + int(params.framerate * TAIL_S))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(params.framerate)
        out.writeframes(samples[:keep].tobytes())
    return buf.getvalue()
