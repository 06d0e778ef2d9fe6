"""Printing a ticket to a (virtual) network ESC/POS printer on TCP 9100 and reading back what it received."""

from __future__ import annotations

import re
import socket
from datetime import datetime

import pytest

from kiosk import layout
from kiosk import printer
from kiosk import raster
from kiosk.encoder import Encoding
from kiosk.layout import TicketData
from kiosk.printer import PrinterConfig
from kiosk.printer import PrinterStatus
from tests.virtual_printer import virtual_printer

QR_STORE = b"\x1d(k"  # GS ( k: native QR
RASTER = b"\x1dv0"  # GS v 0: raster image
CUT = b"\x1dV"  # GS V: cut


def ticket(service_name: str = "不动产转移登记") -> layout.TicketLayout:
    return layout.ticket_layout(TicketData(
        hall_name="楚雄州政务服务中心", service_name=service_name, number="F013", ahead=2, estimated_wait_s=600,
        issued_at=datetime(2026, 3, 2, 9, 5), track_url="http://hall.example/t/abc123",
        materials=("不动产权证书原件", "身份证原件"),
    ), 80)


def hanzi(data: bytes, codec: str = "gbk") -> list[str]:
    """The Chinese text a printer in 汉字 mode shows: every FS & ... FS . run, decoded."""
    return [m.decode(codec) for m in re.findall(rb"\x1c&(.*?)\x1c\.", data, re.S)]


def test_printed_ticket_carries_number_chinese_service_name_qr_and_cut() -> None:
    with virtual_printer() as device:
        printer.print_layout(ticket(), PrinterConfig(url=device.url))
        (job,) = device.wait_for_jobs(1)

    assert b"F013" in job
    assert "不动产转移登记" in hanzi(job)
    assert QR_STORE in job and b"http://hall.example/t/abc123" in job
    assert job.endswith(CUT + b"\x00")  # feed, then full cut, last
    assert RASTER not in job


def test_printer_reporting_paper_out_gets_no_bytes_and_the_print_fails_with_paper_out() -> None:
    with virtual_printer() as device:
        device.paper_out = True

        assert printer.status(device.url) is PrinterStatus.PAPER_OUT
        with pytest.raises(printer.PrintError) as failed:
            printer.print_layout(ticket(), PrinterConfig(url=device.url))

        assert failed.value.code == "paper_out"
        assert device.jobs == []


def test_printer_that_is_not_there_fails_as_offline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"  # nothing listens there any more

    assert printer.status(url) is PrinterStatus.OFFLINE
    with pytest.raises(printer.PrintError) as failed:
        printer.print_layout(ticket(), PrinterConfig(url=url))
    assert failed.value.code == "printer_offline"


def test_online_printer_with_paper_reports_online() -> None:
    with virtual_printer() as device:
        assert printer.status(device.url) is PrinterStatus.ONLINE


@pytest.mark.parametrize(("flag", "state"), [("paper_low", PrinterStatus.PAPER_LOW),
                                             ("cover_open", PrinterStatus.COVER_OPEN),
                                             ("offline", PrinterStatus.OFFLINE)])
def test_the_printers_states_are_read_from_dle_eot_1_2_and_4(flag: str, state: PrinterStatus) -> None:
    with virtual_printer() as device:
        setattr(device, flag, True)

        assert printer.status(device.url) is state


def test_paper_low_still_prints_but_an_open_cover_gets_no_bytes() -> None:
    with virtual_printer() as device:
        device.paper_low = True
        printer.print_layout(ticket(), PrinterConfig(url=device.url))
        device.paper_low, device.cover_open = False, True
        with pytest.raises(printer.PrintError) as failed:
            printer.print_layout(ticket(), PrinterConfig(url=device.url))

        assert len(device.jobs) == 1 and device.torn == []
        assert failed.value.code == "cover_open" and not failed.value.sent


def test_sending_returns_only_once_the_printer_answers_ready_after_the_cut() -> None:
    with virtual_printer() as device:
        state = printer.send(device.url, printer.render(ticket(), PrinterConfig()).data)

        assert state is PrinterStatus.ONLINE
        assert device.after_cut_queries >= 1  # asked on the same connection, after every byte of the job
        assert len(device.jobs) == 1


def test_a_job_broken_off_mid_way_is_an_interruption_not_a_print() -> None:
    with virtual_printer() as device:
        device.break_next_job_after(200)
        with pytest.raises(printer.PrintError) as failed:
            printer.print_layout(ticket(), PrinterConfig(url=device.url))

        assert failed.value.code == "interrupted" and failed.value.sent
        assert device.jobs == [] and len(device.torn[0]) == 200


def test_a_printer_that_takes_the_job_but_never_says_ready_is_an_interruption() -> None:
    with virtual_printer() as device:
        device.answer_after_cut = False
        with pytest.raises(printer.PrintError) as failed:
            printer.print_layout(ticket(), PrinterConfig(url=device.url), timeout=0.5)

        assert failed.value.code == "interrupted"


def test_a_printer_that_never_answers_dle_eot_counts_as_printed_once_the_bytes_are_out() -> None:
    with virtual_printer() as device:
        device.answers_status = False

        assert printer.send(device.url, printer.render(ticket(), PrinterConfig()).data,
                            timeout=0.5) is PrinterStatus.UNKNOWN
        assert len(device.wait_for_jobs(1)) == 1


def test_a_printer_gone_from_the_network_is_offline_and_back_when_plugged_in() -> None:
    with virtual_printer() as device:
        device.unplug()
        gone = printer.status(device.url)
        device.plug_in()

        assert gone is PrinterStatus.OFFLINE
        assert printer.status(device.url) is PrinterStatus.ONLINE


def test_name_character_outside_gbk_sends_the_whole_ticket_as_one_image() -> None:
    with virtual_printer() as device:
        done = printer.print_layout(ticket("王䶮的不动产登记"), PrinterConfig(url=device.url))
        (job,) = device.wait_for_jobs(1)

    assert done.image_mode and done.missing == ("䶮",)
    assert RASTER in job
    assert b"\x1c&" not in job  # no text-mode junk


def test_gb18030_printer_prints_the_rare_character_as_text() -> None:
    done = printer.render(ticket("王䶮的不动产登记"), PrinterConfig(encoding=Encoding.GB18030))

    assert not done.image_mode
    assert "王䶮的不动产登记" in hanzi(done.data, "gb18030")


def test_printer_without_native_qr_gets_the_qr_as_a_raster_image() -> None:
    done = printer.render(ticket(), PrinterConfig(native_qr=False))

    assert QR_STORE not in done.data
    assert RASTER in done.data


def test_qualification_page_prints_tricky_characters_as_text_and_only_the_rare_one_as_image() -> None:
    done = printer.render(layout.qualification_page(58), PrinterConfig(paper_mm=58), line_images=True)
    text = "".join(hanzi(done.data))

    assert "收费：￥" in text and "《中华人民共和国行政许可法》" in text and "、，。" in text and "“引号”" in text
    assert "䶮" not in text
    assert done.data.count(RASTER) == 1


def test_preview_image_is_as_wide_as_the_paper_prints() -> None:
    assert raster.render(ticket()).width == 576
    assert raster.render(layout.ticket_layout(TicketData(
        hall_name="厅", service_name="事项", number="A001", ahead=0, estimated_wait_s=0,
        issued_at=datetime(2026, 3, 2, 9, 0), track_url="http://x/t/1"), 58)).width == 384


def test_unknown_printer_url_fails_as_a_printer_error_not_a_crash() -> None:
    with pytest.raises(printer.PrintError) as failed:
        printer.print_layout(ticket(), PrinterConfig(url="lpt://1"))

    assert failed.value.code == "printer_error"
