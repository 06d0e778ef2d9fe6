"""A kiosk page that fails shows the citizen a kiosk page in plain Chinese with a way home; the same failure asked
for by a script (fetch, curl, an API client) stays problem+json. Through Flask's client on a real database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc as sa_exc

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def add_failing_pages(app: Any) -> None:
    def boom(hall: str) -> str:
        raise RuntimeError("a bug")

    def database_down(hall: str) -> str:
        raise sa_exc.DisconnectionError("the database restarts")

    app.add_url_rule("/kiosk/<hall>/boom", "kiosk_boom_test", boom)
    app.add_url_rule("/kiosk/<hall>/db-down", "kiosk_db_down_test", database_down)


def test_a_server_error_on_a_kiosk_page_is_a_kiosk_page_that_leads_home(app: Any) -> None:
    add_failing_pages(app)
    client = app.test_client()

    page = client.get("/kiosk/t1/boom", headers=HTML)

    assert page.status_code == 500 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "系统出了点问题" in text and 'href="/kiosk/t1/" data-error-home' in text
    assert "internal_error" not in text and "Traceback" not in text


def test_a_database_restart_on_a_kiosk_page_says_busy_and_to_retry(app: Any) -> None:
    add_failing_pages(app)
    client = app.test_client()

    page = client.get("/kiosk/t1/db-down", headers=HTML)

    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "系统繁忙" in page.get_data(as_text=True)
    assert page.headers["Retry-After"]


def test_scripts_get_problem_json_from_the_same_addresses(app: Any) -> None:
    add_failing_pages(app)
    client = app.test_client()

    failed = client.get("/kiosk/t1/boom", headers={"Accept": "*/*"})
    missing = client.get("/kiosk/t1/nope", headers={"Accept": "application/json"})
    api = client.get("/api/v1/halls/nope/services", headers=HTML)

    assert failed.status_code == 500 and failed.mimetype == "application/problem+json"
    assert missing.status_code == 404 and missing.get_json()["code"] == "not_found"
    assert api.mimetype == "application/problem+json"  # only kiosk pages have pages of their own


def test_an_unknown_hall_leads_to_the_kiosk_start_page_not_to_itself(app: Any) -> None:
    page = app.test_client().get("/kiosk/nohall/", headers=HTML)

    assert page.status_code == 404
    assert 'href="/kiosk/" data-error-home' in page.get_data(as_text=True)
