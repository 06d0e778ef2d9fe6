"""/metrics answers only to this machine or a scraper with the scrape token (issue 18 point 7), over real HTTP
against `hallq serve` listening on every address, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from queue_server.settings import is_loopback_host
from queue_server.settings import lan_address
from tests.live import LiveServer
from tests.live import start_server

TOKEN = "scrape-" + "k" * 40


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, str]]:
    lan = lan_address()
    if is_loopback_host(lan):
        pytest.skip(reason="this machine has no non-loopback address to reach the server from")
    server = start_server(database_url, tmp_path / "instance", host="0.0.0.0",
                          extra_env={"HALLQ_METRICS_TOKEN": TOKEN})
    yield server, server.url.replace("127.0.0.1", lan)
    server.stop()


def test_metrics_answer_loopback_and_the_token_and_nobody_else(served: tuple[LiveServer, str]) -> None:
    server, from_lan = served

    local = requests.get(f"{server.url}/metrics", timeout=10)
    outsider = requests.get(f"{from_lan}/metrics", timeout=10)
    wrong = requests.get(f"{from_lan}/metrics", headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"}, timeout=10)
    in_url = requests.get(f"{from_lan}/metrics?token={TOKEN}", timeout=10)
    scraper = requests.get(f"{from_lan}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    relayed = requests.get(f"{server.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)

    assert local.status_code == 200 and "hallq_tickets_waiting" in local.text
    assert (outsider.status_code, wrong.status_code, relayed.status_code) == (404,) * 3
    assert in_url.status_code == 400  # a token in an address is refused before anything else (token_in_url)
    assert "hallq_" not in outsider.text + wrong.text + in_url.text + relayed.text
    assert scraper.status_code == 200 and "hallq_tickets_waiting" in scraper.text
    assert requests.get(f"{from_lan}/healthz", timeout=10).status_code == 200  # only /metrics is closed
