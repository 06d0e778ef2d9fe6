"""`hallq-print-agent --test-page`: the on-site qualification page reaches the printer; a missing printer says so."""

from __future__ import annotations

import re

import pytest

from kiosk import agent
from tests.virtual_printer import virtual_printer


def test_test_page_prints_the_ruler_and_tricky_characters_on_58mm_paper(capsys: pytest.CaptureFixture[str]) -> None:
    with virtual_printer() as device:
        code = agent.main(["--printer", device.url, "--paper", "58", "--test-page"])
        (job,) = device.wait_for_jobs(1)

    text = "".join(m.decode("gbk") for m in re.findall(rb"\x1c&(.*?)\x1c\.", job, re.S))
    assert code == 0
    assert b"12345678901234567890123456789012\n" in job
    assert "《中华人民共和国行政许可法》" in text and "￥" in text
    assert b"\x1dv0" in job  # the rare character's line, as an image
    assert "测试页已发送" in capsys.readouterr().err


def test_test_page_to_a_printer_with_no_paper_fails_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    with virtual_printer() as device:
        device.paper_out = True
        code = agent.main(["--printer", device.url, "--test-page"])

    assert code == 1
    assert "paper_out" in capsys.readouterr().err


def test_agent_without_a_token_refuses_to_start(capsys: pytest.CaptureFixture[str]) -> None:
    assert agent.main(["--printer", "dummy://", "--token", ""]) == 2
