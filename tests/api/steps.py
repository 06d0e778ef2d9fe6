"""Steps the API tests repeat (issue, call, act) and the problem+json assertion they all share."""

from __future__ import annotations

import re
from typing import Any

from tests.api.contract import assert_conforms
from tests.factories import bearer

CJK = re.compile(r"[\u4e00-\u9fff]")


def issue(client: Any, token: str, service: str = "a", hall: str = "t1", **fields: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/halls/{hall}/tickets", json={"service": service, **fields},
                           headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def call_next(client: Any, token: str, window: int = 1, hall: str = "t1") -> Any:
    return client.post(f"/api/v1/halls/{hall}/windows/{window}/call-next", headers=bearer(token))


def called(client: Any, token: str, window: int = 1) -> dict[str, Any]:
    """Call the next ticket and return it (asserting somebody was waiting)."""
    response = call_next(client, token, window)
    assert response.status_code == 200, response.get_data(as_text=True)
    ticket: dict[str, Any] = response.get_json()["ticket"]
    return ticket


def act(client: Any, token: str, ticket_id: int, verb: str, json: Any = None) -> Any:
    return client.post(f"/api/v1/tickets/{ticket_id}/{verb}", json=json, headers=bearer(token))


def assert_problem(client: Any, response: Any, status: int, code: str, *, english: bool = False) -> dict[str, Any]:
    """A problem+json answer with the stable code, a title in the expected language, and a documented shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"/problems/{code}"
    if english:
        assert not CJK.search(body["title"]), body["title"]
        assert response.headers["Content-Language"] == "en"
    else:
        assert CJK.search(body["title"]), body["title"]
        assert response.headers["Content-Language"] == "zh-Hans"
    assert_conforms(client, response)
    return body
