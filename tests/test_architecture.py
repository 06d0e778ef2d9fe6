"""The architecture's checkable rules: import-linter contracts, every error and generic problem translated into
zh_Hans, every event type documented in docs/events.md, every route and error code in docs/api.md."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from queue_server.errors import REGISTRY
from queue_server.events import EVENT_TYPES
from queue_server.web.api.openapi import OPERATIONS
from queue_server.web.api.problems import GENERIC

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "queue_server/translations/zh_Hans/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _translations() -> dict[str, str]:
    with CATALOGUE.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id and m.string and not m.fuzzy}


def _msgids() -> list[tuple[str, str]]:
    """(where, msgid) for every title and detail a client can see."""
    out = []
    for code, cls in sorted(REGISTRY.items()):
        out += [(f"{code}.title", cls.title), (f"{code}.detail", cls.detail)]
    for code, (_, title, detail) in sorted(GENERIC.items()):
        out += [(f"{code}.title", title), (f"{code}.detail", detail)]
    return out


def test_import_contracts_hold() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # lint this checkout, not whichever one the venv points at
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports("
                               "no_cache=True))"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout


def _packages() -> list[Path]:
    return sorted(init.parent for top in ("queue_server", "kiosk", "display")
                  for init in (ROOT / top).rglob("__init__.py"))


@pytest.mark.parametrize("package", _packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_states_its_rule_and_stays_small(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8"))) or ""
    modules = [m for m in package.glob("*.py") if m.name != "__init__.py"]

    # The docstring is where a newcomer learns what the package holds and what it may import.
    assert "Rule:" in doc, f"{package.relative_to(ROOT)}/__init__.py states no rule"
    assert len(modules) <= 15, f"{package.relative_to(ROOT)} holds {len(modules)} modules; split it by concept"


def test_every_subpackage_has_a_layer_in_the_import_contracts() -> None:
    """A new package gets a place in the layers, or the contracts would not see it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    layered = {name.strip() for contract in config["contracts"] if contract["type"] == "layers"
               and not contract.get("containers") for layer in contract["layers"]
               for name in layer.replace(":", "|").split("|")}
    subpackages = {f"queue_server.{p.name}" for p in _packages() if p.parent == ROOT / "queue_server"}

    assert subpackages <= layered, f"not in any layer: {sorted(subpackages - layered)}"


@pytest.mark.parametrize(("where", "msgid"), _msgids(), ids=[w for w, _ in _msgids()])
def test_every_problem_title_and_detail_has_a_chinese_translation(where: str, msgid: str) -> None:
    translated = _translations().get(msgid)

    assert translated, f"{where}: no zh_Hans translation for {msgid!r} in {CATALOGUE.name}"
    assert re.search(r"[\u4e00-\u9fff]", translated), f"{where}: {translated!r} is not Chinese"
    # A translation may leave a placeholder out, but one the error does not carry would fail to render.
    assert set(PLACEHOLDER.findall(translated)) <= set(PLACEHOLDER.findall(msgid)), (
        f"{where}: the translation uses placeholders {msgid!r} does not have")


def test_error_codes_are_stable_snake_case_and_unique() -> None:
    codes = list(REGISTRY) + list(GENERIC)

    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", c) for c in codes), codes


def test_every_event_type_is_documented_in_docs_events_md() -> None:
    text = (ROOT / "docs/events.md").read_text(encoding="utf-8")
    documented = re.findall(r"^### `([a-z_]+\.[a-z_]+)`$", text, flags=re.MULTILINE)

    assert sorted(documented) == sorted(EVENT_TYPES)
    assert "## Envelope" in text and "## seq semantics" in text


def test_docs_api_md_lists_every_route_and_every_error_code() -> None:
    text = (ROOT / "docs/api.md").read_text(encoding="utf-8")

    missing_routes = [f"{op.method} {op.path}" for op in OPERATIONS if f"`{op.method} {op.path}" not in text]
    missing_codes = [code for code in [*REGISTRY, *GENERIC] if f"`{code}`" not in text]
    assert missing_routes == []
    assert missing_codes == []
