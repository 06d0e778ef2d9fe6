"""The print agent against a real server subprocess and a virtual network printer: every ticket printed exactly
once across agent and server restarts; paper out keeps the job, tells the kiosk, and prints after recovery."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.agent import AgentConfig
from kiosk.agent import PrintAgent
from kiosk.printer import PrinterConfig
from tests.kiosk.server_process import ServerProcess
from tests.virtual_printer import VirtualPrinter
from tests.virtual_printer import virtual_printer

pytestmark = pytest.mark.slow


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    proc = ServerProcess(tmp_path / "server")
    proc.instance.mkdir()
    token = proc.load_demo()
    proc.start()
    yield proc, token
    proc.stop()


@pytest.fixture
def device() -> Iterator[VirtualPrinter]:
    with virtual_printer() as printer:
        yield printer


def make_agent(server: ServerProcess, token: str, device: VirtualPrinter, state: Path) -> PrintAgent:
    return PrintAgent(AgentConfig(server=server.url, token=token, state_dir=state, wait_s=0, retry_s=0.1,
                                  printer=PrinterConfig(url=device.url, paper_mm=80)))


def issue(server: ServerProcess, token: str, service: str = "bdczy") -> dict[str, Any]:
    body = {"service": service, "id_number": "532301199001011238"} if service == "bdczy" else {"service": service}
    resp = requests.post(f"{server.url}/api/v1/halls/cxz/tickets", json=body,
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def job_status(server: ServerProcess, token: str, job_id: int) -> dict[str, Any]:
    resp = requests.get(f"{server.url}/api/v1/print-jobs/{job_id}", headers={"Authorization": f"Bearer {token}"},
                        timeout=10)
    return resp.json()  # type: ignore[no-any-return]


def numbers(jobs: list[bytes]) -> list[str]:
    """The ticket numbers printed large (GS ! 4x4, bold): not any look-alike inside the QR's random token."""
    return [m.decode() for job in jobs for m in re.findall(rb"\x1d!\x33\x1bE\x01([A-Z]{1,4}\d{1,6})\x1bE\x00", job)]


def test_agent_prints_a_ticket_with_chinese_name_materials_and_the_phone_qr(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = server
    ticket = issue(proc, token)

    make_agent(proc, token, device, tmp_path / "agent").step()
    (job,) = device.wait_for_jobs(1)

    assert ticket["number"].encode() in job
    assert "不动产转移登记".encode("gbk") in job
    assert "不动产权证书".encode("gbk") in job  # a material to bring, from the guide
    assert ticket["track_url"].encode() in job
    assert b"532301199001011238" not in job
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "printed"


def test_job_printed_once_when_the_agent_dies_between_printing_and_reporting(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = server
    ticket = issue(proc, token, "hj")
    first = make_agent(proc, token, device, tmp_path / "agent")
    (job,) = first.fetch(0)
    first.print_job(job)  # printed and journaled; the agent dies before it reports
    device.wait_for_jobs(1)

    restarted = make_agent(proc, token, device, tmp_path / "agent")
    restarted.step()
    restarted.step()

    assert job_status(proc, token, ticket["print_job_id"])["status"] == "printed"
    assert len(device.jobs) == 1


def test_claimed_but_unprinted_job_is_printed_by_the_restarted_agent(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = server
    ticket = issue(proc, token, "hj")
    make_agent(proc, token, device, tmp_path / "agent").fetch(0)  # claimed, then the agent died

    make_agent(proc, token, device, tmp_path / "agent").step()

    assert numbers(device.wait_for_jobs(1)) == [ticket["number"]]
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "printed"


def test_jobs_survive_a_server_restart_and_results_reach_the_restarted_server(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = server
    printed_before = issue(proc, token, "hj")
    queued_during = issue(proc, token, "sbk")
    agent = make_agent(proc, token, device, tmp_path / "agent")
    (job, _) = agent.fetch(0)
    agent.print_job(job)
    proc.stop()

    agent.step()  # the server is down: the result stays in the journal
    proc.start()
    agent.step()
    agent.step()

    assert sorted(numbers(device.wait_for_jobs(2))) == sorted([printed_before["number"], queued_during["number"]])
    assert len(device.jobs) == 2
    assert job_status(proc, token, printed_before["print_job_id"])["status"] == "printed"
    assert job_status(proc, token, queued_during["print_job_id"])["status"] == "printed"


def test_paper_out_keeps_the_job_tells_the_kiosk_logs_once_and_prints_after_recovery(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc, token = server
    caplog.set_level(logging.INFO, logger="kiosk.agent")
    device.paper_out = True
    ticket = issue(proc, token, "hj")
    agent = make_agent(proc, token, device, tmp_path / "agent")

    for _ in range(3):
        agent.step()
    while_out = job_status(proc, token, ticket["print_job_id"])
    device.paper_out = False
    agent.step()
    agent.step()

    assert (while_out["status"], while_out["error"]) == ("failed", "paper_out")
    assert numbers(device.wait_for_jobs(1)) == [ticket["number"]]
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "printed"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("paper_out" in m and "printer" in m for m in messages) == 1
    assert sum("is back" in m for m in messages) == 1


def test_kiosk_printer_settings_come_from_the_server_and_none_means_no_print_jobs(
    server: tuple[ServerProcess, str]
) -> None:
    from kiosk.agent import server_printer_settings

    proc, token = server
    proc.cli("kiosk", "printer", "--hall", "cxz", "--name", "一楼取号机1", "--paper", "58", "--encoding", "gb18030")

    assert server_printer_settings(proc.url, token) == {"paper_mm": 58, "encoding": "gb18030", "native_qr": True}

    proc.cli("kiosk", "printer", "--hall", "cxz", "--name", "一楼取号机1", "--none")

    assert issue(proc, token, "hj")["print_job_id"] is None
