"""Where the print agent lives on the kiosk PC: its state folder and its log.

The state folder holds the agent's identity and journal. It must not depend on the working directory: an agent
restarted from another folder with a new identity would not get its own claims back. So it is fixed per user:
`--state-dir`, else HALLQ_AGENT_STATE, else systemd's STATE_DIRECTORY (StateDirectory= in the unit), else the
platform's per-user state folder.

Logging: python-escpos calls logging.basicConfig() when it is imported, which leaves the root logger at WARNING
with a handler of its own; a later basicConfig() then does nothing and the agent's own lines are lost. So the
agent's configuration replaces it (force=True), and python-escpos's chatter (it logs every connection it opens
and closes on the root logger) is kept out below WARNING. Stdlib only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

APP = "hallq-print-agent"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_ESCPOS = os.sep + "escpos" + os.sep


def default_state_dir(env: dict[str, str] | None = None) -> Path:
    """The per-user state folder: HALLQ_AGENT_STATE, systemd's STATE_DIRECTORY, %LOCALAPPDATA% on Windows, else
    $XDG_STATE_HOME or ~/.local/state (the XDG base directory rule)."""
    env = dict(os.environ) if env is None else env
    if env.get("HALLQ_AGENT_STATE"):
        return Path(env["HALLQ_AGENT_STATE"])
    if env.get("STATE_DIRECTORY"):  # systemd may list several, separated by colons: the first is ours
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / "hallq" / "print-agent"
    base = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else Path.home() / ".local" / "state"
    return base / APP


class _QuietEscpos(logging.Filter):
    """Drop python-escpos's root-logger INFO lines (a connection opened or closed, twice per ticket)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno < logging.WARNING and record.name == "root" and _ESCPOS in record.pathname)


def setup_logging(level: str = "INFO", log_file: Path | None = None) -> None:
    """Every line timestamped, to stderr or to `log_file` (appended), whatever python-escpos set up at import."""
    handler: logging.Handler = (logging.FileHandler(log_file, encoding="utf-8") if log_file
                                else logging.StreamHandler(sys.stderr))
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_QuietEscpos())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
