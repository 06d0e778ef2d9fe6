"""Print jobs over the API: a kiosk issue queues one with a deadline, the agent claims it once while there is time
to print it, and reports it; a failure is final and so is the deadline (the kiosk said 打印失败 then); a reprint
(补打) is a new job on request; a cancelled ticket never prints; bad query parameters are 422."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from queue_server.clock import FrozenClock
from queue_server.storage.models import Device
from queue_server.storage.store import Store
from tests import factories
from tests.conftest import Recorder
from tests.factories import bearer


@pytest.fixture
def hall(app: Any, clock: FrozenClock) -> factories.BasicHall:
    store: Store = app.extensions["hallq"].store
    basic = factories.basic_hall(store, clock)
    with store.transaction() as s:
        kiosk = s.scalar(select(Device).where(Device.name == "kiosk-1"))
        assert kiosk is not None
        kiosk.printer = {"paper_mm": 58, "encoding": "gbk", "native_qr": True}
    return basic


def issue(client: Any, token: str) -> dict[str, Any]:
    resp = client.post("/api/v1/halls/t1/tickets", json={"service": "a"}, headers=bearer(token))
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


def fetch(client: Any, token: str, agent: str = "agent-1") -> list[dict[str, Any]]:
    resp = client.get(f"/api/v1/print-jobs?agent={agent}", headers=bearer(token))
    assert resp.status_code == 200, resp.json
    return resp.json  # type: ignore[no-any-return]


def report(client: Any, token: str, job_id: int, **result: str) -> Any:
    return client.post(f"/api/v1/print-jobs/{job_id}/result", json=result, headers=bearer(token))


def test_kiosk_issue_queues_a_print_job_with_what_the_paper_needs(
    client: Any, hall: factories.BasicHall, published: Recorder
) -> None:
    ticket = issue(client, hall.kiosk)

    (job,) = fetch(client, hall.kiosk)

    assert ticket["print_job_id"] == job["id"]
    assert "print_job.queued" in published.types()
    assert job["number"] == "A001" and job["status"] == "printing" and job["attempts"] == 1
    assert job["track_url"] == ticket["track_url"]
    assert job["hall_name"] == "测试大厅t1" and job["issued_local"] == "2026-03-02 09:00"


def test_staff_issue_and_kiosk_without_printer_queue_nothing(client: Any, app: Any, clock: FrozenClock) -> None:
    basic = factories.basic_hall(app.extensions["hallq"].store, clock)  # kiosk-1 has no printer here

    assert issue(client, basic.kiosk)["print_job_id"] is None
    assert issue(client, basic.staff1)["print_job_id"] is None


def test_a_claimed_job_goes_to_no_other_agent_but_back_to_its_own_after_a_restart(
    client: Any, hall: factories.BasicHall
) -> None:
    issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk, "agent-1")

    assert fetch(client, hall.kiosk, "agent-2") == []
    assert [j["id"] for j in fetch(client, hall.kiosk, "agent-1")] == [job["id"]]


def test_printed_job_is_reported_once_and_never_handed_out_again(
    client: Any, hall: factories.BasicHall, published: Recorder
) -> None:
    issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk)

    first = report(client, hall.kiosk, job["id"], status="printed")
    again = report(client, hall.kiosk, job["id"], status="printed")

    assert first.status_code == again.status_code == 200
    assert first.json["status"] == "printed"
    assert published.types().count("print_job.printed") == 1
    assert fetch(client, hall.kiosk) == []


def test_paper_out_is_final_and_the_job_is_never_handed_out_again(
    client: Any, hall: factories.BasicHall, published: Recorder
) -> None:
    ticket = issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk)

    report(client, hall.kiosk, job["id"], status="failed", error="paper_out")
    seen_by_kiosk = client.get(f"/api/v1/print-jobs/{ticket['print_job_id']}", headers=bearer(hall.kiosk)).json

    assert (seen_by_kiosk["status"], seen_by_kiosk["error"]) == ("failed", "paper_out")
    assert "print_job.failed" in published.types()
    assert fetch(client, hall.kiosk) == []  # the paper comes back: still nothing prints by itself


def test_the_job_and_the_kiosk_share_one_deadline_and_the_agent_is_told_its_time(
    client: Any, hall: factories.BasicHall, clock: FrozenClock
) -> None:
    ticket = issue(client, hall.kiosk)
    clock.advance(seconds=3)

    (job,) = fetch(client, hall.kiosk)

    assert ticket["print_deadline_s"] == 20
    assert job["deadline_in_s"] == 17
    assert job["print_within_s"] == 16  # a second to spare for the report


def test_a_job_not_claimed_while_there_was_time_to_print_it_expires_and_never_prints(
    client: Any, hall: factories.BasicHall, clock: FrozenClock, published: Recorder
) -> None:
    ticket = issue(client, hall.kiosk)
    clock.advance(seconds=14, milliseconds=1)  # six seconds before the kiosk says 打印失败: too late to start

    assert fetch(client, hall.kiosk) == []
    assert client.get(f"/api/v1/print-jobs/{ticket['print_job_id']}", headers=bearer(hall.kiosk)).json[
        "status"] == "expired"
    assert "print_job.expired" in published.types()
    clock.advance(minutes=5)
    assert fetch(client, hall.kiosk) == []


def test_the_agents_own_claim_comes_back_after_a_restart_only_while_there_is_time(
    client: Any, hall: factories.BasicHall, clock: FrozenClock
) -> None:
    issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk, "agent-1")
    clock.advance(seconds=5)
    (again,) = fetch(client, hall.kiosk, "agent-1")
    clock.advance(seconds=10)

    assert again["id"] == job["id"]
    assert fetch(client, hall.kiosk, "agent-1") == []


def test_a_late_printed_report_is_recorded_because_the_paper_exists(
    client: Any, hall: factories.BasicHall, clock: FrozenClock
) -> None:
    issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk)
    clock.advance(seconds=25)
    fetch(client, hall.kiosk)  # the deadline passed: the server ends the job

    late_failure = report(client, hall.kiosk, job["id"], status="failed", error="interrupted")
    late_print = report(client, hall.kiosk, job["id"], status="printed", sends=2)

    assert late_failure.status_code == 200 and late_failure.json["status"] == "expired"
    assert late_print.json["status"] == "printed" and late_print.json["attempts"] == 2


def test_a_cancelled_ticket_never_prints(client: Any, hall: factories.BasicHall, published: Recorder) -> None:
    ticket = issue(client, hall.kiosk)

    cancelled = client.post(f"/api/v1/track/{ticket['track_token']}/cancel")

    assert cancelled.status_code == 200
    assert fetch(client, hall.kiosk) == []
    job = client.get(f"/api/v1/print-jobs/{ticket['print_job_id']}", headers=bearer(hall.kiosk)).json
    assert job["status"] == "cancelled"
    assert "print_job.cancelled" in published.types()
    refused = client.post(f"/api/v1/print-jobs/{ticket['print_job_id']}/reprint", headers=bearer(hall.kiosk))
    assert (refused.status_code, refused.json["code"]) == (409, "reprint_not_allowed")


def test_reprint_on_request_is_a_new_job_marked_reprint_and_a_double_tap_prints_once(
    client: Any, hall: factories.BasicHall, published: Recorder
) -> None:
    ticket = issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk)
    report(client, hall.kiosk, job["id"], status="failed", error="paper_out")

    first = client.post(f"/api/v1/print-jobs/{job['id']}/reprint", headers=bearer(hall.kiosk))
    tapped_again = client.post(f"/api/v1/print-jobs/{job['id']}/reprint", headers=bearer(hall.kiosk))
    (claimed,) = fetch(client, hall.kiosk)

    assert first.status_code == 200
    assert first.json["id"] != job["id"] and first.json["reprint"] is True
    assert first.json["number"] == ticket["number"] and first.json["reprinted_local"] == "2026-03-02 09:00"
    assert tapped_again.json["id"] == first.json["id"]
    assert claimed["id"] == first.json["id"] and claimed["reprint"] is True
    assert claimed["track_url"] == ticket["track_url"]


def test_the_citizen_and_a_clerk_can_ask_for_a_reprint_a_limited_number_of_times(
    client: Any, hall: factories.BasicHall
) -> None:
    ticket = issue(client, hall.kiosk)
    (job,) = fetch(client, hall.kiosk)
    report(client, hall.kiosk, job["id"], status="printed")
    token = ticket["track_token"]

    before = client.get(f"/api/v1/track/{token}").json["print_job"]
    by_phone = client.post(f"/api/v1/track/{token}/reprint")
    (phone_job,) = fetch(client, hall.kiosk)
    report(client, hall.kiosk, phone_job["id"], status="printed")
    by_clerk = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", headers=bearer(hall.staff1))
    (clerk_job,) = fetch(client, hall.kiosk)
    report(client, hall.kiosk, clerk_job["id"], status="printed")
    third = client.post(f"/api/v1/track/{token}/reprint")
    (third_job,) = fetch(client, hall.kiosk)
    report(client, hall.kiosk, third_job["id"], status="printed")
    fourth = client.post(f"/api/v1/track/{token}/reprint")

    assert before == {"status": "printed", "error": None, "reprint": False, "kiosk": "kiosk-1",
                      "deadline_in_s": 20, "reprints_left": 3}
    assert by_phone.status_code == 200 and by_phone.json["print_job"]["status"] == "queued"
    assert by_clerk.status_code == 200 and by_clerk.json["reprint"] is True and by_clerk.json["track_url"] is None
    assert third.json["print_job"]["reprints_left"] == 0
    assert (fourth.status_code, fourth.json["code"]) == (409, "reprint_limit_reached")
    assert "3" in fourth.json["detail"]


def test_a_ticket_that_never_had_a_printer_cannot_be_reprinted(
    client: Any, hall: factories.BasicHall
) -> None:
    ticket = issue(client, hall.staff1)

    refused = client.post(f"/api/v1/tickets/{ticket['id']}/reprint", headers=bearer(hall.staff1))

    assert (refused.status_code, refused.json["code"]) == (409, "no_ticket_printer")
    assert client.get(f"/api/v1/track/{ticket['track_token']}").json["print_job"] is None


@pytest.mark.parametrize("query", ["wait=nan", "wait=inf", "wait=-1", "wait=26", "wait=soon", "agent=a%20b",
                                   "agent=" + "x" * 65])
def test_bad_query_parameters_of_the_agents_fetch_are_422_at_once(
    client: Any, hall: factories.BasicHall, query: str
) -> None:
    resp = client.get(f"/api/v1/print-jobs?{query}", headers=bearer(hall.kiosk))

    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert resp.json["code"] == "invalid_request"
    assert resp.json["errors"][0]["field"] == query.split("=")[0]


def test_reporting_a_job_that_was_never_claimed_is_refused(client: Any, hall: factories.BasicHall) -> None:
    ticket = issue(client, hall.kiosk)

    resp = report(client, hall.kiosk, ticket["print_job_id"], status="failed", error="paper_out")

    assert resp.status_code == 409
    assert resp.json["code"] == "print_job_not_claimed"


def test_only_kiosks_fetch_print_jobs_and_staff_see_no_track_url(client: Any, hall: factories.BasicHall) -> None:
    ticket = issue(client, hall.kiosk)

    refused = client.get("/api/v1/print-jobs", headers=bearer(hall.staff1))
    as_staff = client.get(f"/api/v1/print-jobs/{ticket['print_job_id']}", headers=bearer(hall.staff1))

    assert refused.status_code == 403
    assert as_staff.status_code == 200 and as_staff.json["track_url"] is None


def test_printer_state_change_is_one_event_for_the_manager(
    client: Any, hall: factories.BasicHall, published: Recorder
) -> None:
    for state in ("paper_out", "paper_out", "online"):
        resp = client.post("/api/v1/kiosks/me/printer-status", json={"state": state}, headers=bearer(hall.kiosk))
        assert resp.status_code == 200

    changes = [e.data["state"] for e in published.envelopes if e.type == "kiosk.printer_changed"]
    assert changes == ["paper_out", "online"]
    assert client.get("/api/v1/kiosks/me", headers=bearer(hall.kiosk)).json["printer_state"] == "online"


def test_guide_findings_are_for_managers(client: Any, app: Any, hall: factories.BasicHall) -> None:
    from queue_server.catalogue import index
    from queue_server.demo import guides

    with app.extensions["hallq"].store.transaction() as s:
        index.import_guides(s, guides.guides())

    refused = client.get("/api/v1/halls/t1/guide-findings", headers=bearer(hall.kiosk))
    found = client.get("/api/v1/halls/t1/guide-findings", headers=bearer(hall.manager)).json
    one = client.get("/api/v1/halls/t1/guides/530000-jzz/findings", headers=bearer(hall.manager)).json
    public = client.get("/api/v1/halls/t1/guides?q=bdcdj")

    assert refused.status_code == 403
    assert "530000-jzz" in {g["code"] for g in found}
    assert one[0]["rule"] == 1
    assert public.status_code == 200 and public.json[0]["name"].startswith("不动产")


def test_housekeeping_expires_jobs_of_a_kiosk_whose_agent_is_gone(
    client: Any, app: Any, hall: factories.BasicHall, clock: FrozenClock, published: Recorder
) -> None:
    from queue_server import engine

    ticket = issue(client, hall.kiosk)
    clock.advance(seconds=20)

    expired = app.extensions["hallq"].runtime.execute(engine.expire_print_jobs, hall="t1").value

    assert expired == 1
    assert client.get(f"/api/v1/print-jobs/{ticket['print_job_id']}", headers=bearer(hall.kiosk)).json[
        "status"] == "expired"
    assert published.types()[-1] == "print_job.expired"


def test_a_waiting_agent_gets_a_job_issued_while_it_long_polls(
    client: Any, app: Any, hall: factories.BasicHall
) -> None:
    import threading
    import time

    got: list[Any] = []

    def long_poll() -> None:
        started = time.monotonic()
        resp = app.test_client().get("/api/v1/print-jobs?wait=20&agent=a1", headers=bearer(hall.kiosk))
        got.append((resp.json, time.monotonic() - started))

    poller = threading.Thread(target=long_poll)
    poller.start()
    ticket = issue(client, hall.kiosk)
    poller.join(timeout=25)

    (jobs, elapsed), = got
    assert [j["id"] for j in jobs] == [ticket["print_job_id"]]
    assert elapsed < 20  # answered when the job came, not at the end of the wait
