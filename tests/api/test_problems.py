"""The error model at the HTTP edge: unknown addresses, wrong methods, hostile bodies, the language of titles.
Whatever comes in, the answer is problem+json with a stable code, never a 500."""

from __future__ import annotations

from typing import Any

from queue_server.storage.store import Store
from tests.api.footprint import footprint
from tests.api.steps import assert_problem
from tests.api.steps import call_next
from tests.factories import BasicHall
from tests.factories import bearer

URL = "/api/v1/halls/t1/tickets"


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """For answers outside any documented operation (unknown address, wrong method)."""
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert (body["code"], body["status"], body["type"]) == (code, status, f"/problems/{code}")
    return body


def test_an_unknown_address_is_404_not_found_as_problem_json(client: Any) -> None:
    body = _problem(client.get("/api/v1/no-such-thing"), 404, "not_found")

    assert body["title"] == "未找到"


def test_a_wrong_method_is_405_and_says_which_methods_are_allowed(client: Any, hall: BasicHall) -> None:
    response = client.delete(URL, headers=bearer(hall.manager))

    _problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


def test_401_names_the_bearer_scheme(client: Any, hall: BasicHall) -> None:
    response = client.post(URL, json={"service": "a"})

    assert_problem(client, response, 401, "login_required")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_deeply_nested_json_is_400_not_a_crash(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, data="[" * 30000 + "]" * 30000, content_type="application/json",
                           headers=bearer(hall.kiosk))

    assert_problem(client, response, 400, "bad_request")
    assert footprint(store) == before


def test_json_null_body_is_422(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, data="null", content_type="application/json", headers=bearer(hall.kiosk))

    assert_problem(client, response, 422, "invalid_request")
    assert footprint(store) == before


def test_text_with_nul_characters_is_422_naming_the_field(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, json={"service": "a", "appointment_code": "A\x00B"}, headers=bearer(hall.kiosk))

    body = assert_problem(client, response, 422, "invalid_request")
    assert [e["field"] for e in body["errors"]] == ["appointment_code"]
    assert footprint(store) == before


def test_a_json_body_sent_as_text_plain_is_415(client: Any, store: Store, hall: BasicHall) -> None:
    before = footprint(store)

    response = client.post(URL, data='{"service": "a"}', content_type="text/plain", headers=bearer(hall.kiosk))

    assert_problem(client, response, 415, "unsupported_media_type")
    assert footprint(store) == before


def test_json_with_a_charset_parameter_is_accepted(client: Any, hall: BasicHall) -> None:
    response = client.post(URL, data='{"service": "a"}', content_type="application/json; charset=utf-8",
                           headers=bearer(hall.kiosk))

    assert response.status_code == 201


def test_lang_query_parameter_switches_problems_to_english(client: Any, hall: BasicHall) -> None:
    response = client.post(f"{URL}?lang=en", json={"service": "zz"}, headers=bearer(hall.kiosk))

    assert assert_problem(client, response, 404, "service_not_found", english=True)["title"] == "Service not found"


def test_chinese_is_the_default_even_when_the_client_prefers_another_language(
    client: Any, hall: BasicHall
) -> None:
    response = client.post(URL, json={"service": "zz"}, headers={**bearer(hall.kiosk), "Accept-Language": "fr"})

    assert assert_problem(client, response, 404, "service_not_found")["title"] == "事项不存在"


def test_no_content_carries_no_content_type(client: Any, hall: BasicHall) -> None:
    response = call_next(client, hall.staff1)

    assert response.status_code == 204
    assert "Content-Type" not in response.headers
