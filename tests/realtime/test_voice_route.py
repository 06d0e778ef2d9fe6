"""The announcement audio routes the display pages fetch (Flask test client, real database)."""

from __future__ import annotations

import io
import wave
from typing import Any
from urllib.parse import quote

from display import voice
from tests.conftest import needs_espeak


def test_the_chime_is_served_as_wav(client: Any) -> None:
    resp = client.get("/display/voice/chime.wav")

    assert resp.status_code == 200
    assert resp.mimetype == "audio/wav"
    with wave.open(io.BytesIO(resp.data)) as w:
        assert w.getnframes() > 0


@needs_espeak
def test_an_announcement_is_rendered_on_first_request_and_served_from_the_cache(client: Any, app: Any) -> None:
    ann = voice.announcement("B012", 12)

    first = client.get(f"/display/voice/{ann.key}.wav?s={quote(ann.speech)}")
    cached = client.get(f"/display/voice/{ann.key}.wav")

    assert first.status_code == cached.status_code == 200
    assert first.data == cached.data
    assert (app.extensions["hallq.voice"].cache_dir / f"{ann.key}.wav").exists()
    with wave.open(io.BytesIO(cached.data)) as w:
        assert w.getnframes() / w.getframerate() > 1.0


def test_text_that_does_not_match_its_key_is_not_synthesised(client: Any) -> None:
    ann = voice.announcement("A001", 3)

    resp = client.get(f"/display/voice/{ann.key}.wav?s={quote('任意文本 arbitrary text')}")

    assert resp.status_code == 404


def test_the_display_page_of_an_unknown_hall_is_not_found(client: Any) -> None:
    assert client.get("/display/nope").status_code == 404
    assert client.get("/t/not-a-token").status_code == 404
