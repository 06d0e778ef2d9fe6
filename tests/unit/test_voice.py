"""Mandarin announcement text and offline audio (display.voice, display.audio)."""

from __future__ import annotations

import array
import io
import wave
from pathlib import Path

import pytest

from display import voice
from display.audio import RATE_HZ
from display.audio import Renderer
from display.audio import chime_wav
from tests.conftest import needs_espeak


def test_ticket_a001_is_read_letter_then_digit_by_digit() -> None:
    assert voice.read_ticket("A001") == "A 零零一"


def test_ticket_b012_keeps_its_leading_zero() -> None:
    assert voice.read_ticket("B012") == "B 零一二"


@pytest.mark.parametrize(("number", "spoken"), [(3, "三"), (10, "十"), (12, "十二"), (20, "二十"), (35, "三十五"),
                                                (100, "一百"), (105, "一百零五"), (110, "一百一十")])
def test_window_numbers_are_read_as_numbers(number: int, spoken: str) -> None:
    assert voice.read_number(number) == spoken


def test_default_announcement_for_window_3() -> None:
    ann = voice.announcement("A001", 3)

    assert ann.text == "请 A001 号到 3 号窗口办理"
    assert ann.speech == "请 A 零零一 号到 三 号窗口办理"
    assert ann.repeats == 2


def test_announcement_for_window_12_reads_twelve_not_one_two() -> None:
    ann = voice.announcement("B012", 12)

    assert ann.speech == "请 B 零一二 号到 十二 号窗口办理"
    assert ann.clips == ("qing", "lb", "d0", "d1", "d2", "hao", "dao", "shi", "d2", "hao", "chuangkou", "banli")


def test_the_template_and_repeats_are_configurable_within_one_to_three() -> None:
    ann = voice.announcement("C007", 5, template="{ticket}号请到{window}号窗口", repeats=9)

    assert ann.text == "C007 号请到 5 号窗口"
    assert ann.speech == "C 零零七 号请到 五 号窗口"
    assert ann.repeats == voice.MAX_REPEATS


def test_every_announcement_carries_a_brief_reading_whatever_the_template() -> None:
    wire = voice.announcement("TB002", 24, template="{ticket}号请到{window}号窗口").to_wire()

    assert wire["brief"]["text"] == "TB002 到 24 号窗口"
    assert wire["brief"]["speech"] == "TB 零零二 到 二十四 号窗口"
    assert wire["brief"]["clips"] == ["lt", "lb", "d0", "d0", "d2", "dao", "d2", "shi", "d4", "hao", "chuangkou"]
    assert wire["brief"]["key"] == voice.speech_key("TB 零零二 到 二十四 号窗口") != wire["key"]


def test_only_calls_and_recalls_are_annotated_with_voice() -> None:
    called = {"type": "ticket.called", "ticket": {"number": "A001"}, "window": {"number": 3}}
    finished = {"type": "ticket.finished", "ticket": {"number": "A001"}, "window": {"number": 3}}

    assert voice.annotate(called)["text"] == "请 A001 号到 3 号窗口办理"  # type: ignore[index]
    assert voice.annotate({**called, "type": "ticket.recalled"}) is not None
    assert voice.annotate(finished) is None


def test_the_chime_is_a_valid_wav() -> None:
    with wave.open(io.BytesIO(chime_wav())) as w:
        assert w.getframerate() == RATE_HZ
        assert w.getnframes() > RATE_HZ // 2


@needs_espeak
def test_espeak_renders_a_valid_non_empty_wav_once_and_caches_it(tmp_path: Path) -> None:
    renderer = Renderer(tmp_path / "cache")
    ann = voice.announcement("A001", 3)

    path = renderer.render(ann)
    again = renderer.render(ann)

    assert path is not None and path == again
    with wave.open(str(path)) as w:
        frames = w.getnframes()
        assert w.getnchannels() == 1
        assert frames == (path.stat().st_size - 44) // 2  # the header's length matches the data
        assert frames / w.getframerate() > 1.0  # a real sentence, not a click


@needs_espeak
def test_espeak_audio_ends_with_the_last_word_not_with_a_pause(tmp_path: Path) -> None:
    path = Renderer(tmp_path / "cache").render(voice.announcement("A001", 3))

    assert path is not None
    with wave.open(str(path)) as w:
        samples = array.array("h", w.readframes(w.getnframes()))
        rate = w.getframerate()
    last_loud = max(i for i, v in enumerate(samples) if abs(v) >= 300)
    assert (len(samples) - last_loud) / rate <= 0.1  # espeak-ng itself leaves ~0.35 s


def test_a_complete_clip_pack_is_concatenated_instead_of_synthesised(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    ann = voice.announcement("A001", 3)
    for clip in set(ann.clips):
        with wave.open(str(pack / f"{clip}.wav"), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE_HZ)
            w.writeframes(b"\x01\x00" * 100)

    path = Renderer(tmp_path / "cache", pack_dir=pack, espeak="/nonexistent").render(ann)

    assert path is not None
    with wave.open(str(path)) as w:
        assert w.getnframes() == 100 * len(ann.clips)
