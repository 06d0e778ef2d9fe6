"""The print agent against a real server subprocess and a virtual network printer: a ticket counts as printed only
when the printer took all of it and said it was ready; a job broken off mid-way comes out again whole, marked 补打;
a failure the kiosk was told about never prints later by itself; a reprint prints once on request; a cancelled
ticket never prints; the printer's states reach the manager's monitor; exactly once across agent and server
restarts; the agent's own log lines and identity."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from kiosk.agent import AgentConfig
from kiosk.agent import PrintAgent
from kiosk.agent import main as agent_main
from kiosk.agent_env import read_token
from kiosk.printer import PrinterConfig
from tests.kiosk.server_process import ROOT
from tests.kiosk.server_process import ServerProcess
from tests.virtual_printer import VirtualPrinter
from tests.virtual_printer import virtual_printer

pytestmark = pytest.mark.slow
REPRINT_MARK = "补打".encode("gbk")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    """One demo hall for the module's tests that keep the server running (each issues its own tickets)."""
    proc = ServerProcess(tmp_path_factory.mktemp("agent-demo"))
    token = proc.load_demo()
    proc.start()
    yield proc, token
    proc.stop()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    """A server of the test's own, for tests that stop and start it."""
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
                                  status_every_s=0, printer=PrinterConfig(url=device.url, paper_mm=80)))


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


def monitor(server: ServerProcess) -> dict[str, Any]:
    resp = requests.get(f"{server.url}/api/v1/halls/cxz/monitor", timeout=10,
                        headers={"Authorization": f"Bearer {server.demo_token('manager')}"})
    assert resp.status_code == 200, resp.text
    return resp.json()  # type: ignore[no-any-return]


def printer_on_monitor(server: ServerProcess) -> str | None:
    (kiosk,) = [k for k in monitor(server)["kiosks"] if k["name"] == "一楼取号机1"]
    return kiosk["printer_state"]  # type: ignore[no-any-return]


def wait_for_status(server: ServerProcess, token: str, job_id: int, status: str, timeout: float = 15) -> None:
    """Until another process (an agent run as a program) has moved the job on: there is no event to wait on
    from outside it, so look every 0.1 s."""
    deadline = time.monotonic() + timeout
    while job_status(server, token, job_id)["status"] != status:
        assert time.monotonic() < deadline, job_status(server, token, job_id)
        time.sleep(0.1)


def test_agent_prints_a_ticket_with_chinese_name_materials_and_the_phone_qr(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = demo
    ticket = issue(proc, token)

    make_agent(proc, token, device, tmp_path / "agent").step()
    (job,) = device.wait_for_jobs(1)

    assert ticket["number"].encode() in job
    assert "不动产转移登记".encode("gbk") in job
    assert "不动产权证书".encode("gbk") in job  # a material to bring, from the guide
    assert ticket["track_url"].encode() in job
    assert b"532301199001011238" not in job
    assert REPRINT_MARK not in job
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "printed"


def test_a_job_counts_as_printed_only_once_the_printer_says_it_is_ready_after_the_cut(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = demo
    ticket = issue(proc, token, "hj")
    device.hold_after_cut = threading.Event()
    agent = make_agent(proc, token, device, tmp_path / "agent")
    worker = threading.Thread(target=agent.step)
    worker.start()

    device.wait_for(lambda p: p.after_cut_queries >= 1)  # the whole job is in; the printer has not answered
    while_busy = job_status(proc, token, ticket["print_job_id"])["status"]
    device.hold_after_cut.set()
    worker.join(timeout=30)

    assert while_busy == "printing"
    assert numbers(device.jobs) == [ticket["number"]]
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "printed"


def test_a_job_broken_off_mid_way_comes_out_again_whole_marked_reprint_and_is_reported_once(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc, token = demo
    caplog.set_level(logging.INFO, logger="kiosk.agent")
    ticket = issue(proc, token, "hj")
    device.break_next_job_after(300)  # the header and the number, then the printer resets the connection

    make_agent(proc, token, device, tmp_path / "agent").step()

    (torn,) = device.torn
    (whole,) = device.jobs
    assert len(torn) == 300 and b"\x1dV" not in torn  # half a ticket: no QR, no cut
    assert REPRINT_MARK not in torn
    assert REPRINT_MARK in whole and numbers([whole]) == [ticket["number"]] and whole.endswith(b"\x1dV\x00")
    job = job_status(proc, token, ticket["print_job_id"])
    assert (job["status"], job["attempts"]) == ("printed", 2)
    assert sum("broken off mid-way" in r.getMessage() for r in caplog.records) == 1


def test_paper_out_fails_at_once_with_its_reason_and_never_prints_when_the_paper_returns(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    proc, token = demo
    caplog.set_level(logging.INFO, logger="kiosk.agent")
    device.paper_out = True
    ticket = issue(proc, token, "hj")
    agent = make_agent(proc, token, device, tmp_path / "agent")

    agent.step()
    told = job_status(proc, token, ticket["print_job_id"])
    on_monitor_while_out = printer_on_monitor(proc)
    for _ in range(3):
        agent.step()
    device.paper_out = False
    for _ in range(3):
        agent.step()

    assert (told["status"], told["error"]) == ("failed", "paper_out")
    assert on_monitor_while_out == "paper_out"
    assert device.jobs == [] and device.torn == []
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "failed"
    assert printer_on_monitor(proc) == "online"
    messages = [r.getMessage() for r in caplog.records]
    assert sum("paper_out" in m and "printer" in m for m in messages) == 1  # once, not per retry
    assert sum("is back" in m for m in messages) == 1


def test_a_reprint_on_request_prints_once_marked_reprint(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = demo
    kiosk = {"Authorization": f"Bearer {token}"}
    device.paper_out = True
    ticket = issue(proc, token, "hj")
    agent = make_agent(proc, token, device, tmp_path / "agent")
    agent.step()
    device.paper_out = False

    taps = [requests.post(f"{proc.url}/api/v1/print-jobs/{ticket['print_job_id']}/reprint", headers=kiosk,
                          timeout=10).json() for _ in range(2)]
    agent.step()
    agent.step()

    assert taps[0]["id"] == taps[1]["id"] != ticket["print_job_id"]  # a double tap is one reprint
    (paper,) = device.jobs
    assert REPRINT_MARK in paper and "补打时间".encode("gbk") in paper and numbers([paper]) == [ticket["number"]]
    assert job_status(proc, token, taps[0]["id"])["status"] == "printed"
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "failed"


def test_a_cancelled_ticket_never_prints(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = demo
    ticket = issue(proc, token, "hj")
    assert requests.post(f"{proc.url}/api/v1/track/{ticket['track_token']}/cancel", timeout=10).status_code == 200

    make_agent(proc, token, device, tmp_path / "agent").step()

    assert device.jobs == [] and device.torn == []
    assert job_status(proc, token, ticket["print_job_id"])["status"] == "cancelled"


def test_printer_states_reach_the_managers_monitor(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = demo
    agent = make_agent(proc, token, device, tmp_path / "agent")
    seq = monitor(proc)["seq"]
    seen = []
    for change in ("paper_low", "cover_open", "unplug", "plug_in"):
        if change == "unplug":
            device.unplug()
        elif change == "plug_in":
            device.plug_in()
            device.cover_open = device.paper_low = False
        else:
            setattr(device, change, True)
        agent.step()
        seen.append(printer_on_monitor(proc))

    assert seen == ["paper_low", "cover_open", "offline", "online"]
    events = requests.get(f"{proc.url}/api/v1/halls/cxz/events?after={seq}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).json()
    changes = [e["state"] for e in events if e["type"] == "kiosk.printer_changed"]
    assert changes == ["paper_low", "cover_open", "offline", "online"]


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


def test_an_agent_that_died_while_sending_reports_it_and_prints_nothing_more(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = server
    ticket = issue(proc, token, "hj")
    first = make_agent(proc, token, device, tmp_path / "agent")
    first.fetch(0)
    first.journal.note(ticket["print_job_id"], "sending", 1)  # what the journal holds while bytes go out

    restarted = make_agent(proc, token, device, tmp_path / "agent")
    restarted.step()

    job = job_status(proc, token, ticket["print_job_id"])
    assert (job["status"], job["error"]) == ("failed", "interrupted")  # the kiosk says so; 补打 on request
    assert device.jobs == []


def test_jobs_survive_a_server_restart_and_results_reach_the_restarted_server(
    server: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = server
    printed_before = issue(proc, token, "hj")
    agent = make_agent(proc, token, device, tmp_path / "agent")
    (job,) = agent.fetch(0)
    agent.print_job(job)
    proc.stop()

    agent.step()  # the server is down: the result stays in the journal
    proc.start()
    queued_after = issue(proc, token, "sbk")
    agent.step()
    agent.step()

    assert sorted(numbers(device.wait_for_jobs(2))) == sorted([printed_before["number"], queued_after["number"]])
    assert len(device.jobs) == 2
    assert job_status(proc, token, printed_before["print_job_id"])["status"] == "printed"
    assert job_status(proc, token, queued_after["print_job_id"])["status"] == "printed"


def test_bad_query_parameters_on_the_print_job_routes_answer_422_at_once(demo: tuple[ServerProcess, str]) -> None:
    proc, token = demo
    kiosk = {"Authorization": f"Bearer {token}"}

    for query in ("wait=nan", "wait=NaN", "wait=infinity", "wait=-0.5", "wait=1e9", "agent=%00"):
        resp = requests.get(f"{proc.url}/api/v1/print-jobs?{query}", headers=kiosk, timeout=5)
        assert resp.status_code == 422, (query, resp.text)
        assert resp.headers["Content-Type"].startswith("application/problem+json")
        # The control character is refused by the input guard, which names a query parameter "query.<name>".
        assert resp.json()["errors"][0]["field"] in (query.split("=")[0], "query." + query.split("=")[0])


def test_kiosk_printer_settings_come_from_the_server_and_none_means_no_print_jobs(
    server: tuple[ServerProcess, str]
) -> None:
    from kiosk.agent import server_printer_settings

    proc, token = server
    proc.cli("kiosk", "printer", "--hall", "cxz", "--name", "一楼取号机1", "--paper", "58", "--encoding", "gb18030")

    assert server_printer_settings(proc.url, token) == {"paper_mm": 58, "encoding": "gb18030", "native_qr": True}

    proc.cli("kiosk", "printer", "--hall", "cxz", "--name", "一楼取号机1", "--none")

    assert issue(proc, token, "hj")["print_job_id"] is None


# -- the agent as a process: its log and its identity ---------------------------------------------------------

STARTED = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) INFO kiosk\.agent: print agent (agent-[0-9a-f]{12}):")


def run_agent_until_started(proc: ServerProcess, token: str, device: VirtualPrinter, cwd: Path, home: Path,
                            *extra: str) -> tuple[str, list[str]]:
    """Start `hallq-print-agent` as a process from `cwd`, wait for its start line on stderr, stop it; return the
    start line and what it logged."""
    env = {k: v for k, v in os.environ.items() if k not in ("HALLQ_AGENT_STATE", "STATE_DIRECTORY",
                                                            "XDG_STATE_HOME")}
    env.update({"HOME": str(home), "PYTHONPATH": str(ROOT)})
    # A short long-poll: the server would otherwise hold the killed agent's last fetch (and its own stop) 20 s.
    agent = subprocess.Popen([sys.executable, "-m", "kiosk.agent", "--server", proc.url, "--token", token,
                              "--printer", device.url, "--long-poll", "1", *extra], cwd=cwd, env=env,
                             stderr=subprocess.PIPE, text=True, encoding="utf-8")
    lines: list[str] = []
    try:
        assert agent.stderr is not None
        for line in agent.stderr:  # blocks on the process's own output: no polling
            lines.append(line.rstrip("\n"))
            if STARTED.match(lines[-1]) or "print agent" in lines[-1]:
                break
    finally:
        agent.terminate()
        agent.wait(timeout=10)
        if agent.stderr is not None:
            agent.stderr.close()
    return (lines[-1] if lines else ""), lines


def test_the_agent_logs_its_own_lines_with_timestamps_and_keeps_one_identity_from_any_folder(
    demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path
) -> None:
    proc, token = demo
    home, first_cwd, second_cwd = tmp_path / "home", tmp_path / "a", tmp_path / "b"
    for folder in (home, first_cwd, second_cwd):
        folder.mkdir()

    first, logged = run_agent_until_started(proc, token, device, first_cwd, home)
    second, _ = run_agent_until_started(proc, token, device, second_cwd, home)

    started = STARTED.match(first)
    assert started, first  # python-escpos's basicConfig() at import no longer swallows the agent's INFO lines
    assert STARTED.match(second) and STARTED.match(second).group(2) == started.group(2)  # type: ignore[union-attr]
    assert (home / ".local/state/hallq-print-agent/print-agent.json").is_file()
    assert not any(first_cwd.iterdir()) and not any(second_cwd.iterdir())  # nothing left in the working folder
    # --token still works, but the agent says the token shows in `ps` and what to use instead
    assert any("WARNING" in line and "--token-file" in line for line in logged), logged


def test_the_agent_reads_its_token_from_a_private_file_and_logs_to_a_file(
        demo: tuple[ServerProcess, str], device: VirtualPrinter, tmp_path: Path) -> None:
    proc, token = demo
    log_file, token_file = tmp_path / "agent.log", tmp_path / "kiosk-token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    agent = subprocess.Popen([sys.executable, "-m", "kiosk.agent", "--server", proc.url,
                              "--token-file", str(token_file), "--printer", device.url,
                              "--state-dir", str(tmp_path / "state"),
                              "--log-file", str(log_file), "--long-poll", "1"], cwd=tmp_path,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
    ticket = issue(proc, token, "hj")
    try:
        wait_for_status(proc, token, ticket["print_job_id"], "printed")
    finally:
        agent.terminate()
        _, stderr = agent.communicate(timeout=10)

    lines = log_file.read_text(encoding="utf-8").splitlines()
    assert stderr == ""
    assert STARTED.match(lines[0]), lines  # no warning: the token is on no command line
    assert token not in " ".join(agent.args)
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", line) for line in lines), lines
    assert any(f"print job {ticket['print_job_id']} ({ticket['number']}) printed" in line for line in lines), lines
    assert numbers(device.jobs) == [ticket["number"]]


def test_the_agent_refuses_a_token_file_other_users_can_read(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    token_file = tmp_path / "kiosk-token"
    token_file.write_text("hq_secret")
    token_file.chmod(0o644)

    code = agent_main(["--printer", "dummy://", "--token-file", str(token_file)])

    assert code == 2
    assert "chmod 600" in capsys.readouterr().err


def test_the_agent_takes_its_token_from_the_environment(demo: tuple[ServerProcess, str], device: VirtualPrinter,
                                                        tmp_path: Path) -> None:
    """HALLQ_KIOSK_TOKEN alone: the server accepts it (the printer settings are read with it before the start
    line) and nothing warns about a token on the command line."""
    proc, token = demo
    agent = subprocess.Popen([sys.executable, "-m", "kiosk.agent", "--server", proc.url, "--printer", device.url,
                              "--state-dir", str(tmp_path / "state"), "--long-poll", "1", "--log-level", "DEBUG"],
                             cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "HALLQ_KIOSK_TOKEN": token},
                             stderr=subprocess.PIPE, text=True, encoding="utf-8")
    lines: list[str] = []
    try:
        assert agent.stderr is not None
        for line in agent.stderr:  # blocks on the agent's own output: no polling
            lines.append(line.rstrip("\n"))
            if STARTED.match(lines[-1]):
                break
    finally:
        agent.terminate()
        agent.wait(timeout=10)
        if agent.stderr is not None:
            agent.stderr.close()

    assert lines and STARTED.match(lines[-1]), lines
    assert not any("printer settings" in line or "--token-file" in line for line in lines), lines
    assert token not in " ".join(str(a) for a in agent.args)


def test_the_agent_takes_its_token_from_the_systemd_credential(tmp_path: Path) -> None:
    """What the shipped unit's LoadCredential=kiosk-token:/etc/hallq/kiosk-token provides (mode 0400)."""
    (tmp_path / "kiosk-token").write_text("hq_from_systemd\n")
    (tmp_path / "kiosk-token").chmod(0o400)

    assert read_token(None, None, {"CREDENTIALS_DIRECTORY": str(tmp_path)}) == "hq_from_systemd"
