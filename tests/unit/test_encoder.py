"""Golden bytes of the Chinese ESC/POS encoder, per encoding: what a GBK, GB18030 or Big5 printer receives."""

from __future__ import annotations

import pytest

from kiosk import encoder
from kiosk.encoder import Encoding

ON = "1c 26"
OFF = "1c 2e"


def hexes(data: bytes) -> str:
    return data.hex(" ")


def test_gbk_text_wraps_chinese_runs_in_hanzi_mode_and_prints_yen_as_fullwidth() -> None:
    data = encoder.encode_text("收费¥5《办事指南》、，。“是”", Encoding.GBK)

    assert hexes(data) == (
        f"{ON} ca d5 b7 d1 a3 a4 {OFF} 35 "
        f"{ON} a1 b6 b0 ec ca c2 d6 b8 c4 cf a1 b7 a1 a2 a3 ac a1 a3 a1 b0 ca c7 a1 b1 {OFF}"
    )


def test_gb18030_gives_the_same_two_byte_codes_as_gbk_for_common_text() -> None:
    assert encoder.encode_text("收费¥5", Encoding.GB18030) == encoder.encode_text("收费¥5", Encoding.GBK)


def test_gb18030_encodes_a_rare_name_character_that_gbk_lacks() -> None:
    assert hexes(encoder.encode_text("王䶮", Encoding.GB18030)) == f"{ON} cd f5 fe 9f {OFF}"


def test_big5_encodes_traditional_text_and_fullwidth_punctuation() -> None:
    data = encoder.encode_text("收費¥5《辦事指南》、，。“是”", Encoding.BIG5)

    assert hexes(data) == (
        f"{ON} a6 ac b6 4f a2 44 {OFF} 35 "
        f"{ON} a1 6d bf ec a8 c6 ab fc ab 6e a1 6e a1 42 a1 41 a1 43 a1 a7 ac 4f a1 a8 {OFF}"
    )


def test_ascii_only_text_is_sent_without_hanzi_mode() -> None:
    assert encoder.encode_text("A001 09:30", Encoding.GBK) == b"A001 09:30"


def test_gs_exclamation_sets_width_and_height_multipliers() -> None:
    assert encoder.size(1, 1) == b"\x1d!\x00"
    assert encoder.size(2, 2) == b"\x1d!\x11"
    assert encoder.size(4, 3) == b"\x1d!\x32"
    with pytest.raises(ValueError):
        encoder.size(9, 1)


def test_a_line_sets_alignment_bold_and_size_then_resets_them() -> None:
    data = encoder.encode_line("A001", align="center", bold=True, width=3, height=3)

    assert data == b"\x1ba\x01" + b"\x1d!\x22" + b"\x1bE\x01" + b"A001" + b"\x1bE\x00" + b"\x1d!\x00" + b"\n"


def test_rare_name_character_outside_gbk_is_reported_not_printed_as_junk() -> None:
    with pytest.raises(encoder.Unencodable) as refused:
        encoder.encode_text("申请人：王䶮", Encoding.GBK)

    assert refused.value.chars == ["䶮"]


def test_simplified_characters_are_unencodable_on_a_big5_printer() -> None:
    assert encoder.unencodable("不动产登记", Encoding.BIG5) == ["动", "产", "记"]
