"""window_label: the one way a window is named to people ("3号 综合窗口")."""

from __future__ import annotations

from queue_server.storage.models import window_label


def test_the_number_comes_first_because_names_repeat() -> None:
    assert window_label(3, "综合窗口") == "3号 综合窗口"
    assert window_label(23, "公共资源交易窗口") == "23号 公共资源交易窗口"


def test_a_name_that_already_carries_its_number_is_not_doubled() -> None:
    assert window_label(3, "3号窗口") == "3号窗口"
    assert window_label(13, "3号窗口") == "13号 3号窗口"  # another window's number is part of the name


def test_a_window_without_a_name_is_its_number() -> None:
    assert window_label(7, "") == "7号窗口"
