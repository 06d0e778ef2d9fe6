"""A stopping process opens no new Socket.IO session: a browser's reconnect after the stop closed its connection
falls back to long-polling on a kept-alive HTTP connection to the same process, and a session opened there held
the stop until gunicorn's graceful timeout (tests/browser/test_network_trouble.py shows it with Chromium)."""

from __future__ import annotations

from typing import Any

import pytest

# Nothing here touches the database beyond building the app.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def test_before_the_stop_a_handshake_opens_a_session(client: Any) -> None:
    response = client.get(HANDSHAKE)

    assert response.status_code == 200
    assert '"sid"' in response.get_data(as_text=True)


def test_once_stopping_a_handshake_is_503_with_retry_after_and_the_connection_closed(app: Any, client: Any) -> None:
    app.extensions["hallq.hub"].close_all()

    response = client.get(HANDSHAKE)
    english = client.get(HANDSHAKE, headers={"Accept-Language": "en"})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.headers["Connection"] == "close"
    assert response.content_type == "application/problem+json"
    assert response.json["code"] == "service_unavailable"
    assert response.json["detail"] == "服务器正在重启，稍后会自动重新连接。"
    assert english.json["detail"] == "This server is restarting. The connection is made again by itself in a moment."
    assert app.extensions["hallq.hub"].socketio.server.eio.sockets == {}


def test_once_stopping_the_rest_of_the_site_still_answers(app: Any, client: Any) -> None:
    """In-flight requests and those on kept-alive connections are served to the end of the stop."""
    app.extensions["hallq.hub"].close_all()

    assert client.get("/healthz").status_code == 200
    assert client.get("/socket.io/?EIO=4&transport=polling&sid=gone").status_code == 400  # Engine.IO's own answer
