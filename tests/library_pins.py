"""What the guards of pinned libraries share: the exact pins in pyproject.toml, and a fingerprint of a library
function's source, so a test can say which function an upgrade changed (see the modules that reach into
python-engineio, simple-websocket and gunicorn: queue_server/realtime/fanout.py, queue_server/operations/shutdown.py).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def exact_pins() -> dict[str, str]:
    """Distribution name -> version, for every dependency pinned with == in pyproject.toml."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([0-9.]+)", dep)
        if m:
            pins[m.group(1)] = m.group(2)
    return pins


def source_fingerprint(name: str) -> str | None:
    """sha256 (16 hex digits) of inspect.getsource of "module:Qual.name"; None when it no longer exists."""
    module, attr = name.split(":")
    obj: object = importlib.import_module(module)
    for part in attr.split("."):
        found = getattr(obj, part, None)
        if found is None:
            return None
        obj = found
    return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()[:16]  # type: ignore[arg-type]
