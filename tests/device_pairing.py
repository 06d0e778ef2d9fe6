"""Browser tests' paired devices: the token a device keeps in localStorage once paired at /pair (a one-time code,
tests/browser/test_csp_and_pairing.py covers that path), put there before the page's own scripts run, so pages
are opened without any token in their address."""

from __future__ import annotations

import json
from typing import Any


def keep_tokens(page: Any, items: dict[str, str]) -> None:
    """Every page of `page`'s browser context starts with these localStorage items."""
    page.context.add_init_script(script="".join(
        f"localStorage.setItem({json.dumps(k)}, {json.dumps(v)});" for k, v in items.items()))


def pair_display(page: Any, hall: str, token: str) -> None:
    keep_tokens(page, {f"hallq.display.token.{hall}": token})


def pair_kiosk(page: Any, hall: str, token: str) -> None:
    keep_tokens(page, {"hallq.kiosk.token": token, "hallq.kiosk.hall": hall})


def pair_rater(page: Any, token: str) -> None:
    keep_tokens(page, {"hallq.rater_token": token})
